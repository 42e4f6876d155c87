"""A worker whose job was taken over stays silent; a reply is never sent twice."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender
from bridge_standins.stack import BOT_TOKEN, NEWS, SIGNING_SECRET, LocalStack, start_stack
from slack_sdk import WebClient
from sqlalchemy import update

from bridge.delivery.outbox import JobState, Outbox, jobs, make_engine
from bridge.delivery.progress import Progress
from tests.e2e import find_job, job_state


def react(stack: LocalStack, text: str) -> str:
    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": text})
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        answer = slack.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
        assert answer.status_code == 200
    return str(msg["ts"])


def test_a_worker_whose_job_was_taken_over_neither_replies_nor_finishes(
    tmp_path: Path, database_url: str
) -> None:
    """Claim taken by another process mid-post: the first worker drops the job silently."""
    stack = start_stack(tmp_path, database_url=database_url, BRIDGE_LEASE_SECONDS=60)
    other = Outbox(make_engine(database_url))
    try:
        stack.amity.delay_seconds = 1.0
        ts = react(stack, "taken over")
        wait_for(lambda: any(r.path == "/api/v4/posts" for r in stack.amity.requests))
        with other.engine.begin() as conn:  # as if the first worker had stalled past its lease
            conn.execute(update(jobs).values(lease_until=datetime(2000, 1, 1)))
        (taken,) = other.claim(1, timedelta(minutes=5))
        wait_for(lambda: stack.amity.post_count() == 1)
        assert stack.bridge.worker.wait_idle(timeout=10)
        job = find_job(stack, ts)
        assert job is not None
        assert job.state is JobState.running and job.claim == taken.claim
        assert not job.progress.post_created
        assert stack.slack.posted == [] and stack.slack.reactions_added == []
    finally:
        other.engine.dispose()
        stack.stop()


@pytest.mark.parametrize("replied_before_crash", [True, False])
def test_an_attempt_after_a_crash_mid_reply_replies_only_if_the_thread_lacks_it(
    tmp_path: Path, database_url: str, replied_before_crash: bool
) -> None:
    """A crash between intent and record: the reply is looked up, sent only when missing."""
    stack = start_stack(tmp_path, database_url=database_url, start_worker=False)
    try:
        ts = react(stack, "crash mid-reply")
        job = find_job(stack, ts)
        assert job is not None
        url = stack.settings.post_url(job.post_id, job.community_id)
        progress = Progress(post_created=True, reply_started=time.time())
        stack.bridge.outbox.save_progress(job.id, progress)
        if replied_before_crash:
            client = WebClient(token=BOT_TOKEN, base_url=stack.slack.url + "/api/")
            client.chat_postMessage(channel=NEWS, thread_ts=ts, text=f"Shared: {url}")
        stack.bridge.worker.run_due()
        wait_for(lambda: job_state(stack, ts) is JobState.done)
        assert [p.thread_ts for p in stack.slack.posted] == [ts]
        assert url in stack.slack.posted[0].text
        assert len(stack.slack.reactions_added) == 1
    finally:
        stack.stop()
