"""Reading the outbox: a job by id or key, and the lists the commands and App Home show.

:class:`JobReads` is the read side of :class:`bridge.delivery.outbox.Outbox`; it only
reads, so it needs no claim and no write lock.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from bridge.delivery.jobs import Job, JobState, jobs, to_job


class JobReads:
    """Queries on the jobs table."""

    engine: Engine

    def get(self, job_id: int) -> Job | None:
        """The job with this id."""
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
        return to_job(row) if row else None

    def get_by_key(self, key: str) -> Job | None:
        """The job with this idempotency key."""
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs).where(jobs.c.key == key)).mappings().first()
        return to_job(row) if row else None

    def recent(self, limit: int = 20) -> list[Job]:
        """The newest jobs first."""
        query = select(jobs).order_by(jobs.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [to_job(row) for row in conn.execute(query).mappings()]

    def recent_in(self, team_id: str, states: tuple[JobState, ...], limit: int) -> list[Job]:
        """The newest jobs of a workspace in these states."""
        query = (
            select(jobs)
            .where(jobs.c.team_id == team_id, jobs.c.state.in_(states))
            .order_by(jobs.c.updated_at.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [to_job(row) for row in conn.execute(query).mappings()]

    def waiting(self, limit: int = 100) -> list[Job]:
        """Jobs that failed for a temporary reason and wait for their next try, soonest
        first (pending with at least one attempt)."""
        query = (
            select(jobs)
            .where(jobs.c.state == JobState.pending, jobs.c.attempts > 0)
            .order_by(jobs.c.next_run_at)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [to_job(row) for row in conn.execute(query).mappings()]

    def scheduled_by(self, team_id: str, user: str) -> list[Job]:
        """A person's scheduled posts that have not gone out yet, soonest first."""
        query = (
            select(jobs)
            .where(jobs.c.team_id == team_id, jobs.c.requested_by == user)
            .where(jobs.c.state == JobState.pending, jobs.c.scheduled_for.is_not(None))
            .order_by(jobs.c.scheduled_for)
        )
        with self.engine.connect() as conn:
            return [to_job(row) for row in conn.execute(query).mappings()]

    def count_by_state(self) -> dict[JobState, int]:
        """How many jobs are in each state."""
        query = select(jobs.c.state, func.count()).group_by(jobs.c.state)
        with self.engine.connect() as conn:
            counts = {row[0]: int(row[1]) for row in conn.execute(query)}
        return {state: counts.get(state, 0) for state in JobState}
