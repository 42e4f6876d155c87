"""The steps of a post job, named and run in order by :meth:`PostSteps.run`.

1. ``schedule``: a scheduled post's time is resolved in its author's time zone, and the
   job waits for it (it ends this attempt);
2. ``read_message``: the Slack message is fetched (saved, so a retry does not fetch it
   again);
3. ``translate``: its text becomes the post's (:class:`bridge.delivery.body.PostBody`);
4. ``attach``: its files are uploaded (each upload saved as soon as it exists);
5. ``create``: the post is created with its deterministic ``postId``, as the author or as
   the admin (:class:`bridge.delivery.create.Creator`);
6. ``reply``: the link is replied in Slack, at most once;
7. ``mark``: the message gets its ✅ and the job is done.

Steps 3 to 5 run until the post exists (``post_created``). A step records what it did in the
job's :class:`Progress` and saves it through :meth:`PostSteps.save`, the one place
progress is stored while a post job runs, so a retry resumes after it.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from bridge.amity.post import Attachment, CreatePost
from bridge.delivery.attach import Attacher
from bridge.delivery.body import PostBody, author_of
from bridge.delivery.create import Creator
from bridge.delivery.outbox import Job, JobState, Outbox
from bridge.delivery.progress import Progress, SkippedFile
from bridge.delivery.replies import Replies
from bridge.delivery.when import parse_when, resolve, zone
from bridge.slack.api import SlackRejected, SlackRetryable
from bridge.slack.message import SlackMessage
from bridge.slack.port import SlackPort
from bridge.translate.draft import Draft, EmptyMessage, Names, TranslationError

log = logging.getLogger("bridge.delivery.poststeps")
NOT_A_MEMBER = (
    "you are not a member of the private conversation that message is in, so it "
    "cannot be shared on your behalf"
)


class Skip(Exception):
    """Nothing to post (a bot message): the job is cancelled without a reply."""


@dataclass
class Attempt:
    """One attempt at a post job: the job, its progress, and what the steps made."""

    job: Job
    progress: Progress
    message: SlackMessage | None = None
    url: str = ""
    draft: Draft = field(default_factory=lambda: Draft("", (), (), ()))
    names: Names = field(default_factory=Names)
    attachments: list[Attachment] = field(default_factory=list)


Step = Callable[[Attempt], bool]  # False: this attempt ends at the step


class PostSteps:
    """Runs the steps of message and text jobs."""

    def __init__(
        self,
        outbox: Outbox,
        slack: SlackPort,
        lease: timedelta,
        body: PostBody,
        attacher: Attacher,
        creator: Creator,
        replies: Replies,
        post_url: Callable[[str, str], str],
    ) -> None:
        self.outbox = outbox
        self.slack = slack
        self.lease = lease
        self.body = body
        self.attacher = attacher
        self.creator = creator
        self.replies = replies
        self.post_url = post_url

    def steps(self) -> tuple[Step, ...]:
        """The steps of a post job, in the order they run."""
        return (
            self.schedule,
            self.read_message,
            self.translate,
            self.attach,
            self.create,
            self.reply,
            self.mark,
        )

    def run(self, job: Job) -> None:
        """Run a claimed post job's steps from where earlier attempts left off."""
        attempt = Attempt(job, job.progress.model_copy(deep=True))
        for step in self.steps():
            if not step(attempt):
                return

    def save(self, attempt: Attempt, post_url: str | None = None) -> None:
        """Store the attempt's progress (and extend the job's lease)."""
        self.outbox.save_progress(attempt.job.id, attempt.progress, self.lease, post_url=post_url)

    def schedule(self, attempt: Attempt) -> bool:
        """A scheduled post waits for its time, resolved in the author's time zone."""
        job, progress = attempt.job, attempt.progress
        if not job.when or job.scheduled_for is not None:
            return True
        when, _ = parse_when(job.when)
        tz_name = self.slack.user_tz(job.requested_by)
        run_at = resolve(when, self.outbox.clock(), zone(tz_name))
        progress.tz = tz_name
        self.outbox.schedule(job.id, run_at, progress)
        self.replies.scheduled(job, run_at, tz_name)
        log.info("bridge.job_scheduled", extra={"job_id": job.id, "run_at": run_at.isoformat()})
        return False

    def read_message(self, attempt: Attempt) -> bool:
        """The job's Slack message (none for a text job), fetched once."""
        job, progress = attempt.job, attempt.progress
        attempt.url = self.post_url(job.post_id, job.community_id)
        if job.kind != "message" or job.message_ts is None:
            return True
        message = progress.message
        if message is None:
            if job.response_url and not self.slack.can_read(job.channel_id, job.requested_by):
                raise SlackRejected(NOT_A_MEMBER)
            message = self.slack.fetch_message(job.channel_id, job.message_ts, job.thread_ts)
            progress.message = message
            self.save(attempt)
        if message.is_from(self.slack.own_bot_id()):  # other apps' and workflows' are posted
            raise Skip("the bridge's own messages are not cross-posted")
        attempt.message = message
        attempt.job = dataclasses.replace(job, thread_ts=message.thread_ts or message.ts)
        return True

    def translate(self, attempt: Attempt) -> bool:
        """The post's text and the names it needs."""
        if not attempt.progress.post_created:
            attempt.draft, attempt.names = self.body.draft(attempt.job, attempt.message)
        return True

    def attach(self, attempt: Attempt) -> bool:
        """The message's files, uploaded to Amity (each saved as soon as it exists)."""
        message, progress, draft = attempt.message, attempt.progress, attempt.draft
        if progress.post_created:
            return True
        if message is not None and message.files:
            attempt.attachments, skipped = self.attacher.attach(
                message, progress, lambda: self.save(attempt)
            )
            progress.attached = [f.name or f.id for f in message.files if f.id in progress.uploads]
            progress.skipped = [SkippedFile(name=s.name, reason=s.reason) for s in skipped]
            if not draft.text.strip() and not attempt.attachments:
                reasons = "; ".join(f"{s.name}: {s.reason}" for s in skipped)
                raise TranslationError(
                    f"the message has no text and no file could be attached ({reasons})"
                )
        if not draft.text.strip() and not attempt.attachments:
            raise EmptyMessage
        return True

    def create(self, attempt: Attempt) -> bool:
        """The post, created as its author or as the admin."""
        job, message, progress = attempt.job, attempt.message, attempt.progress
        if progress.post_created:
            return True
        author = author_of(job, message)

        def body(shared_by: bool) -> CreatePost:
            built = self.body.build(
                job,
                message,
                attempt.draft,
                attempt.names,
                shared_by=shared_by,
                attachments=attempt.attachments,
            )
            # the text edited in the preview wins
            return self.body.with_preview(job, built, shared_by=shared_by)

        if self.creator.posts_as_authors and self.body.text_by_other(job, author):
            self.creator.as_admin(job, body(True))  # never another's words as the author
            progress.shared_by = True
        else:
            name = attempt.names.users.get(author)
            progress.shared_by = self.creator.create(job, author, name, body)
        progress.post_created = True
        self._link(job, progress.shared_by)
        self.save(attempt, post_url=attempt.url)
        return True

    def _link(self, job: Job, shared_by: bool) -> None:
        """Keep the post's message, its route's sync options and its attribution with
        the post."""
        if job.message_ts is None:
            return
        route = self.body.routes().named(job.route_name)
        sync = (route.sync_edits, route.sync_deletes) if route else (True, "delete")
        message = (job.channel_id, job.message_ts)
        made = (self.body.defaults(job).attribution or "", shared_by)
        self.body.links.created(job.post_id, job.team_id, message, job.route_name, sync, made)

    def reply(self, attempt: Attempt) -> bool:
        """The reply with the link, sent at most once; False when the job ended here.

        The intent is saved before sending. An attempt that died between sending and
        saving ``reply_sent`` may have replied: the next one looks for that reply in the
        thread and sends only if it is not there (a text command's answer, which cannot
        be looked up, is not sent again). Slack's "rate limited" proves nothing was sent.
        """
        job, url, progress = attempt.job, attempt.url, attempt.progress
        if progress.reply_sent:
            return True
        started = progress.reply_started
        if started and self._maybe_replied(job, url, started):
            log.warning("bridge.reply_not_repeated", extra={"job_id": job.id})
            return True
        progress.reply_started = time.time()
        self.save(attempt)
        try:
            self.replies.success(job, url, progress)
        except SlackRejected as error:  # the post exists: the job is done all the same
            log.warning("bridge.reply_failed", extra={"job_id": job.id, "error": str(error)})
            self.outbox.finish(job.id, JobState.done, error=f"reply not sent: {error}")
            return False
        except SlackRetryable as error:
            if error.error == "ratelimited":
                progress.reply_started = None
                self.save(attempt)
            raise
        progress.reply_sent = True
        self.save(attempt)
        return True

    def _maybe_replied(self, job: Job, url: str, started: float) -> bool:
        thread = self.replies.thread_of(job)
        if job.kind != "message" or thread is None:
            return True
        return self.slack.thread_has(job.channel_id, thread, url, oldest=started - 60)

    def mark(self, attempt: Attempt) -> bool:
        """The ✅ on the message, and the job done."""
        job = attempt.job
        try:
            self.replies.mark_shared(job)
        except SlackRejected as error:
            log.warning("bridge.reaction_failed", extra={"job_id": job.id, "error": str(error)})
        self.outbox.finish(job.id, JobState.done, progress=attempt.progress)
        log.info("bridge.job_done", extra={"job_id": job.id, "post_id": job.post_id})
        return True
