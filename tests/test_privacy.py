"""Private channels: a message link only shares what the person may read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender
from bridge_standins.stack import COMMUNITY, NEWS, ROUTES, SIGNING_SECRET, LocalStack, start_stack

from bridge.delivery.outbox import JobState
from tests.e2e import job_state

PRIVATE = "G0PRIVATE1"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    opted_in = f"channels: [{NEWS}, {PRIVATE}]\n    allow_private: true"
    routes = ROUTES.replace(f"channels: [{NEWS}]", opted_in)
    assert COMMUNITY in routes and PRIVATE in routes
    running = start_stack(tmp_path, routes=routes)
    running.slack.add_channel(PRIVATE, "leadership", is_private=True)

    def members(params: dict[str, Any]) -> dict[str, Any]:
        assert params["channel"] == PRIVATE
        return {"ok": True, "members": ["U0ALICE01"], "response_metadata": {"next_cursor": ""}}

    running.slack.add_method("conversations.members", members)
    yield running
    running.stop()


def link(ts: str, channel: str = PRIVATE) -> str:
    return f"https://fakeworkspace.slack.com/archives/{channel}/p{ts.replace('.', '')}"


def test_non_member_cannot_share_a_private_message(stack: LocalStack) -> None:
    """Someone outside a private channel gets a refusal at once; nothing is stored,
    fetched or posted."""
    msg = stack.slack.add_message(PRIVATE, {"user": "U0ALICE01", "text": "board notes"})
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        answer = slack.command(
            link(msg["ts"]),
            channel_id=NEWS,
            user_id="U0BOB0001",
            response_url=stack.slack.response_url("no"),
        )
    assert "not a member of the private conversation" in answer.json()["text"]
    assert job_state(stack, msg["ts"]) is None
    assert stack.slack.calls_to("conversations.history") == []
    assert stack.amity.posts == []


def test_member_can_share_a_private_message(stack: LocalStack) -> None:
    """A member of the private channel shares its message like any other."""
    msg = stack.slack.add_message(PRIVATE, {"user": "U0ALICE01", "text": "approved news"})
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        slack.command(
            link(msg["ts"]),
            channel_id=NEWS,
            user_id="U0ALICE01",
            response_url=stack.slack.response_url("yes"),
        )
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    assert [p["data"]["text"] for p in stack.amity.posts] == ["approved news"]


def test_public_channel_needs_no_membership_lookup(stack: LocalStack) -> None:
    """Public channels are readable by everyone in the workspace: no members call."""
    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "public"})
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        slack.command(
            link(msg["ts"], NEWS),
            channel_id=NEWS,
            user_id="U0BOB0001",
            response_url=stack.slack.response_url("pub"),
        )
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    assert stack.slack.calls_to("conversations.members") == []
