"""Circuit breakers, one per service the bridge calls (Amity, Slack), kept in the store so
every process shares them (the ``circuits`` table).

States of a service's circuit::

    closed ──a job fails on it (5xx, network)──▶ open ──probe_at comes──▶ half-open
      ▲                                            ▲                          │
      └──────── the probe job gets through ◀───────┴── the probe fails ◀──────┘

A job that fails on a service for a transient reason (not a rate limit: that proves the
service answers) waits on it (``jobs.waiting_on``) and opens its circuit. While a
circuit is open, a waiting job whose own retry comes does not call the service: it is
settled as still delayed (so its one "delayed" notice goes out as before) and backs off
again. Instead, one job at a time probes the service: :meth:`Breaker.tick` (every poll)
makes the oldest waiting job due when ``probe_at`` has come, at most every
``PROBE_CAP``. When a job waiting on a service gets through, the circuit closes and every
job waiting on that service is due again at once, ``spread`` apart in the order they
came (the shared rate budget spaces their requests); a tick also frees any job still
waiting on a closed circuit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bridge.delivery.jobs import JobState, circuits, jobs
from bridge.delivery.outbox import Job, Outbox
from bridge.failures import Failure, Retryable
from bridge.slack.api import SlackError

log = logging.getLogger("bridge.delivery.breaker")
SERVICES = {"Amity": "amity", "Slack": "slack"}  # a failure's service → its circuit
NAMES = {key: name for name, key in SERVICES.items()}
PROBE_FIRST = 1.0  # seconds from the first failure to the first probe
PROBE_CAP = 5.0  # the longest wait between two probes, in seconds
SPREAD = timedelta(milliseconds=10)  # between two released jobs (their order is kept)
WAITING = (JobState.pending, JobState.running)
RATED = "ratelimited"  # Slack's rate limit, even without a Retry-After


class ServiceDown(Retryable):
    """A job waiting on a service whose circuit is open: not tried, retried later."""

    def __init__(self, service: str, reason: str | None) -> None:
        name = NAMES.get(service, service)
        super().__init__(f"{name} is unavailable (waiting for it: {reason or 'no answer'})")
        self.service = name


def circuit_of(error: Failure) -> str | None:
    """The circuit a failure opens: a transient failure of Amity or Slack that is not a
    rate limit (a wait the service asked for proves it answers)."""
    if not isinstance(error, Retryable) or isinstance(error, ServiceDown):
        return None
    if error.retry_after is not None or (isinstance(error, SlackError) and error.error == RATED):
        return None
    return SERVICES.get(error.service)


def waits_on(error: Failure, job: Job) -> str | None:
    """The service a job that failed with ``error`` waits for (None: no circuit)."""
    return job.waiting_on if isinstance(error, ServiceDown) else circuit_of(error)


def probe_delay(failures: int) -> timedelta:
    """The wait before the next probe after ``failures`` failed ones: 1, 2, 4, then 5 s."""
    return timedelta(seconds=min(PROBE_CAP, PROBE_FIRST * 2.0 ** max(0, failures - 1)))


class Breaker:
    """The circuits of the services, in the store."""

    def __init__(self, outbox: Outbox, lease: timedelta, spread: timedelta = SPREAD) -> None:
        self.outbox = outbox
        self.lease = lease  # how long a probe may run before another job probes instead
        self.spread = spread

    def _circuit(self, conn: Connection, service: str) -> RowMapping | None:
        query = select(circuits).where(circuits.c.service == service)
        return conn.execute(query).mappings().first()

    def admits(self, job: Job) -> ServiceDown | None:
        """None when ``job`` may run; else why it waits (its circuit is open and another
        job, or none yet, probes the service)."""
        if job.waiting_on is None:
            return None
        with self.outbox.engine.connect() as conn:
            row = self._circuit(conn, job.waiting_on)
        if row is None or row["failing_since"] is None or row["probe_job"] == job.id:
            return None
        return ServiceDown(job.waiting_on, row["last_error"])

    def failed(self, service: str, job: Job, reason: str) -> None:
        """``job`` failed on ``service``: open its circuit, or count a failed probe."""
        now = self.outbox.clock()
        with self.outbox.transaction() as conn:
            row = self._circuit(conn, service)
            if row is not None:
                self._count(conn, row, job, now, reason)
                return
        try:  # the first failure of this service: its row (a racing process may win)
            with self.outbox.transaction() as conn:
                conn.execute(circuits.insert().values(service=service, failures=0))
        except IntegrityError:
            pass
        self.failed(service, job, reason)

    def _count(
        self, conn: Connection, row: RowMapping, job: Job, now: datetime, reason: str
    ) -> None:
        service = row["service"]
        if row["failing_since"] is None:
            opened = conn.execute(
                update(circuits)
                .where(circuits.c.service == service, circuits.c.failing_since.is_(None))
                .values(
                    failing_since=now,
                    failures=1,
                    probe_at=now + probe_delay(1),
                    probe_job=None,
                    probe_until=None,
                    last_error=reason,
                )
            )
            if opened.rowcount:
                log.warning("bridge.circuit_opened", extra={"service": service, "error": reason})
        elif row["probe_job"] == job.id:
            failures = int(row["failures"]) + 1
            conn.execute(
                update(circuits)
                .where(circuits.c.service == service, circuits.c.probe_job == job.id)
                .values(
                    failures=failures,
                    probe_job=None,
                    probe_until=None,
                    probe_at=now + probe_delay(failures),
                    last_error=reason,
                )
            )

    def ended(self, job: Job) -> None:
        """After an attempt of a job that waited on a service: if it got through (the job
        is done), close the circuit; if it was the probe, let another job probe."""
        if job.waiting_on is None:
            return
        try:
            stored = self.outbox.get(job.id)
            if stored is not None and stored.state is JobState.done:
                self.close(job.waiting_on)
                return
            with self.outbox.transaction() as conn:
                conn.execute(
                    update(circuits)
                    .where(circuits.c.service == job.waiting_on, circuits.c.probe_job == job.id)
                    .values(probe_job=None, probe_until=None, probe_at=self.outbox.clock())
                )
        except SQLAlchemyError:
            log.exception("bridge.circuit_update_failed", extra={"job_id": job.id})

    def close(self, service: str) -> int:
        """The service answers again: close its circuit and make every job waiting on
        it due now; returns how many were."""
        now = self.outbox.clock()
        with self.outbox.transaction() as conn:
            closed = conn.execute(
                update(circuits)
                .where(circuits.c.service == service, circuits.c.failing_since.is_not(None))
                .values(failing_since=None, failures=0, probe_job=None, probe_until=None)
            )
            released = self._release(conn, service, now)
        if closed.rowcount:
            log.info("bridge.circuit_closed", extra={"service": service, "released": released})
        return released

    def _release(self, conn: Connection, service: str, now: datetime) -> int:
        waiting = (jobs.c.waiting_on == service) & (jobs.c.state == JobState.pending)
        query = select(jobs.c.id).where(waiting).order_by(jobs.c.created_at, jobs.c.id)
        ids = conn.execute(query).scalars().all()
        for n, job_id in enumerate(ids):
            conn.execute(
                update(jobs)
                .where((jobs.c.id == job_id) & waiting)
                .values(next_run_at=now + self.spread * n, waiting_on=None)
            )
        return len(ids)

    def tick(self) -> None:
        """Every poll: start a probe where one is due, free jobs left waiting on a closed
        circuit, and close a circuit nothing waits on any more."""
        try:
            with self.outbox.engine.connect() as conn:
                rows = list(conn.execute(select(circuits)).mappings())
            for row in rows:
                self._tick(row)
        except SQLAlchemyError:
            log.exception("bridge.circuit_tick_failed")

    def _tick(self, row: RowMapping) -> None:
        service, now = str(row["service"]), self.outbox.clock()
        if row["failing_since"] is None:  # a job left waiting on it by a race goes now
            left = select(jobs.c.id).where(jobs.c.waiting_on == service).limit(1)
            with self.outbox.engine.connect() as conn:
                if conn.execute(left).first() is None:
                    return
            with self.outbox.transaction() as conn:
                released = self._release(conn, service, now)
            if released:
                log.info("bridge.circuit_released", extra={"service": service, "jobs": released})
            return
        probing = row["probe_job"] is not None and row["probe_until"] > now
        if probing or row["probe_at"] > now:
            return
        with self.outbox.transaction() as conn:
            self._probe(conn, service, now)

    def _probe(self, conn: Connection, service: str, now: datetime) -> None:
        """Make the oldest job waiting on ``service`` due now, as its probe."""
        waiting = (jobs.c.waiting_on == service) & (jobs.c.state.in_(WAITING))
        if not conn.execute(select(func.count()).where(waiting)).scalar_one():
            conn.execute(  # nothing waits: the next job to fail opens it again
                update(circuits)
                .where(circuits.c.service == service)
                .values(failing_since=None, failures=0, probe_job=None, probe_until=None)
            )
            return
        pending = waiting & (jobs.c.state == JobState.pending)
        query = select(jobs.c.id).where(pending).order_by(jobs.c.created_at, jobs.c.id).limit(1)
        job_id = conn.execute(query).scalar_one_or_none()
        if job_id is None:
            return
        free = (circuits.c.probe_job.is_(None)) | (circuits.c.probe_until <= now)
        won = conn.execute(
            update(circuits)
            .where(circuits.c.service == service, circuits.c.failing_since.is_not(None))
            .where(free, circuits.c.probe_at <= now)
            .values(probe_job=job_id, probe_until=now + self.lease)
        )
        if won.rowcount:
            due_now = update(jobs).where((jobs.c.id == job_id) & pending).values(next_run_at=now)
            conn.execute(due_now)
            log.info("bridge.circuit_probe", extra={"service": service, "job_id": job_id})
