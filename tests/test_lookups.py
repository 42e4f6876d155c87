"""Name lookups a message can cost: unknown users are remembered like known ones, and a
message asks Slack about at most MAX_LOOKUPS people, on retries and previews too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender
from bridge_standins.stack import NEWS, SIGNING_SECRET, LocalStack, start_stack

from bridge.delivery.outbox import JobState
from bridge.translate.draft import MAX_LOOKUPS
from tests.e2e import MovableClock, job_state, wait_retrying

ALICE = "U0ALICE01"
BOB = "U0BOB0001"
UNKNOWN = [f"U9{n:07d}" for n in range(1000)]  # nobody in the workspace


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def stack(tmp_path: Path, clock: MovableClock) -> Iterator[LocalStack]:
    running = start_stack(tmp_path, clock=clock)
    yield running
    running.stop()


def asked_about(stack: LocalStack, users: set[str]) -> list[str]:
    calls = stack.slack.calls_to("users.info")
    return [str(c.params.get("user")) for c in calls if c.params.get("user") in users]


def test_a_thousand_unknown_mentions_cost_one_lookup_each_at_most_once(
    stack: LocalStack, clock: MovableClock
) -> None:
    """1,000 distinct unknown mentions: the first MAX_LOOKUPS are asked once each, none
    again on the retry or in the preview; the rest are plain names, never asked."""
    text = "Hi " + " ".join(f"<@{u}>" for u in UNKNOWN)
    msg = stack.slack.add_message(NEWS, {"user": ALICE, "text": text})
    stack.amity.fail_next(500, 500000, "Internal error")  # the first attempt is retried
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        slack.reaction(user=BOB, reaction="mega", channel=NEWS, ts=msg["ts"], item_user=ALICE)
        wait_retrying(stack, msg["ts"], 1)
        clock.advance(timedelta(minutes=15))
        wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
        asked = asked_about(stack, set(UNKNOWN))
        assert sorted(asked) == UNKNOWN[:MAX_LOOKUPS]  # in the message's order, once each
        answer = slack.shortcut(
            channel=NEWS, user=BOB, message=msg, response_url=stack.slack.response_url("p")
        )
        assert answer.status_code == 200
        wait_for(lambda: bool(stack.slack.calls_to("views.open")))
    assert asked_about(stack, set(UNKNOWN)) == asked
    [post] = stack.amity.posts
    assert post["data"]["text"].count("@unknown user") == len(UNKNOWN)


def test_unknown_users_are_remembered_like_known_ones(stack: LocalStack) -> None:
    """Two messages naming the same unknown person: one users.info, within the cache period."""
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        for n in range(2):
            msg = stack.slack.add_message(NEWS, {"user": ALICE, "text": f"{n} <@{UNKNOWN[0]}>"})
            slack.reaction(user=BOB, reaction="mega", channel=NEWS, ts=msg["ts"], item_user=ALICE)
            ts = str(msg["ts"])
            wait_for(lambda: job_state(stack, ts) is JobState.done)  # noqa: B023 - waited here
    assert asked_about(stack, {UNKNOWN[0]}) == [UNKNOWN[0]]
    assert [p["data"]["text"] for p in stack.amity.posts] == ["0 @unknown user", "1 @unknown user"]
