"""Keeping a post true to its Slack message: the edit and delete jobs, and the order
they run in (their steps are :mod:`bridge.delivery.syncsteps`).

An edit (kind ``edit``) carries the edited message as JSON in the job's ``text``; a
delete (kind ``delete``) says why in ``text``: ``message_deleted`` or ``taken_back``
(then ``requested_by`` is who took it back). Both are jobs of the outbox, so they are
retried by the one failure rule, survive restarts and run in one place at a time.

They run in order per post: a sync job waits (without spending an attempt) while the
job that creates its post, or an older sync job of the same post, has not finished. An
edit that arrives while the post is being created is therefore applied after it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from bridge.delivery.jobs import Job, JobState, NewJob, jobs, to_job
from bridge.slack.message import SlackMessage

if TYPE_CHECKING:
    from bridge.delivery.outbox import Outbox

EDIT = "edit"
DELETE = "delete"
SYNC_KINDS = frozenset({EDIT, DELETE})
MESSAGE_DELETED = "message_deleted"
TAKEN_BACK = "taken_back"
OPEN = (JobState.pending, JobState.running)
WAIT = timedelta(seconds=1)  # how soon a waiting sync job looks again


def edit_job(created: Job, message: SlackMessage, edit_ts: str) -> NewJob:
    """The job that carries an edit of ``created``'s message to its post."""
    return _sync_job(created, EDIT, f"edit:{edit_ts}", message.model_dump_json(exclude_none=True))


def delete_job(created: Job, why: str, by: str | None = None) -> NewJob:
    """The job that deletes ``created``'s post (one per post, whatever asks for it)."""
    return _sync_job(created, DELETE, "delete", why, by)


def _sync_job(created: Job, kind: str, suffix: str, text: str, by: str | None = None) -> NewJob:
    return NewJob(
        key=f"{created.key}:{suffix}",
        kind=kind,
        team_id=created.team_id,
        channel_id=created.channel_id,
        message_ts=created.message_ts,
        thread_ts=created.thread_ts,
        route_name=created.route_name,
        community_id=created.community_id,
        post_id=created.post_id,
        requested_by=by or created.requested_by,
        text=text,
    )


def creator_of(outbox: Outbox, post_id: str) -> Job | None:
    """The job that creates (or created) ``post_id``."""
    query = select(jobs).where(jobs.c.post_id == post_id, jobs.c.kind.not_in(SYNC_KINDS))
    with outbox.engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return to_job(row) if row else None


def earlier_open(outbox: Outbox, job: Job) -> bool:
    """An older sync job of the same post has not finished."""
    query = select(jobs.c.id).where(
        jobs.c.post_id == job.post_id,
        jobs.c.kind.in_(SYNC_KINDS),
        jobs.c.id < job.id,
        jobs.c.state.in_(OPEN),
    )
    with outbox.engine.connect() as conn:
        return conn.execute(query.limit(1)).first() is not None


def postpone(outbox: Outbox, job: Job, until: datetime | None = None) -> None:
    """Put a claimed job back for later (at ``until`` when that is later than a second
    from now) without counting the attempt: it only waited."""
    delay = max(WAIT, (until - outbox.clock()) if until else WAIT)
    outbox.retry_later(job.id, "waiting for the post's earlier jobs", delay)
    with outbox.transaction() as conn:
        conn.execute(
            update(jobs)
            .where(jobs.c.id == job.id, jobs.c.attempts > 0)
            .values(attempts=jobs.c.attempts - 1, last_error=None)
        )
