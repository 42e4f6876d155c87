"""Claims with tokens: heartbeat renewal, takeover, and a lost claim that changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bridge.delivery.outbox import JobState, LeaseLost, Outbox
from bridge.delivery.progress import Progress
from tests.test_outbox import new_job


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 9, 0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def two_processes(outbox: Outbox, clock: Clock) -> tuple[Outbox, Outbox]:
    """Two handles on one database, as two processes have."""
    return Outbox(outbox.engine, clock), Outbox(outbox.engine, clock)


def test_heartbeat_keeps_a_job_from_being_taken_over(outbox: Outbox, clock: Clock) -> None:
    """A job whose lease is renewed is not claimed by another process, however long it runs."""
    first, second = two_processes(outbox, clock)
    first.enqueue(new_job())
    (job,) = first.claim(1, timedelta(seconds=20))
    for _ in range(10):  # 100 s of work, renewed every 10 s
        clock.now += timedelta(seconds=10)
        assert first.renew(timedelta(seconds=20)) == []
        assert second.claim(1, timedelta(seconds=20)) == []
    first.finish(job.id, JobState.done)
    stored = first.get(job.id)
    assert stored is not None and stored.state is JobState.done and stored.claim is None


def test_expired_lease_is_taken_over_and_the_old_claim_changes_nothing(
    outbox: Outbox, clock: Clock
) -> None:
    """After takeover, the old holder can neither renew, save, nor finish the job."""
    first, second = two_processes(outbox, clock)
    first.enqueue(new_job())
    (job,) = first.claim(1, timedelta(seconds=20))
    clock.now += timedelta(seconds=21)  # the first process stalled past its lease
    (taken,) = second.claim(1, timedelta(seconds=20))
    assert taken.id == job.id and taken.claim != job.claim
    assert first.renew(timedelta(seconds=20)) == [job.id]
    with pytest.raises(LeaseLost):
        first.save_progress(job.id, Progress(reply_sent=True), timedelta(seconds=20))
    with pytest.raises(LeaseLost):
        first.finish(job.id, JobState.failed, error="too late")
    stored = second.get(job.id)
    assert stored is not None
    assert stored.state is JobState.running and stored.claim == taken.claim
    assert stored.progress == Progress() and stored.last_error is None
    second.finish(job.id, JobState.done)
    final = second.get(job.id)
    assert final is not None and final.state is JobState.done


def test_a_process_does_not_claim_a_job_it_still_runs(outbox: Outbox, clock: Clock) -> None:
    """A lapsed lease is for other processes to take: the holder's own claims skip the job."""
    first, second = two_processes(outbox, clock)
    first.enqueue(new_job())
    first.claim(1, timedelta(seconds=20))
    clock.now += timedelta(seconds=21)
    assert first.claim(1, timedelta(seconds=20)) == []
    assert len(second.claim(1, timedelta(seconds=20))) == 1


def test_retry_later_releases_the_claim(outbox: Outbox, clock: Clock) -> None:
    """A job put back to pending holds no claim and is due for anyone later."""
    first, second = two_processes(outbox, clock)
    job, _ = first.enqueue(new_job())
    first.claim(1, timedelta(seconds=20))
    first.retry_later(job.id, "Amity down", timedelta(seconds=5))
    assert not first.holds(job.id)
    clock.now += timedelta(seconds=6)
    (again,) = second.claim(1, timedelta(seconds=20))
    assert again.attempts == 2 and again.claim is not None


LEASE = timedelta(seconds=20)
ALIVE = timedelta(seconds=4)


def test_a_job_whose_holder_stopped_beating_is_taken_over_before_its_lease_ends(
    outbox: Outbox, clock: Clock
) -> None:
    """The holder's heartbeat expired (the process died): the job is claimable long before
    its 20 s lease would end, and the old claim changes nothing."""
    first, second = two_processes(outbox, clock)
    first.enqueue(new_job())
    first.beat(ALIVE)
    (job,) = first.claim(1, LEASE)
    clock.now += timedelta(seconds=3)
    assert second.claim(1, LEASE) == []  # still alive
    clock.now += timedelta(seconds=2)  # 5 s without a beat: gone, though the lease runs
    (taken,) = second.claim(1, LEASE)
    assert taken.id == job.id and taken.claim != job.claim
    assert first.renew(LEASE) == [job.id]
    with pytest.raises(LeaseLost):
        first.finish(job.id, JobState.done)


def test_a_beating_holder_keeps_its_job(outbox: Outbox, clock: Clock) -> None:
    """While the holder beats every second and renews its lease, nobody takes its job."""
    first, second = two_processes(outbox, clock)
    first.enqueue(new_job())
    first.beat(ALIVE)
    (job,) = first.claim(1, LEASE)
    for second_ in range(1, 60):
        clock.now += timedelta(seconds=1)
        first.beat(ALIVE)
        if second_ % 5 == 0:
            assert first.renew(LEASE) == []
        assert second.claim(1, LEASE) == []
    first.finish(job.id, JobState.done)


def test_a_paused_holder_that_beats_again_cannot_write_after_the_takeover(
    outbox: Outbox, clock: Clock
) -> None:
    """A process paused past its heartbeat loses the job; beating again gives it nothing
    back: its renewals and writes are refused, the new holder's stand."""
    first, second = two_processes(outbox, clock)
    first.enqueue(new_job())
    first.beat(ALIVE)
    (job,) = first.claim(1, LEASE)
    clock.now += timedelta(seconds=10)
    second.beat(ALIVE)
    (taken,) = second.claim(1, LEASE)
    first.beat(ALIVE)  # it wakes up
    assert first.renew(LEASE) == [job.id]
    with pytest.raises(LeaseLost):
        first.save_progress(job.id, Progress(reply_sent=True), LEASE)
    stored = second.get(job.id)
    assert stored is not None and stored.claim == taken.claim
    assert stored.progress == Progress()


def test_a_job_claimed_without_a_heartbeat_waits_for_its_lease(
    outbox: Outbox, clock: Clock
) -> None:
    """A claim by a handle that never beat names no holder: only its lease decides."""
    first, second = two_processes(outbox, clock)
    first.enqueue(new_job())
    first.claim(1, LEASE)
    clock.now += timedelta(seconds=19)
    assert second.claim(1, LEASE) == []
    clock.now += timedelta(seconds=2)
    assert len(second.claim(1, LEASE)) == 1


def test_a_stopped_process_deletes_its_heartbeat(outbox: Outbox, clock: Clock) -> None:
    """After ``stop_beating`` a job still naming the process is free at once."""
    first, second = two_processes(outbox, clock)
    first.enqueue(new_job())
    first.beat(ALIVE)
    first.claim(1, LEASE)
    first.stop_beating()
    assert len(second.claim(1, LEASE)) == 1
