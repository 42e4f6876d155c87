"""Sharing a message again after an earlier share of it made no post.

A message has one job per community (its key), so a share that failed, was refused or
was cancelled would otherwise hold the message for good. :func:`store_trigger` stores a new
trigger's job; when the key's job exists, ended without creating the post (its
progress proves it: ``post_created`` is false), it is re-opened for the new trigger:
pending now, attempts and errors reset, the new requester, text and time; only the files
already uploaded are kept (Amity has them). A scheduled post that has not gone out yet is
replaced the same way by a share now. A post that exists is never re-opened: that share
is done. :class:`Stored` says what happened before, for the people to be told.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update

from bridge.delivery.jobs import Job, JobState, NewJob, jobs
from bridge.delivery.links import Links
from bridge.delivery.outbox import Outbox
from bridge.delivery.progress import Progress

POST_KINDS = frozenset({"message", "text"})


@dataclass(frozen=True)
class Stored:
    """A trigger's job as stored, whether it is new (or re-opened), and the earlier job it
    replaced (as it was), if any."""

    job: Job
    created: bool
    earlier: Job | None = None

    @property
    def replaced_schedule(self) -> bool:
        """A scheduled post was replaced by this share now."""
        return self.earlier is not None and self.earlier.state is JobState.pending

    def notice(self) -> str | None:
        """What the person who triggered it should know about the earlier share."""
        earlier, route = self.earlier, self.job.route_name
        if earlier is None:
            return None
        if self.replaced_schedule:
            return (
                f"The scheduled post #{earlier.id} of this message to *{route}* is cancelled: "
                "it is shared now instead."
            )
        if earlier.state is JobState.failed:
            reason = (earlier.last_error or "no reason was recorded").rstrip(".")
            return f"An earlier share of this message to *{route}* failed: {reason}; trying again."
        return None

    def schedule_notice(self) -> str | None:
        """What the person who had scheduled the replaced post should know (None when it
        is the same person, or no schedule was replaced)."""
        earlier = self.earlier
        if earlier is None or not self.replaced_schedule:
            return None
        if earlier.requested_by == self.job.requested_by:
            return None
        return (
            f"Your scheduled post #{earlier.id} to *{self.job.route_name}* is cancelled: "
            f"<@{self.job.requested_by}> shared the message now."
        )


def is_reopenable(existing: Job, new: NewJob) -> bool:
    """Whether ``new`` may take over ``existing``: it made no post and ended (failed,
    cancelled), or it is a scheduled post not yet out and ``new`` shares it now."""
    if existing.kind not in POST_KINDS or existing.progress.post_created:
        return False
    if existing.state in (JobState.failed, JobState.cancelled):
        return True
    return existing.state is JobState.pending and existing.when is not None and not new.when


def store_trigger(outbox: Outbox, new: NewJob, *, keep_preview: bool = False) -> Stored:
    """Store ``new``, re-opening the key's earlier job when it made no post. A re-opened
    job forgets the earlier preview's choices unless ``keep_preview`` (the preview has
    just set its own)."""
    job, created = outbox.enqueue(new)
    if created or not is_reopenable(job, new):
        return Stored(job, created)
    reopened = _reopen(outbox, job, new)
    if reopened is None:  # changed meanwhile (claimed, or re-opened by another trigger)
        return Stored(outbox.get(job.id) or job, False)
    if not keep_preview:
        Links(outbox.engine).clear_preview(new.post_id)
    return Stored(reopened, True, job)


def _reopen(outbox: Outbox, existing: Job, new: NewJob) -> Job | None:
    now = outbox.clock()
    values = {
        "state": JobState.pending,
        "attempts": 0,
        "last_error": None,
        "next_run_at": now,
        "scheduled_for": None,
        "lease_until": None,
        "claim": None,
        "post_url": None,
        "requested_by": new.requested_by,
        "response_url": new.response_url,
        "thread_ts": new.thread_ts,
        "text": new.text,
        "when": new.when,
        "progress": Progress(uploads=existing.progress.uploads),
        "updated_at": now,
    }
    with outbox.transaction() as conn:
        changed = conn.execute(
            update(jobs)
            .where(jobs.c.id == existing.id, jobs.c.state == existing.state)
            .where(jobs.c.updated_at == existing.updated_at)
            .values(**values)
        )
    return outbox.get(existing.id) if changed.rowcount == 1 else None
