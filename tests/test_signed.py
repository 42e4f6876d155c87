"""Slack request signing, payload builders, SlackSender, and the FakeServer base they use."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from urllib.parse import parse_qs

import httpx
import pytest
from bridge_standins.server import FakeServer, HttpRequest, Reply, json_reply, text_reply
from bridge_standins.signed import (
    SlackSender,
    reaction_added_body,
    signature,
    signed_headers,
    slash_command_form,
)
from slack_sdk.signature import SignatureVerifier

# Slack's documented example ("Verifying requests from Slack").
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TIMESTAMP = "1531420618"
SLACK_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
    b"channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
    b"command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
    b"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
    b"trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
SECRET = "local-signing-secret"


class Receiver(FakeServer):
    """A stand-in for the bridge's /slack/events, built on the shared base."""

    def __init__(self) -> None:
        super().__init__()
        self._received: list[HttpRequest] = []
        self.add_route("POST", r"/slack/events", self._events)
        self.add_route("GET", r"/boom", self._boom)

    @property
    def received(self) -> list[HttpRequest]:
        with self._lock:
            return list(self._received)

    def _events(self, request: HttpRequest, _match: re.Match[str]) -> Reply:
        with self._lock:
            self._received.append(request)
        return json_reply(200, {"ok": True})

    def _boom(self, _request: HttpRequest, _match: re.Match[str]) -> Reply:
        raise RuntimeError("handler failed")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


def verifies(headers: dict[str, str], body: bytes, secret: str = SECRET) -> bool:
    return SignatureVerifier(secret).is_valid_request(body, headers)


def test_slacks_documented_example() -> None:
    assert signature(SLACK_SECRET, SLACK_TIMESTAMP, SLACK_BODY) == SLACK_SIGNATURE


def test_signed_headers_pass_slack_sdks_verifier() -> None:
    body = slash_command_form(
        text="https://x.slack.com/archives/C1/p1",
        team_id="T0FAKE",
        channel_id="C1",
        user_id="U1",
        response_url="http://127.0.0.1:1/response/k",
    )
    headers = signed_headers(SECRET, body)
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert abs(int(headers["X-Slack-Request-Timestamp"]) - time.time()) < 5
    assert verifies(headers, body)
    assert not verifies(headers, body, secret="another-secret")
    assert not verifies(headers, body + b"&x=1")
    stale = signed_headers(SECRET, body, timestamp=int(time.time()) - 600)
    assert not verifies(stale, body)  # replay window: 5 minutes


def test_signed_headers_with_fixed_timestamp_and_retry() -> None:
    headers = signed_headers(
        SLACK_SECRET, SLACK_BODY, timestamp=int(SLACK_TIMESTAMP), retry_num=2, content_type="x/y"
    )
    assert headers == {
        "Content-Type": "x/y",
        "X-Slack-Request-Timestamp": SLACK_TIMESTAMP,
        "X-Slack-Signature": SLACK_SIGNATURE,
        "X-Slack-Retry-Num": "2",
        "X-Slack-Retry-Reason": "http_timeout",
    }
    assert "X-Slack-Retry-Num" not in signed_headers(SECRET, b"")


def test_slash_command_form_is_encoded_like_slack() -> None:
    body = slash_command_form(
        text="link & more",
        team_id="T0FAKE",
        channel_id="C0NEWS001",
        user_id="U0ALICE01",
        response_url="http://127.0.0.1:9/response/a",
    )
    assert b"command=%2Fcrosspost" in body
    assert b"text=link+%26+more" in body
    fields = {
        key: values[0] for key, values in parse_qs(body.decode(), keep_blank_values=True).items()
    }
    assert fields["team_id"] == "T0FAKE" and fields["channel_id"] == "C0NEWS001"
    assert fields["user_id"] == "U0ALICE01" and fields["user_name"] == "someone"
    assert fields["channel_name"] == "general"
    assert fields["response_url"] == "http://127.0.0.1:9/response/a"
    assert re.fullmatch(r"\d+\.\d+\.[0-9a-f]{32}", fields["trigger_id"])
    empty = slash_command_form(
        command="/other",
        text="",
        team_id="T",
        channel_id="C",
        user_id="U",
        response_url="r",
        trigger_id="t",
    )
    assert b"command=%2Fother&text=&" in empty and empty.endswith(b"trigger_id=t")


def test_reaction_added_body_is_a_full_envelope() -> None:
    body = reaction_added_body(
        team_id="T0FAKE", user="U1", reaction="mega", channel="C1", ts="1.000200"
    )
    envelope = json.loads(body)
    assert envelope["type"] == "event_callback"
    assert envelope["team_id"] == "T0FAKE" and envelope["api_app_id"] == "A0BRIDGE"
    assert envelope["event_id"].startswith("Ev")
    assert abs(envelope["event_time"] - time.time()) < 5
    assert envelope["authorizations"][0]["team_id"] == "T0FAKE"
    assert envelope["authorizations"][0]["is_bot"] is True
    event = envelope["event"]
    assert event["type"] == "reaction_added" and event["user"] == "U1"
    assert event["reaction"] == "mega"
    assert event["item"] == {"type": "message", "channel": "C1", "ts": "1.000200"}
    assert event["item_user"] == "U0AUTHOR" and float(event["event_ts"]) > 0
    again = reaction_added_body(
        team_id="T", user="U", reaction="r", channel="C", ts="1.0", event_id="Ev1", item_user="U9"
    )
    assert (
        json.loads(again)["event_id"] == "Ev1" and json.loads(again)["event"]["item_user"] == "U9"
    )


def test_sender_signs_commands_and_reactions(receiver: Receiver) -> None:
    with SlackSender(receiver.url + "/slack/events", SECRET) as sender:
        command = sender.command(
            "hello", channel_id="C1", user_id="U1", response_url="http://127.0.0.1:9/response/k"
        )
        reaction = sender.reaction(
            user="U1", reaction="mega", channel="C1", ts="1.000100", retry_num=1
        )
    assert command.status_code == 200 and reaction.json() == {"ok": True}
    form, event = receiver.received
    assert form.content_type == "application/x-www-form-urlencoded"
    assert parse_qs(form.body.decode())["team_id"] == ["T0FAKE"]
    assert event.content_type == "application/json"
    assert json.loads(event.body)["event"]["reaction"] == "mega"
    assert (event.headers["x-slack-retry-num"], event.headers["x-slack-retry-reason"]) == (
        "1",
        "http_timeout",
    )
    assert "x-slack-retry-num" not in form.headers
    for request in (form, event):
        assert verifies(request.headers, request.body)
        assert request.headers["user-agent"].startswith("Slackbot")


def test_sender_resends_the_same_body_for_a_retry(receiver: Receiver) -> None:
    body = reaction_added_body(team_id="T0FAKE", user="U1", reaction="mega", channel="C1", ts="1.1")
    with SlackSender(receiver.url + "/slack/events", SECRET) as sender:
        sender.post(body, "application/json")
        sender.post(body, "application/json", retry_num=1, timestamp=int(time.time()))
    first, second = receiver.received
    assert first.body == second.body
    assert second.headers["x-slack-retry-num"] == "1"


def test_base_server_routes_404_and_handler_errors(
    receiver: Receiver, capfd: pytest.CaptureFixture[str]
) -> None:
    missing = httpx.get(receiver.url + "/nothing?x=1")
    assert missing.status_code == 404
    boom = httpx.get(receiver.url + "/boom")
    assert boom.status_code == 500 and "handler failed" in boom.text
    assert receiver.errors == ["GET /boom: RuntimeError('handler failed')"]
    receiver.add_route("GET", r"/late", lambda _request, _match: text_reply(200, "added"))
    assert httpx.get(receiver.url + "/late").text == "added"
    assert capfd.readouterr() == ("", "")


def test_base_server_parses_query_and_headers(receiver: Receiver) -> None:
    httpx.post(receiver.url + "/slack/events?a=1&b=", content=b"{}", headers={"X-Thing": "v"})
    (request,) = receiver.received
    assert request.query == {"a": "1", "b": ""}
    assert request.headers["x-thing"] == "v"
    assert request.bearer_token() is None


def test_start_is_idempotent_and_stop_is_safe() -> None:
    server = Receiver()
    server.stop()  # never started: nothing to do
    assert server.start() is server.start()
    url = server.url
    server.stop()
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/slack/events")
