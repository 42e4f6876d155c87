"""The outbox: one durable row per post to make, keyed so that a trigger is idempotent.

States (``JobState``) move ``pending → running → done | failed | cancelled``; a running
job whose lease has expired, or whose process stopped beating (``bridge.delivery.holders``),
may be claimed again. Claims are safe across threads and processes: candidates are
selected ``FOR UPDATE SKIP LOCKED`` where the database has it (PostgreSQL) and each claim
is a guarded ``UPDATE`` that only one claimer can win. SQLite and PostgreSQL run the same
code. Each claim writes a fresh token in ``jobs.claim``, which this process remembers:
every later write for a held job is guarded by it, so once another process has claimed
the job the old holder's writes change nothing and raise ``LeaseLost`` (it can neither
renew the lease nor finish the job over the new owner).
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, or_, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bridge.delivery import holders as _holders
from bridge.delivery import links as _links  # noqa: F401 (its table joins the metadata)
from bridge.delivery.acks import Writers, ack_engine, insert_one
from bridge.delivery.jobs import (
    Clock,
    Job,
    JobState,
    NewJob,
    jobs,
    make_engine,
    metadata,
    utc_now,
)
from bridge.delivery.progress import Progress
from bridge.delivery.reads import JobReads

__all__ = [
    "Clock",
    "Job",
    "JobState",
    "LeaseLost",
    "NewJob",
    "Outbox",
    "jobs",
    "make_engine",
    "metadata",
    "utc_now",
]
INSERT_JOB = jobs.insert().returning(jobs.c.id)


class LeaseLost(Exception):
    """The job was taken over by another claim (this one's lease expired): drop it."""


def new_token() -> str:
    """A claim token that also says who holds the job (host and process id)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(6)}"


class Outbox(JobReads):
    """The jobs table and the operations on it (the reads are :class:`JobReads`)."""

    def __init__(self, engine: Engine, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock
        # SQLite has one writer at a time and makes waiting writers sleep and poll (up to
        # 100 ms a nap); queueing this process's writers on a lock hands over at once.
        writers = Writers() if engine.dialect.name == "sqlite" else None
        self._writes: AbstractContextManager[object] = writers or nullcontext()
        self._ack_writes = writers.first if writers else nullcontext  # goes first
        self._acks = ack_engine(engine)  # what intake's insert runs on
        self._held: dict[int, str] = {}  # job id → claim token, for jobs this process runs
        self._held_lock = threading.Lock()
        self.holder = new_token()  # this handle's heartbeat row (``bridge.delivery.holders``)
        self._alive_until: datetime | None = None  # what its last heartbeat wrote

    def create_schema(self) -> None:
        """Create or upgrade the schema (Alembic migrations)."""
        from bridge.delivery.migrate import migrate  # noqa: PLC0415 (migrations import this module)

        migrate(self.engine)

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self._writes, self.engine.begin() as conn:
            yield conn

    def transaction(self) -> AbstractContextManager[Connection]:
        """A write transaction on the store (queued behind this process's other writers)."""
        return self._tx()

    def enqueue(self, new: NewJob, run_at: datetime | None = None) -> tuple[Job, bool]:
        """Store ``new`` unless its key exists. Returns the stored job and whether it is new."""
        now = self.clock()
        values = {k: getattr(new, k) for k in NewJob.__dataclass_fields__}
        values |= {"state": JobState.pending, "attempts": 0, "progress": Progress()}
        values |= {"next_run_at": run_at or now, "created_at": now, "updated_at": now}
        try:
            # one compiled statement, values as parameters (bridge.delivery.acks)
            job_id = insert_one(self._acks, self._ack_writes, INSERT_JOB, values)
        except IntegrityError:
            existing = self.get_by_key(new.key)
            if existing is None:  # deleted between the insert and the read: try once more
                return self.enqueue(new, run_at)
            return existing, False
        return Job(id=job_id, **values), True

    def claim(self, limit: int, lease: timedelta) -> list[Job]:
        """Take up to ``limit`` due jobs (or jobs whose lease expired) for this process."""
        now = self.clock()
        due = or_(
            (jobs.c.state == JobState.pending) & (jobs.c.next_run_at <= now),
            (jobs.c.state == JobState.running)
            & ((jobs.c.lease_until < now) | _holders.holder_gone(now)),
        )
        alive = self._alive_until is not None and self._alive_until > now
        holder = self.holder if alive else None  # without a heartbeat, the lease alone
        query = select(jobs.c.id).where(due).order_by(jobs.c.next_run_at).limit(limit)
        with self._held_lock:
            held = list(self._held)
        if held:  # a job this process still runs (its lease lapsed) is not taken twice
            query = query.where(jobs.c.id.not_in(held))
        claimed: dict[int, str] = {}
        with self._tx() as conn:
            ids = conn.execute(query.with_for_update(skip_locked=True)).scalars().all()
            for job_id in ids:
                token = new_token()
                won = conn.execute(
                    update(jobs)
                    .where((jobs.c.id == job_id) & due)
                    .values(
                        state=JobState.running,
                        lease_until=now + lease,
                        claim=token,
                        holder=holder,
                        attempts=jobs.c.attempts + 1,
                        updated_at=now,
                    )
                )
                if won.rowcount == 1:
                    claimed[job_id] = token
        with self._held_lock:
            self._held.update(claimed)
        return [job for job_id in claimed if (job := self.get(job_id)) is not None]

    def renew(self, lease: timedelta) -> list[int]:
        """Extend the lease of every job this process holds; returns the ids it lost."""
        with self._held_lock:
            held = dict(self._held)
        if not held:
            return []
        until = self.clock() + lease
        lost = []
        with self._tx() as conn:
            for job_id, token in held.items():
                renewed = conn.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id, jobs.c.claim == token)
                    .where(jobs.c.state == JobState.running)
                    .values(lease_until=until)
                )
                if renewed.rowcount == 0:
                    lost.append(job_id)
        return lost

    def beat(self, alive: timedelta) -> None:
        """This process's heartbeat: its jobs are not taken over for ``alive`` from now."""
        now = self.clock()
        with self._tx() as conn:
            if self._alive_until is None:
                _holders.sweep(conn, now)
            _holders.beat(conn, self.holder, now + alive)
        self._alive_until = now + alive

    def stop_beating(self) -> None:
        """Delete this process's heartbeat (it holds no job any more)."""
        self._alive_until = None
        with self._tx() as conn:
            _holders.forget(conn, self.holder)

    def holds(self, job_id: int) -> bool:
        """Whether this process holds a claim on the job."""
        with self._held_lock:
            return job_id in self._held

    def release(self, job_id: int) -> None:
        """Forget this process's claim on a job (it ended, or was lost)."""
        with self._held_lock:
            self._held.pop(job_id, None)

    def save_progress(
        self,
        job_id: int,
        progress: Progress,
        lease: timedelta | None = None,
        post_url: str | None = None,
    ) -> None:
        """Record the results of finished steps (and extend the lease while working)."""
        extra: dict[str, Any] = {"lease_until": self.clock() + lease} if lease else {}
        if post_url is not None:
            extra["post_url"] = post_url
        self._set(job_id, progress=progress, **extra)

    def schedule(self, job_id: int, when: datetime, progress: Progress) -> None:
        """Make a claimed job wait until ``when`` (a scheduled post); attempts start over."""
        self._set(
            job_id,
            state=JobState.pending,
            next_run_at=when,
            scheduled_for=when,
            attempts=0,
            lease_until=None,
            progress=progress,
            ending=True,
        )

    def cancel(self, job_id: int, team_id: str, user: str) -> bool:
        """Cancel a pending job of ``user``; False when there is no such job."""
        with self._tx() as conn:
            done = conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.team_id == team_id)
                .where(jobs.c.requested_by == user, jobs.c.state == JobState.pending)
                .values(
                    state=JobState.cancelled,
                    last_error="cancelled by its author",
                    updated_at=self.clock(),
                )
            )
        return done.rowcount == 1

    def retry_now(self, job_id: int) -> bool:
        """Put a failed job back in the queue with fresh attempts; False if not failed."""
        now = self.clock()
        with self._tx() as conn:
            done = conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.state == JobState.failed)
                .values(state=JobState.pending, attempts=0, next_run_at=now, updated_at=now)
            )
        return done.rowcount == 1

    def finish(
        self,
        job_id: int,
        state: JobState,
        *,
        error: str | None = None,
        progress: Progress | None = None,
    ) -> None:
        """End a job (done, failed or cancelled), with its last step's result."""
        extra = {"waiting_on": None} | ({} if progress is None else {"progress": progress})
        self._set(job_id, state=state, last_error=error, lease_until=None, ending=True, **extra)

    def retry_later(
        self, job_id: int, error: str, delay: timedelta, waiting_on: str | None = None
    ) -> None:
        """Put a job back to pending, due after ``delay`` (``waiting_on``: the service
        whose circuit it waits for, :mod:`bridge.delivery.breaker`)."""
        run_at = self.clock() + delay
        self._set(
            job_id,
            state=JobState.pending,
            last_error=error,
            next_run_at=run_at,
            waiting_on=waiting_on,
            lease_until=None,
            ending=True,
        )

    def _set(self, job_id: int, *, ending: bool = False, **values: Any) -> None:
        """Update a job; for a job this process holds, only while its claim is current
        (else ``LeaseLost``). ``ending``: the claim ends with this write."""
        with self._held_lock:
            token = self._held.get(job_id)
        statement = update(jobs).where(jobs.c.id == job_id)
        if token is not None:
            statement = statement.where(jobs.c.claim == token, jobs.c.state == JobState.running)
        if ending:
            values["claim"] = None
        with self._tx() as conn:
            changed = conn.execute(statement.values(updated_at=self.clock(), **values))
        if token is not None and changed.rowcount == 0:  # stays held: later writes fail too
            raise LeaseLost(f"job {job_id} was taken over by another claim")
        if token is not None and ending:
            self.release(job_id)
