"""Retention: what the store keeps of a post once its job has been finished for a while.

Past the retention (``BRIDGE_RETENTION_DAYS``) a finished job (done, failed, cancelled)
loses its message text, its progress (which holds the fetched message), its errors, its
response URL, its time phrase and the text set in the preview for its post. What
remains is what edits, deletions, take-backs and de-duplication need: its key, post ID,
channel and ts, route, requester, state and times, marked with ``pruned_at``, and who
wrote the message (``author``), so that erasure still finds the posts of a person. A
finished edit job only carried an edited message to its post, so it is removed whole.
Approval requests and Amity sessions past their expiry are removed too.

Work goes in small batches, each its own short transaction: the candidates are picked
``FOR UPDATE SKIP LOCKED`` on PostgreSQL (several instances prune side by side without
waiting for each other), and every write is guarded, so a row pruned twice is pruned
once. The worker runs :class:`Pruner` before its polls; ``python -m bridge prune`` runs
:func:`prune` to the end.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Engine, case, delete, func, select, type_coerce, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from bridge.delivery.jobs import Clock, JobState, amity_sessions, approvals, jobs, utc_now
from bridge.delivery.links import post_links
from bridge.delivery.progress import Progress

log = logging.getLogger("bridge.delivery.retention")
FINISHED = (JobState.done, JobState.failed, JobState.cancelled)
EDIT = "edit"  # the kind of an edit job (see bridge.delivery.sync)
WAITING = "waiting"
BATCH = 500
# A waiting request past its time is announced as expired by the poll; one still waiting
# this long after was never going to be (the bridge was stopped): it goes too.
UNANNOUNCED_GRACE = timedelta(days=1)
CLEARED = {
    "text": None,
    "progress": Progress(),
    "last_error": None,
    "response_url": None,
    "when": None,
}


@dataclass
class Pruned:
    """What a prune removed (or, on a dry run, would remove)."""

    cleared: int = 0  # finished jobs whose content was cleared
    edits: int = 0  # finished edit jobs removed
    approvals: int = 0  # approval requests past their expiry removed
    sessions: int = 0  # Amity sessions past their expiry removed

    def __iadd__(self, other: Pruned) -> Pruned:
        self.cleared += other.cleared
        self.edits += other.edits
        self.approvals += other.approvals
        self.sessions += other.sessions
        return self

    @property
    def total(self) -> int:
        """How many rows were changed or removed."""
        return self.cleared + self.edits + self.approvals + self.sessions


def author_of(kind: str, requested_by: str, progress: Any) -> str | None:
    """Who wrote a job's message: the fetched message's author, or who typed the text."""
    if kind == "text":
        return requested_by
    if isinstance(progress, str):  # drivers without a JSON type
        progress = json.loads(progress)
    message = (progress or {}).get("message") or {}
    user = message.get("user") if isinstance(message, dict) else None
    return user if isinstance(user, str) else None


def _due_jobs(cutoff: datetime) -> ColumnElement[bool]:
    return jobs.c.pruned_at.is_(None) & (jobs.c.updated_at < cutoff) & jobs.c.state.in_(FINISHED)


def _due_approvals(now: datetime) -> ColumnElement[bool]:
    return (approvals.c.expires_at < now - UNANNOUNCED_GRACE) | (
        (approvals.c.expires_at < now) & (approvals.c.state != WAITING)
    )


def prune_batch(engine: Engine, retention: timedelta, now: datetime, limit: int = BATCH) -> Pruned:
    """Prune at most ``limit`` jobs, approvals and sessions, in one short transaction."""
    cutoff = now - retention
    done = Pruned()
    with engine.begin() as conn:
        pick = (
            select(
                jobs.c.id,
                jobs.c.kind,
                jobs.c.requested_by,
                type_coerce(jobs.c.progress, JSON),
                jobs.c.state,
                jobs.c.post_id,
            )
            .where(_due_jobs(cutoff))
            .order_by(jobs.c.updated_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = conn.execute(pick).all()
        edits = [row[0] for row in rows if row[1] == EDIT]
        authors: dict[int, str] = {}  # who wrote each cleared job's message, when known
        others: list[int] = []
        posted: list[str] = []
        unposted: list[str] = []
        for job_id, kind, requested_by, progress, state, post_id in rows:
            if kind == EDIT:
                continue
            others.append(job_id)
            if (author := author_of(kind, requested_by, progress)) is not None:
                authors[job_id] = author
            (posted if state is JobState.done else unposted).append(post_id)
        guard = _due_jobs(cutoff)
        if edits:
            done.edits = conn.execute(delete(jobs).where(jobs.c.id.in_(edits) & guard)).rowcount
        if others:
            written = case(authors, value=jobs.c.id, else_=None) if authors else None
            done.cleared = conn.execute(
                update(jobs)
                .where(jobs.c.id.in_(others) & guard)
                .values(pruned_at=now, author=written, **CLEARED)
            ).rowcount
        forget_preview_texts(conn, posted, unposted)
        stale = select(approvals.c.id).where(_due_approvals(now)).limit(limit)
        stale = stale.with_for_update(skip_locked=True)
        ids = conn.execute(stale).scalars().all()
        if ids:
            done.approvals = conn.execute(
                delete(approvals).where(approvals.c.id.in_(ids) & _due_approvals(now))
            ).rowcount
        expired = amity_sessions.c.expires_at < now
        users = select(amity_sessions.c.user_id).where(expired).limit(limit)
        names = conn.execute(users.with_for_update(skip_locked=True)).scalars().all()
        if names:
            done.sessions = conn.execute(
                delete(amity_sessions).where(amity_sessions.c.user_id.in_(names) & expired)
            ).rowcount
    return done


def forget_preview_texts(conn: Connection, posted: list[str], unposted: list[str]) -> None:
    """Clear the texts set in the preview for these posts. A post that exists keeps an
    empty text there, which still says that the preview set its text (so Slack edits
    are not applied to it); a share that made no post loses it."""
    has_text = post_links.c.text_override.is_not(None) & (post_links.c.text_override != "")
    if posted:
        conn.execute(
            update(post_links)
            .where(post_links.c.post_id.in_(posted) & has_text)
            .values(text_override="")
        )
    if unposted:
        conn.execute(
            update(post_links)
            .where(post_links.c.post_id.in_(unposted) & post_links.c.text_override.is_not(None))
            .values(text_override=None)
        )


def would_prune(engine: Engine, retention: timedelta, now: datetime) -> Pruned:
    """What :func:`prune` would remove now, changing nothing."""
    due = _due_jobs(now - retention)
    count = select(func.count()).select_from(jobs)
    with engine.connect() as conn:
        return Pruned(
            cleared=conn.execute(count.where(due & (jobs.c.kind != EDIT))).scalar_one(),
            edits=conn.execute(count.where(due & (jobs.c.kind == EDIT))).scalar_one(),
            approvals=conn.execute(
                select(func.count()).select_from(approvals).where(_due_approvals(now))
            ).scalar_one(),
            sessions=conn.execute(
                select(func.count())
                .select_from(amity_sessions)
                .where(amity_sessions.c.expires_at < now)
            ).scalar_one(),
        )


def prune(
    engine: Engine,
    retention: timedelta,
    clock: Clock = utc_now,
    *,
    limit: int = BATCH,
    budget: float | None = None,
) -> Pruned:
    """Prune batch after batch until nothing is left (or ``budget`` seconds have gone)."""
    total = Pruned()
    started = time.monotonic()
    while True:
        batch = prune_batch(engine, retention, clock(), limit)
        total += batch
        if batch.total == 0 or (budget is not None and time.monotonic() - started >= budget):
            return total


class Pruner:
    """The worker's chore: a prune of at most ``budget`` seconds every ``every``."""

    def __init__(
        self,
        engine: Engine,
        retention: timedelta,
        clock: Clock = utc_now,
        *,
        every: timedelta = timedelta(minutes=5),
        budget: float = 0.5,
    ) -> None:
        self.engine = engine
        self.retention = retention
        self.clock = clock
        self.every = every
        self.budget = budget
        self._next: float | None = None  # monotonic time of the next run

    def __call__(self) -> None:
        """Prune if it is time (called before each poll; cheap when it is not)."""
        now = time.monotonic()
        if self._next is not None and now < self._next:
            return
        self._next = now + self.every.total_seconds()
        try:
            done = prune(self.engine, self.retention, self.clock, budget=self.budget)
        except SQLAlchemyError:
            log.exception("bridge.prune_failed")
            return
        if done.total:
            log.info(
                "bridge.pruned",
                extra={
                    "cleared": done.cleared,
                    "edits": done.edits,
                    "approvals": done.approvals,
                    "sessions": done.sessions,
                },
            )
