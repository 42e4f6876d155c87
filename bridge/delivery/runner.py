"""The runner: claims due jobs and runs each in a slot, renewing the leases of the jobs
in flight, until it is closed. It knows a job only as a row of the outbox: what running
one means is the function it is given (:meth:`bridge.delivery.worker.Worker.run`).

Each of ``Policy.workers`` slots claims one job at a time and, when it is done, claims the
next due one at once: a long upload holds its own slot only. A heartbeat writes the
process's row every ``Policy.pulse`` (:mod:`bridge.delivery.holders`), so a job whose
process died is taken over within ``Policy.alive`` plus one poll, and renews the jobs'
leases (the bound for a job claimed without a heartbeat); a process whose claim was taken
over meanwhile gets ``LeaseLost`` at its next write and drops the job (see
:mod:`bridge.delivery.outbox`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.exc import SQLAlchemyError

from bridge.delivery.outbox import Job, LeaseLost, Outbox
from bridge.delivery.policy import Policy

log = logging.getLogger("bridge.delivery.runner")


class Runner:
    """Slots that claim and run due jobs, and the heartbeat that keeps their leases."""

    def __init__(self, outbox: Outbox, policy: Policy, run: Callable[[Job], None]) -> None:
        self.outbox = outbox
        self.policy = policy
        self.run = run  # runs one claimed job to its next state
        self.stopping = threading.Event()
        self.pool = ThreadPoolExecutor(max_workers=policy.workers, thread_name_prefix="bridge-job")
        self._busy = 0  # slots running a job
        self._idle = threading.Condition()
        self._heart = threading.Thread(target=self._beat, name="bridge-heartbeat", daemon=True)
        self._heart_stop = threading.Event()

    def run_due(self) -> int:
        """Give each free slot a due job (each slot then claims the next job itself when
        it is done); returns how many jobs were handed out. Does not wait for them."""
        started = 0
        while not self.stopping.is_set():
            with self._idle:
                if self._busy >= self.policy.workers:
                    break
                self._busy += 1
            job = self._claim()
            if job is None:
                self._slot_done()
                break
            try:
                self.pool.submit(self._slot, job)
            except RuntimeError:  # closed meanwhile: the lease lapses, another process runs it
                self.outbox.release(job.id)
                self._slot_done()
                break
            started += 1
        return started

    def _claim(self) -> Job | None:
        with self._idle:
            if self._heart.ident is None and not self._heart_stop.is_set():
                self._pulse()  # the first claim already names a live holder
                self._heart.start()
        try:
            claimed = self.outbox.claim(1, self.policy.lease)
        except SQLAlchemyError:
            log.exception("bridge.claim_failed")
            return None
        return claimed[0] if claimed else None

    def _slot(self, job: Job | None) -> None:
        """Run ``job``, then the next due jobs, until none is due or the runner stops."""
        try:
            while job is not None:
                self.run_held(job)
                job = None if self.stopping.is_set() else self._claim()
        finally:
            self._slot_done()

    def _slot_done(self) -> None:
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def run_held(self, job: Job) -> None:
        """Run a job this process claimed; a lost claim drops it without a word."""
        try:
            self.run(job)
        except LeaseLost:
            log.warning("bridge.job_taken_over", extra={"job_id": job.id})
        finally:
            self.outbox.release(job.id)

    def _beat(self) -> None:
        """Write the process's heartbeat every pulse and renew the leases of the jobs in
        flight every ``Policy.heartbeat``, until the runner is closed."""
        renew_every = max(1, round(self.policy.heartbeat / self.policy.pulse))
        beats = 0
        while not self._heart_stop.wait(self.policy.pulse.total_seconds()):
            self._pulse()
            beats += 1
            if beats % renew_every:
                continue
            try:
                lost = self.outbox.renew(self.policy.lease)
            except SQLAlchemyError:
                log.exception("bridge.heartbeat_failed")
                continue
            for job_id in lost:
                log.warning("bridge.lease_lost", extra={"job_id": job_id})

    def _pulse(self) -> None:
        try:
            self.outbox.beat(self.policy.alive)
        except SQLAlchemyError:
            log.exception("bridge.heartbeat_failed")

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no job runs (at most ``timeout`` seconds); whether none does."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def close(self, wait: bool = True) -> None:
        """Stop claiming; with ``wait``, let running jobs finish (their leases renewed)."""
        self.stopping.set()
        self.pool.shutdown(wait=wait, cancel_futures=True)
        self._heart_stop.set()
        if wait and self._heart.ident is not None:  # no job left: nothing to take over
            self._heart.join(timeout=5)
            try:
                self.outbox.stop_beating()
            except SQLAlchemyError:
                log.exception("bridge.heartbeat_failed")
