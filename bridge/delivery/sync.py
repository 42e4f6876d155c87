"""Keeping a post true to its Slack message: edit and delete jobs.

An edit (kind ``edit``) carries the edited message as JSON in the job's ``text``; a
delete (kind ``delete``) says why in ``text``: ``message_deleted`` or ``taken_back``
(then ``requested_by`` is who took it back). Both are jobs of the outbox, so they are
retried by the one failure rule, survive restarts and run in one place at a time.

They run in order per post: a sync job waits (without spending an attempt) while the
job that creates its post, or an older sync job of the same post, has not finished. An
edit that arrives while the post is being created is therefore applied after it.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from bridge.amity.post import MAX_HASHTAG_LENGTH, MAX_HASHTAGS, CreatePost, PostData, to_update_post
from bridge.delivery.jobs import Job, JobState, NewJob, jobs, to_job
from bridge.delivery.links import Links, PostState
from bridge.slack.api import SlackError
from bridge.slack.message import SlackMessage
from bridge.translate.draft import to_create_post, with_footer

if TYPE_CHECKING:
    from bridge.delivery.outbox import Outbox
    from bridge.delivery.worker import Worker

log = logging.getLogger("bridge.delivery.sync")

EDIT = "edit"
DELETE = "delete"
SYNC_KINDS = frozenset({EDIT, DELETE})
MESSAGE_DELETED = "message_deleted"
TAKEN_BACK = "taken_back"
OPEN = (JobState.pending, JobState.running)
WAIT = timedelta(seconds=1)  # how soon a waiting sync job looks again


HASHTAG = re.compile(r"(?<![\w#])#(\w+)")


def hashtags_in(text: str) -> list[str]:
    """The ``#hashtags`` of a plain text, once each, as Amity takes them."""
    found = [t for t in dict.fromkeys(HASHTAG.findall(text)) if len(t) <= MAX_HASHTAG_LENGTH]
    return found[:MAX_HASHTAGS]


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


def _earlier_open(outbox: Outbox, job: Job) -> bool:
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


class Syncer:
    """Runs edit and delete jobs for a :class:`Worker`."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.outbox = worker.outbox
        self.links = Links(worker.outbox.engine)

    def run(self, job: Job) -> None:
        """Run a claimed sync job, or put it back until its post's earlier jobs end."""
        created = creator_of(self.outbox, job.post_id)
        if created is None or created.state in (JobState.failed, JobState.cancelled):
            self._end(job, JobState.cancelled, "the post was never created")
            return
        if created.state is not JobState.done:
            postpone(self.outbox, job, created.next_run_at)
            return
        if _earlier_open(self.outbox, job):
            postpone(self.outbox, job)
            return
        link = self.links.get(job.post_id)
        if link is not None and link.state is PostState.removed:
            self._end(job, JobState.cancelled, "the post was removed")
        elif job.kind == EDIT:
            self._edit(job, created, link.text_override if link else None)
        else:
            self._delete(job)

    def with_preview(self, job: Job, body: CreatePost) -> CreatePost:
        """``body`` with what the preview set for this post: its text (then without the
        message's mentions and links, which belonged to the old text), tags and
        discoverability."""
        link = self.links.get(job.post_id)
        if link is None:
            return body
        update: dict[str, Any] = {"tags": link.tags, "isDiscoverable": link.discoverable}
        if link.text_override is not None:
            metadata = {k: v for k, v in (body.metadata or {}).items() if k != "mentioned"}
            update |= {
                "data": PostData(text=link.text_override),
                "links": None,
                "mentionees": None,
                "hashtags": hashtags_in(link.text_override) or None,
                "metadata": metadata,
            }
        return body.model_copy(update=update)

    def _end(self, job: Job, state: JobState, why: str | None = None) -> None:
        self.outbox.finish(job.id, state, error=why)
        log.info("bridge.sync_%s", state.value, extra={"job_id": job.id, "post_id": job.post_id})

    def _edit(self, job: Job, created: Job, override: str | None) -> None:
        if override is not None:
            self._end(job, JobState.cancelled, "the text set in the preview is kept")
            return
        message = SlackMessage.model_validate_json(job.text or "{}")
        draft, names = self.worker._draft(created, message)
        if not draft.text.strip():
            self._end(job, JobState.cancelled, "the edited message has no text left")
            return
        defaults = self.worker._defaults(created)
        footer = self.worker._footer(created, message, names, defaults)
        body = to_create_post(
            with_footer(draft, footer),  # the attribution line stays, as when it was posted
            community_id=job.community_id,
            post_id=job.post_id,
            created_at=self.outbox.clock(),
            metadata=self.worker._metadata(created, message),
        )
        self.worker.amity.update_post(job.post_id, to_update_post(body))
        self._end(job, JobState.done)

    def _delete(self, job: Job) -> None:
        existed = self.worker.amity.delete_post(job.post_id)
        by = job.requested_by if job.text == TAKEN_BACK else None
        self.links.removed(job.post_id, job.team_id, job.route_name, by)
        if by is not None:  # said at most once: a rerun finds the post removed and stops
            try:
                self.worker.replies.taken_back(job, by)
            except SlackError as error:
                log.warning("bridge.take_back_reply_failed", extra={"error": str(error)})
        self._end(job, JobState.done, None if existed else "the post was already gone")
