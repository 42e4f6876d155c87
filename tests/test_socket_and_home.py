"""Socket Mode requests through Bolt's Socket Mode path, and the App Home tab."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender, reaction_added_body, slash_command_form
from bridge_standins.stack import NEWS, SIGNING_SECRET, TEAM, LocalStack, start_stack
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk.socket_mode.request import SocketModeRequest

from bridge.delivery.outbox import JobState
from tests.e2e import job_state


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    running = start_stack(tmp_path)
    yield running
    running.stop()


def socket_request(kind: str, payload: dict[str, Any], retry: int | None = None) -> Any:
    return SocketModeRequest(
        type=kind,
        envelope_id=f"env-{time.monotonic_ns()}",
        payload=payload,
        retry_attempt=retry,
        retry_reason="timeout" if retry else None,
    )


def test_socket_mode_reaction_and_retries(stack: LocalStack) -> None:
    """A reaction over Socket Mode posts once; Socket Mode redeliveries are de-duplicated."""
    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "over the socket"})
    payload = json.loads(
        reaction_added_body(
            team_id=TEAM,
            user="U0BOB0001",
            reaction="mega",
            channel=NEWS,
            ts=msg["ts"],
            event_id="Ev0SOCK",
        )
    )
    assert run_bolt_app(stack.bridge.bolt, socket_request("events_api", payload)).status == 200
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    for retry in (1, 2):
        response = run_bolt_app(stack.bridge.bolt, socket_request("events_api", payload, retry))
        assert response.status == 200
    assert stack.amity.post_count() == 1
    assert stack.slack.ephemerals == [] and len(stack.slack.posted) == 1


def test_socket_mode_slash_command(stack: LocalStack) -> None:
    """/crosspost over Socket Mode answers in the ack body and posts the text."""
    form = slash_command_form(
        text="socket text",
        team_id=TEAM,
        channel_id=NEWS,
        user_id="U0BOB0001",
        response_url=stack.slack.response_url("s"),
    )
    payload = dict(parse_qsl(form.decode()))
    response = run_bolt_app(stack.bridge.bolt, socket_request("slash_commands", payload))
    assert response.status == 200 and "On its way" in json.loads(response.body)["text"]
    wait_for(lambda: len(stack.slack.responses) == 1)
    assert [p["data"]["text"] for p in stack.amity.posts] == ["socket text"]


def test_app_home_shows_routes_posts_and_failures(stack: LocalStack) -> None:
    """Opening the Home tab publishes routes, the last cross-post link and the last failure."""
    published: list[dict[str, Any]] = []

    def views_publish(params: dict[str, Any]) -> dict[str, Any]:
        view = params["view"]
        published.append(
            {"user": params["user_id"], "view": json.loads(view) if isinstance(view, str) else view}
        )
        return {"ok": True, "view": {"id": "V1"}}

    stack.slack.add_method("views.publish", views_publish)
    stack.amity.blocked_words.add("forbidden")
    good = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "fine"})
    bad = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "forbidden word"})
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        for msg in (good, bad):
            slack.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
        wait_for(
            lambda: (
                job_state(stack, good["ts"]) is JobState.done
                and job_state(stack, bad["ts"]) is JobState.failed
            )
        )
        event = {
            "type": "event_callback",
            "team_id": TEAM,
            "api_app_id": "A0BRIDGE",
            "event_id": "Ev0HOME",
            "event_time": int(time.time()),
            "event": {
                "type": "app_home_opened",
                "user": "U0BOB0001",
                "channel": "D0HOME",
                "tab": "home",
                "event_ts": f"{time.time():.6f}",
            },
            "authorizations": [{"team_id": TEAM, "user_id": "UBRIDGEBOT", "is_bot": True}],
        }
        assert slack.post(json.dumps(event).encode(), "application/json").status_code == 200
    wait_for(lambda: len(published) == 1)
    assert published[0]["user"] == "U0BOB0001"
    text = json.dumps(published[0]["view"])
    assert f"<#{NEWS}>" in text and ":mega:" in text and "*announcements*" in text
    post_id = stack.amity.posts[0]["postId"]
    assert post_id in text
    assert "blocks" in text and "400308" in text
