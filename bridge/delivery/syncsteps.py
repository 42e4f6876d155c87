"""The steps of sync jobs, beside the post's: edit, delete, take-back.

A sync job waits (without spending an attempt) while the job that creates its post, or an
older sync job of the same post, has not finished. An edit sends the body the create
would make from the edited message (:class:`bridge.delivery.body.PostBody`), unless the
preview set the post's text; a delete removes the post, and a take-back also tells who
took it back.
"""

from __future__ import annotations

import logging

from bridge.amity.client import AmityClient
from bridge.amity.post import to_update_post
from bridge.delivery.body import PostBody
from bridge.delivery.jobs import Job, JobState
from bridge.delivery.links import Links, PostState
from bridge.delivery.outbox import Outbox
from bridge.delivery.replies import Replies
from bridge.delivery.sync import EDIT, TAKEN_BACK, creator_of, earlier_open, postpone
from bridge.slack.api import SlackError
from bridge.slack.message import SlackMessage

log = logging.getLogger("bridge.delivery.sync")


class SyncSteps:
    """Runs edit and delete jobs."""

    def __init__(
        self, outbox: Outbox, amity: AmityClient, replies: Replies, body: PostBody
    ) -> None:
        self.outbox = outbox
        self.amity = amity
        self.replies = replies
        self.body = body
        self.links: Links = body.links

    def run(self, job: Job) -> None:
        """Run a claimed sync job, or put it back until its post's earlier jobs end."""
        created = creator_of(self.outbox, job.post_id)
        if created is None or created.state in (JobState.failed, JobState.cancelled):
            self._end(job, JobState.cancelled, "the post was never created")
            return
        if created.state is not JobState.done:
            postpone(self.outbox, job, created.next_run_at)
            return
        if earlier_open(self.outbox, job):
            postpone(self.outbox, job)
            return
        link = self.links.get(job.post_id)
        if link is not None and link.state is PostState.removed:
            self._end(job, JobState.cancelled, "the post was removed")
        elif job.kind == EDIT:
            self.edit(job, created, link.text_override if link else None)
        else:
            self.delete(job)

    def _end(self, job: Job, state: JobState, why: str | None = None) -> None:
        self.outbox.finish(job.id, state, error=why)
        log.info("bridge.sync_%s", state.value, extra={"job_id": job.id, "post_id": job.post_id})

    def edit(self, job: Job, created: Job, override: str | None) -> None:
        """The post's text, made again from the edited message (its lines kept)."""
        if override is not None:
            self._end(job, JobState.cancelled, "the text set in the preview is kept")
            return
        message = SlackMessage.model_validate_json(job.text or "{}")
        draft, names = self.body.draft(created, message)
        if not draft.text.strip():
            self._end(job, JobState.cancelled, "the edited message has no text left")
            return
        body = self.body.build(
            created,
            message,
            draft,
            names,
            shared_by=self.body.shared_by(created),  # the lines stay, as when it was posted
            created_at=self.outbox.clock(),
        )
        self.amity.update_post(job.post_id, to_update_post(body))
        self._end(job, JobState.done)

    def delete(self, job: Job) -> None:
        """The post deleted; a take-back says so to who took it back."""
        existed = self.amity.delete_post(job.post_id)
        by = job.requested_by if job.text == TAKEN_BACK else None
        self.links.removed(job.post_id, job.team_id, job.route_name, by)
        if by is not None:  # said at most once: a rerun finds the post removed and stops
            try:
                self.replies.taken_back(job, by)
            except SlackError as error:
                log.warning("bridge.take_back_reply_failed", extra={"error": str(error)})
        self._end(job, JobState.done, None if existed else "the post was already gone")
