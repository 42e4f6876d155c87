"""The Slack gateway against the stand-in: which failures are retried, and how long apart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from bridge_standins.slack import FakeSlack

from bridge.failures import Retryable
from bridge.slack.api import SlackGateway, SlackRejected, SlackRetryable, make_web_client

TOKEN = "xoxb-test-token"
CHANNEL = "C0NEWS001"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=TOKEN) as slack:
        slack.add_channel(CHANNEL, "news")
        yield slack


def gateway(fake: FakeSlack, timeout: int = 15) -> SlackGateway:
    client = make_web_client(TOKEN, fake.url + "/api/")
    client.timeout = timeout
    return SlackGateway(client)


def test_a_dropped_connection_is_retried_at_once(fake: FakeSlack) -> None:
    """One connection closed without an answer: the call is repeated and succeeds."""
    fake.drop_next("chat.postMessage")
    gateway(fake).reply(CHANNEL, "hello")
    assert [m.text for m in fake.posted] == ["hello"]


def test_connections_that_keep_dropping_are_retryable_not_a_crash(fake: FakeSlack) -> None:
    """Every connection closed: a SlackRetryable for the worker, not a raw socket error."""
    fake.drop_next("chat.postMessage", times=2)
    with pytest.raises(SlackRetryable, match="could not be reached") as caught:
        gateway(fake).reply(CHANNEL, "hello")
    assert isinstance(caught.value, Retryable) and caught.value.service == "Slack"


def test_a_timeout_is_retryable(fake: FakeSlack) -> None:
    """Slack not answering in time is retried later."""

    def slow(_params: dict[str, Any]) -> dict[str, Any]:
        time.sleep(1.5)
        return {"ok": True}

    fake.add_method("auth.test", slow)
    with pytest.raises(SlackRetryable, match="could not be reached"):
        gateway(fake, timeout=1).permalink(CHANNEL, "1712345678.000100")


@pytest.mark.parametrize(
    ("status", "error"), [(500, "internal_error"), (502, "bad_gateway"), (503, "fatal_error")]
)
def test_server_errors_are_retryable(fake: FakeSlack, status: int, error: str) -> None:
    """Any 5xx from Slack may pass later."""
    fake.fail_next("chat.postMessage", error, status=status)
    with pytest.raises(SlackRetryable):
        gateway(fake).reply(CHANNEL, "hello")


def test_a_long_rate_limit_is_handed_to_the_worker_with_its_wait(fake: FakeSlack) -> None:
    """429 with Retry-After: 30 is not slept in place: the error carries the 30 s."""
    fake.fail_next("chat.postMessage", "ratelimited", retry_after=30)
    with pytest.raises(SlackRetryable, match="ratelimited") as caught:
        gateway(fake).reply(CHANNEL, "hello")
    assert caught.value.retry_after == 30.0
    assert len(fake.calls_to("chat.postMessage")) == 1  # not slept and repeated


def test_a_short_rate_limit_is_waited_out_in_place(fake: FakeSlack) -> None:
    """429 with Retry-After: 1 is waited and the call repeated."""
    fake.fail_next("chat.postMessage", "ratelimited", retry_after=1)
    gateway(fake).reply(CHANNEL, "hello")
    assert len(fake.calls_to("chat.postMessage")) == 2 and len(fake.posted) == 1


def test_refusals_stay_permanent(fake: FakeSlack) -> None:
    """A refusal that a person must fix is not retried."""
    fake.add_channel(CHANNEL, "news", is_member=False)
    with pytest.raises(SlackRejected, match="/invite @bridge"):
        gateway(fake).reply(CHANNEL, "hello")
