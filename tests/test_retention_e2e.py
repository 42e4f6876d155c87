"""End to end: the running bridge prunes old posts, and they still follow their messages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from bridge_standins.server import wait_for
from bridge_standins.signed import JSON, SlackSender
from bridge_standins.slack_changes import message_changed_body, message_deleted_body
from bridge_standins.stack import COMMUNITY, NEWS, SIGNING_SECRET, TEAM, LocalStack, start_stack

from bridge.delivery.outbox import JobState
from bridge.delivery.progress import Progress
from bridge.delivery.retention import Pruner
from tests.e2e import MovableClock, find_job, job_state
from tests.store_dump import dump

ALICE, BOB = "U0ALICE01", "U0BOB0001"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def stack(tmp_path: Path, database_url: str, clock: MovableClock) -> Iterator[LocalStack]:
    running = start_stack(tmp_path, database_url=database_url, clock=clock)
    yield running
    running.stop()


def prune_on_next_poll(stack: LocalStack) -> None:
    """Make the worker's pruner due now (it runs every few minutes)."""
    [pruner] = [chore for chore in stack.bridge.housekeeping if isinstance(chore, Pruner)]
    pruner._next = None


def test_a_message_shared_40_days_ago_still_syncs_after_prune(
    stack: LocalStack, clock: MovableClock
) -> None:
    """The worker clears a 40-day-old share's text; an edit of the message then still
    updates the post, and its deletion still deletes it."""
    msg = stack.slack.add_message(NEWS, {"user": ALICE, "text": "Quarterly SECRETPLAN draft"})
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        assert slack.reaction(user=BOB, reaction="mega", channel=NEWS, ts=msg["ts"]).status_code
        key = f"{msg['ts']}:{COMMUNITY}"
        wait_for(lambda: job_state(stack, key) is JobState.done)
        created = find_job(stack, key)
        assert created is not None and created.progress.message is not None
        assert "SECRETPLAN" in dump(stack.bridge.outbox.engine)

        clock.advance(timedelta(days=40))
        prune_on_next_poll(stack)

        def pruned() -> bool:
            job = find_job(stack, key)
            return job is not None and job.progress == Progress()

        wait_for(pruned, message="the worker to prune the old job")
        assert "SECRETPLAN" not in dump(stack.bridge.outbox.engine)

        previous, new = stack.slack.edit_message(NEWS, msg["ts"], {"text": "Final plan"}, ALICE)
        assert slack.post(message_changed_body(TEAM, NEWS, previous, new), JSON).status_code
        wait_for(lambda: job_state(stack, ":edit:") is JobState.done)
        [(post_id, body)] = stack.amity.updates
        assert post_id == created.post_id and body["data"]["text"] == "Final plan"

        previous, _ = stack.slack.delete_message(NEWS, msg["ts"])
        assert slack.post(message_deleted_body(TEAM, NEWS, previous), JSON).status_code
        wait_for(lambda: job_state(stack, ":delete") is JobState.done)
        assert stack.amity.deleted == [created.post_id]
