"""End to end: an attempt ended by an unexpected error (a bug, or a message the bridge
cannot handle) is retried a few times, then the job fails and the person is told; it
never loops for the whole retry window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender
from bridge_standins.stack import NEWS, SIGNING_SECRET, LocalStack, start_stack

from bridge.delivery.outbox import JobState
from tests.e2e import MovableClock, find_job

BOB = "U0BOB0001"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def stack(tmp_path: Path, database_url: str, clock: MovableClock) -> Iterator[LocalStack]:
    running = start_stack(tmp_path, database_url=database_url, clock=clock)
    yield running
    running.stop()


def run_out(stack: LocalStack, clock: MovableClock, ts: str, limit: int = 30) -> None:
    """Move the clock past each retry's wait until the job has ended."""
    tried = 0

    def resting() -> bool:  # tried once more than before, and not running now
        job = find_job(stack, ts)
        return job is not None and job.attempts > tried and job.state is not JobState.running

    for _ in range(limit):
        wait_for(resting)
        job = find_job(stack, ts)
        assert job is not None
        if job.state in (JobState.failed, JobState.done):
            return
        tried = job.attempts
        clock.advance(timedelta(minutes=10))
        stack.bridge.wake()
    raise AssertionError("the job kept being retried")


def test_an_unreadable_answer_from_slack_fails_with_an_internal_error(
    stack: LocalStack, clock: MovableClock
) -> None:
    """Slack answering the message with a shape the bridge cannot read raises inside the
    worker (not a known failure): five tries, then failed, saying it was an internal error."""
    msg = stack.slack.add_message(NEWS, {"user": BOB, "text": "odd", "files": "not a list"})
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        assert slack.reaction(user=BOB, reaction="mega", channel=NEWS, ts=msg["ts"])
    run_out(stack, clock, msg["ts"])
    job = find_job(stack, msg["ts"])
    assert job is not None and job.state is JobState.failed and job.attempts == 5
    wait_for(lambda: any(e.user == BOB for e in stack.slack.ephemerals))
    [told] = [e for e in stack.slack.ephemerals if e.user == BOB]
    assert told.text == (
        "Could not share this message to *announcements*: an internal error "
        "(ValidationError) stopped it 5 times; an admin can see `bridge jobs`"
    )
