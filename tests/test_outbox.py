"""The outbox on SQLite and PostgreSQL: idempotent enqueue, safe claims, state changes."""

from __future__ import annotations

import threading
from datetime import timedelta

from bridge.delivery.outbox import JobState, NewJob, Outbox
from bridge.delivery.progress import Progress
from bridge.slack.message import SlackMessage


def new_job(key: str = "T1:C1:1.000001:comm") -> NewJob:
    return NewJob(
        key=key,
        kind="message",
        team_id="T1",
        channel_id="C1",
        route_name="news",
        community_id="comm",
        post_id="slack-abc",
        requested_by="U1",
        message_ts="1.000001",
    )


def test_enqueue_twice_keeps_one_job(outbox: Outbox) -> None:
    """The same key enqueued twice is one job; the second call says it existed."""
    first, created = outbox.enqueue(new_job())
    second, created_again = outbox.enqueue(new_job())
    assert created and not created_again
    assert first.id == second.id
    assert len(outbox.recent()) == 1


def test_concurrent_enqueue_creates_one_job(outbox: Outbox) -> None:
    """Ten threads enqueueing one key at once create exactly one job."""
    results: list[bool] = []
    barrier = threading.Barrier(10)

    def go() -> None:
        barrier.wait()
        results.append(outbox.enqueue(new_job())[1])

    threads = [threading.Thread(target=go) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    assert len(outbox.recent()) == 1


def test_claim_takes_each_due_job_once(outbox: Outbox) -> None:
    """Claimed jobs are running and are not claimed again while leased."""
    for n in range(3):
        outbox.enqueue(new_job(f"k{n}"))
    claimed = outbox.claim(10, timedelta(minutes=5))
    assert sorted(j.key for j in claimed) == ["k0", "k1", "k2"]
    assert all(j.state is JobState.running and j.attempts == 1 for j in claimed)
    assert outbox.claim(10, timedelta(minutes=5)) == []


def test_expired_lease_is_claimed_again(outbox: Outbox) -> None:
    """A job whose worker died (lease expired) is claimed again, attempts counted."""
    outbox.enqueue(new_job())
    outbox.claim(1, timedelta(seconds=-1))
    again = Outbox(outbox.engine).claim(1, timedelta(minutes=5))  # another process
    assert len(again) == 1 and again[0].attempts == 2


def test_retry_later_is_not_due_until_its_time(outbox: Outbox) -> None:
    """A job put back with a delay is not claimed before it is due."""
    job, _ = outbox.enqueue(new_job())
    outbox.claim(1, timedelta(minutes=5))
    outbox.retry_later(job.id, "Amity down", timedelta(minutes=10))
    assert outbox.claim(1, timedelta(minutes=5)) == []
    stored = outbox.get(job.id)
    assert stored is not None and stored.state is JobState.pending
    assert stored.last_error == "Amity down"


def test_progress_and_finish_are_stored(outbox: Outbox) -> None:
    """Step results and the final state survive a fresh read."""
    job, _ = outbox.enqueue(new_job())
    progress = Progress(post_created=True, message=SlackMessage(ts="1.000001"))
    outbox.save_progress(job.id, progress, post_url="https://x/posts/1")
    outbox.finish(job.id, JobState.done)
    stored = outbox.get_by_key(job.key)
    assert stored is not None
    assert stored.state is JobState.done
    assert stored.progress.post_created is True
    assert stored.progress.message is not None and stored.progress.message.ts == "1.000001"
    assert stored.post_url == "https://x/posts/1"
    assert outbox.claim(1, timedelta(minutes=5)) == []
