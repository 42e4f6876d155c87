"""Socket Mode end to end: the real ``python -m bridge serve`` connected over a WebSocket to
the Socket Mode stand-in with SLACK_APP_TOKEN; reactions, /crosspost and the message
shortcut (then its preview's submission) arrive as envelopes, are acknowledged, and are
cross-posted."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from bridge_standins.amity import FakeAmity
from bridge_standins.server import wait_for
from bridge_standins.signed import message_shortcut_form, reaction_added_body, slash_command_form
from bridge_standins.slack import FakeSlack
from bridge_standins.slack_changes import view_submission_form
from bridge_standins.socket_mode import FakeSocketMode
from bridge_standins.stack import AMITY_TOKEN, BOT_TOKEN, NEWS, SIGNING_SECRET, TEAM
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.processes import Process, environment

APP_TOKEN = "xapp-1-A0BRIDGE-1234-localsocketmodetoken"
Fakes = tuple[FakeSlack, FakeAmity]


@pytest.fixture
def socket_mode(fakes: Fakes) -> Iterator[FakeSocketMode]:
    running = FakeSocketMode(fakes[0], APP_TOKEN).start()
    yield running
    running.stop()


@pytest.fixture
def bridge(tmp_path: Path, fakes: Fakes, socket_mode: FakeSocketMode) -> Iterator[Process]:
    """``python -m bridge serve --socket-mode`` with SLACK_APP_TOKEN, connected to the
    stand-in."""
    env = environment(tmp_path, *fakes, SLACK_APP_TOKEN=APP_TOKEN)
    process = Process(env, tmp_path, "--socket-mode")
    try:
        process.port()
        socket_mode.wait_connected()
        yield process
    finally:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait()
        process.output()


def reaction(ts: str) -> dict[str, object]:
    body = reaction_added_body(team_id=TEAM, user="U0BOB0001", reaction="mega", channel=NEWS, ts=ts)
    payload: dict[str, object] = json.loads(body)
    return payload


def test_stand_in_answers_like_slack(socket_mode: FakeSocketMode, fakes: Fakes) -> None:
    """apps.connections.open wants the app-level token and gives a one-use ws:// URL."""
    slack = fakes[0]
    with pytest.raises(SlackApiError) as refused:
        WebClient(token=BOT_TOKEN, base_url=slack.url + "/api/").apps_connections_open(
            app_token=BOT_TOKEN
        )
    assert refused.value.response["error"] == "not_allowed_token_type"
    opened = WebClient(base_url=slack.url + "/api/").apps_connections_open(app_token=APP_TOKEN)
    assert opened["url"].startswith(f"ws://127.0.0.1:{socket_mode.port}/link/?ticket=")
    forged = opened["url"].split("ticket=")[0] + "ticket=forged"
    assert httpx.get(forged.replace("ws://", "http://")).status_code in (400, 401, 426)


def test_reaction_command_and_shortcut_over_socket_mode(
    bridge: Process, fakes: Fakes, socket_mode: FakeSocketMode
) -> None:
    """Each envelope is acked and cross-posted, with the thread reply and the answer."""
    slack, amity = fakes
    first = slack.add_message(NEWS, {"user": "U0ALICE01", "text": "reacted over the socket"})
    envelope = socket_mode.deliver("events_api", reaction(first["ts"]))
    assert socket_mode.ack(envelope) == {"envelope_id": envelope}
    wait_for(lambda: len(slack.posted) == 1, timeout=20)
    reply = slack.posted[0]
    assert reply.channel == NEWS and reply.thread_ts == first["ts"]
    assert [p["data"]["text"] for p in amity.posts] == ["reacted over the socket"]

    form = slash_command_form(
        text="typed over the socket",
        team_id=TEAM,
        channel_id=NEWS,
        user_id="U0BOB0001",
        response_url=slack.response_url("socket-command"),
    )
    envelope = socket_mode.deliver(
        "slash_commands", dict(parse_qsl(form.decode())), accepts_response_payload=True
    )
    answer = socket_mode.ack(envelope)
    assert "On its way" in answer["payload"]["text"]
    wait_for(lambda: len(slack.responses) == 1, timeout=20)
    assert amity.posts[-1]["data"]["text"] == "typed over the socket"

    shared = slack.add_message(NEWS, {"user": "U0ALICE01", "text": "shared from the menu"})
    form = message_shortcut_form(
        team_id=TEAM,
        channel=NEWS,
        user="U0BOB0001",
        message=shared,
        response_url=slack.response_url("socket-shortcut"),
    )
    envelope = socket_mode.deliver(
        "interactive", json.loads(dict(parse_qsl(form.decode()))["payload"])
    )
    assert socket_mode.ack(envelope)["envelope_id"] == envelope
    wait_for(lambda: bool(slack.modals), timeout=20)
    state: dict[str, dict[str, Any]] = {
        "community": {"route": {"selected_option": {"value": "announcements"}}},
        "text": {"text": {"value": "shared from the menu"}},
    }
    form = view_submission_form(TEAM, "U0BOB0001", slack.modals[0], state)
    envelope = socket_mode.deliver(
        "interactive", json.loads(dict(parse_qsl(form.decode()))["payload"])
    )
    assert socket_mode.ack(envelope)["envelope_id"] == envelope
    wait_for(lambda: len(slack.posted) == 2, timeout=20)
    assert slack.posted[1].thread_ts == shared["ts"]
    assert amity.posts[-1]["data"]["text"] == "shared from the menu"


def test_redelivery_posts_once_and_disconnect_reconnects(
    bridge: Process, fakes: Fakes, socket_mode: FakeSocketMode
) -> None:
    """A retried envelope is one post; after `disconnect` the bridge opens a new connection
    and goes on; SIGTERM then stops it cleanly; no secret reaches the log."""
    slack, amity = fakes
    msg = slack.add_message(NEWS, {"user": "U0ALICE01", "text": "sent twice"})
    payload = reaction(msg["ts"])
    socket_mode.ack(socket_mode.deliver("events_api", payload))
    wait_for(lambda: len(slack.posted) == 1, timeout=20)
    socket_mode.ack(socket_mode.deliver("events_api", payload, retry_attempt=1))
    assert amity.post_count() == 1

    socket_mode.disconnect()
    socket_mode.wait_connected(opened=2)
    wait_for(lambda: socket_mode.connected == 1, timeout=20)  # the old connection is closed
    assert len(slack.calls_to("apps.connections.open")) == 2
    after = slack.add_message(NEWS, {"user": "U0ALICE01", "text": "after the reconnect"})
    socket_mode.ack(socket_mode.deliver("events_api", reaction(after["ts"])))
    wait_for(lambda: len(slack.posted) == 2, timeout=20)
    assert amity.posts[-1]["data"]["text"] == "after the reconnect"

    bridge.proc.send_signal(signal.SIGTERM)
    assert bridge.proc.wait(timeout=30) == 0
    log = bridge.output()
    assert "bridge.socket_mode_connected" in log
    for secret in (APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, AMITY_TOKEN, "sent twice"):
        assert secret not in log


def stop(process: Process) -> str:
    """SIGTERM, a clean exit, and the process's log."""
    if process.proc.poll() is None:
        process.proc.send_signal(signal.SIGTERM)
        assert process.proc.wait(timeout=30) == 0
    return process.output()


def test_refused_app_token_is_logged_and_http_keeps_serving(
    tmp_path: Path, fakes: Fakes, socket_mode: FakeSocketMode
) -> None:
    """An app-level token Slack refuses: one line naming SLACK_APP_TOKEN; serve goes on."""
    wrong = "xapp-1-A0BRIDGE-1234-revoked"
    env = environment(tmp_path, *fakes, SLACK_APP_TOKEN=wrong)
    process = Process(env, tmp_path, "--socket-mode")
    try:
        seen = process.wait_events("bridge.socket_mode_refused", "bridge.listening")
        refused = seen["bridge.socket_mode_refused"]
        assert refused["error"] == "invalid_auth" and "SLACK_APP_TOKEN" in refused["fix"]
        port = seen["bridge.listening"]["port"]
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
    finally:
        log = stop(process)
    assert wrong not in log and "Traceback" not in log and socket_mode.opened == 0


def test_without_the_flag_the_process_stays_on_http(
    tmp_path: Path, fakes: Fakes, socket_mode: FakeSocketMode
) -> None:
    """SLACK_APP_TOKEN applies to every dyno; only ``serve --socket-mode`` connects. The
    web process says in one line that Socket Mode is off here and how to turn it on."""
    process = Process(environment(tmp_path, *fakes, SLACK_APP_TOKEN=APP_TOKEN), tmp_path)
    try:
        seen = process.wait_events("bridge.socket_mode_off", "bridge.listening")
        assert "python -m bridge serve --socket-mode" in seen["bridge.socket_mode_off"]["fix"]
        assert seen["bridge.listening"]["socket_mode"] is False
    finally:
        log = stop(process)
    assert socket_mode.opened == 0 and log.count("bridge.socket_mode_off") == 1


def test_one_process_holds_socket_mode_and_another_takes_over(
    tmp_path: Path, fakes: Fakes, socket_mode: FakeSocketMode
) -> None:
    """Two ``serve --socket-mode`` on one store: the second says the connection is held
    and opens none; when the holder dies, it takes the connection over."""
    env = environment(tmp_path, *fakes, SLACK_APP_TOKEN=APP_TOKEN)
    first = Process(env, tmp_path, "--socket-mode")
    second: Process | None = None
    try:
        first.wait_events("bridge.socket_mode_connected", "bridge.listening")
        socket_mode.wait_connected()
        second = Process(env, tmp_path, "--socket-mode")
        seen = second.wait_events("bridge.socket_mode_held_elsewhere", "bridge.listening")
        assert "takes the connection over" in seen["bridge.socket_mode_held_elsewhere"]["fix"]
        assert socket_mode.opened == 1
        first.proc.kill()  # dies without letting go: the lock goes with the process
        first.proc.wait()
        second.wait_event("bridge.socket_mode_connected", timeout=30)
        socket_mode.wait_connected(opened=2)
        sent = fakes[0].add_message(NEWS, {"user": "U0ALICE01", "text": "via the new holder"})
        socket_mode.ack(socket_mode.deliver("events_api", reaction(sent["ts"])))
        wait_for(lambda: len(fakes[1].posts) == 1, timeout=20)
    finally:
        if first.proc.poll() is None:
            first.proc.kill()
            first.proc.wait()
        first.output()
        if second is not None:
            log = stop(second)
            assert log.count("bridge.socket_mode_held_elsewhere") == 1
