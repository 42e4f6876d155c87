"""The worker: claims due jobs and runs their steps, saving each step's result.

Steps of a job: resolve a scheduled post's time (then wait for it), fetch the message
(saved, so a retry does not fetch again), translate it, create the post with its
deterministic ``postId`` (an "already exists" answer means an earlier attempt created
it), reply in Slack. What a failure means is decided by :func:`bridge.failures.decide`:
a retryable one sends the job back to the outbox with capped exponential backoff and
jitter until the job is ``max_age`` old (an hour-long outage delays posts, it does not
drop them), and once a job has been failing for ``notice_after`` the person is told,
once and privately, that the post is delayed; a permanent one ends the job and the
person is told why.

Each of ``Policy.workers`` slots claims one job at a time and, when it is done, claims the
next due one at once: a long upload holds its own slot only. While jobs run, a heartbeat
renews their short leases, so a job whose process died is taken over within about one
lease; a process whose claim was taken over meanwhile gets ``LeaseLost`` at its next
write and drops the job (see :mod:`bridge.delivery.outbox`).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bridge.amity.client import AmityAlreadyExists, AmityClient, AmityRejected
from bridge.amity.post import Attachment, CreatePost
from bridge.delivery.attach import Attacher
from bridge.delivery.authors import Authors
from bridge.delivery.outbox import Job, JobState, LeaseLost, Outbox
from bridge.delivery.people import People
from bridge.delivery.progress import Progress, SkippedFile
from bridge.delivery.replies import Replies
from bridge.delivery.sync import SYNC_KINDS, Syncer
from bridge.delivery.when import parse_when, resolve, zone
from bridge.failures import Fail, Failure, Retry, Retryable, RetryRules, decide
from bridge.routes import PostDefaults, RoutesConfig
from bridge.settings import Settings
from bridge.slack.api import SlackError, SlackRejected, SlackRetryable
from bridge.slack.message import SlackMessage
from bridge.slack.port import SlackPort
from bridge.translate.draft import (
    Draft,
    EmptyMessage,
    Names,
    TranslationError,
    referenced_ids,
    referenced_ids_in_text,
    text_to_draft,
    to_create_post,
    to_draft,
    with_footer,
)
from bridge.translate.render import UNKNOWN_USER

log = logging.getLogger("bridge.delivery.worker")
NOT_A_MEMBER = (
    "you are not a member of the private conversation that message is in, so it "
    "cannot be shared on your behalf"
)


@dataclass(frozen=True)
class Policy:
    """How hard the worker tries (the values come from :class:`Settings`, which has the
    defaults: see :meth:`from_settings`)."""

    workers: int
    max_attempts: int | None  # None: only max_age ends a job that keeps failing
    max_age: timedelta
    lease: timedelta
    backoff_cap: timedelta
    notice_after: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        """The policy the settings ask for."""
        return cls(
            workers=settings.BRIDGE_WORKERS,
            max_attempts=settings.BRIDGE_MAX_ATTEMPTS,
            max_age=timedelta(hours=settings.BRIDGE_MAX_AGE_HOURS),
            lease=timedelta(seconds=settings.BRIDGE_LEASE_SECONDS),
            backoff_cap=timedelta(seconds=settings.BRIDGE_BACKOFF_CAP_SECONDS),
            notice_after=timedelta(seconds=settings.BRIDGE_DELAY_NOTICE_SECONDS),
        )

    @property
    def heartbeat(self) -> timedelta:
        """How often running jobs' leases are renewed: four times per lease."""
        return self.lease / 4

    @property
    def retry_rules(self) -> RetryRules:
        """The part of the policy that :func:`bridge.failures.decide` applies."""
        return RetryRules(
            max_age=self.max_age,
            max_attempts=self.max_attempts,
            cap=self.backoff_cap.total_seconds(),
        )


class Skip(Exception):
    """Nothing to post (a bot message): the job is cancelled without a reply."""


class Worker:
    """Runs jobs from the outbox."""

    def __init__(
        self,
        outbox: Outbox,
        slack: SlackPort,
        amity: AmityClient,
        routes: Callable[[], RoutesConfig],
        post_url: Callable[[str, str], str],
        attacher: Attacher,
        replies: Replies,
        policy: Policy,
        people: People,
        authors: Authors | None = None,
    ) -> None:
        self.outbox = outbox
        self.authors = authors  # None: every post is the admin's
        self.people = people  # who a Slack user is on Amity (mentions, posting as them)
        self.slack = slack
        self.amity = amity
        self.routes = routes
        self.post_url = post_url
        self.replies = replies
        self.attacher = attacher
        self.policy = policy
        self.stopping = threading.Event()
        self.pool = ThreadPoolExecutor(max_workers=policy.workers, thread_name_prefix="bridge-job")
        self._busy = 0  # slots running a job
        self._idle = threading.Condition()
        self._heart = threading.Thread(target=self._beat, name="bridge-heartbeat", daemon=True)
        self._heart_stop = threading.Event()
        self.sync = Syncer(self)

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
                self._heart.start()
        try:
            claimed = self.outbox.claim(1, self.policy.lease)
        except SQLAlchemyError:
            log.exception("bridge.claim_failed")
            return None
        return claimed[0] if claimed else None

    def _slot(self, job: Job | None) -> None:
        """Run ``job``, then the next due jobs, until none is due or the worker stops."""
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
        """Renew the leases of the jobs in flight until the worker is closed."""
        while not self._heart_stop.wait(self.policy.heartbeat.total_seconds()):
            try:
                lost = self.outbox.renew(self.policy.lease)
            except SQLAlchemyError:
                log.exception("bridge.heartbeat_failed")
                continue
            for job_id in lost:
                log.warning("bridge.lease_lost", extra={"job_id": job_id})

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no job runs (at most ``timeout`` seconds); whether none does."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def run(self, job: Job) -> None:
        """Run one claimed job to its next state."""
        try:
            self._steps(job)
        except Skip as why:
            self.outbox.finish(job.id, JobState.cancelled, error=str(why))
            log.info("bridge.job_skipped", extra={"job_id": job.id, "reason": str(why)})
        except LeaseLost:
            raise
        except Failure as error:
            self._settle(job, error)
        except Exception as error:  # a bug: keep the job, log the traceback, retry later
            log.exception("bridge.job_crashed", extra={"job_id": job.id})
            self._settle(job, Retryable(f"internal error: {type(error).__name__}"))

    def _settle(self, job: Job, error: Failure) -> None:
        """Apply :func:`decide`'s answer: retry later, or fail with advice."""
        job = self._latest(job)
        now = self.outbox.clock()
        age = now - (job.scheduled_for or job.created_at or now)
        decision = decide(error, attempts=job.attempts, age=age, rules=self.policy.retry_rules)
        match decision:
            case Retry():
                self._retry(job, decision)
            case Fail(advice=advice):
                self._fail(job, advice)

    def _latest(self, job: Job) -> Job:
        """The job as stored now (with the progress of this attempt), answering in the
        thread of its message when the message is a thread reply."""
        stored = self.outbox.get(job.id) or job
        message = stored.progress.message
        thread = message.thread_ts if message else None
        return dataclasses.replace(stored, thread_ts=thread) if thread else stored

    def _save(self, job: Job, progress: Progress) -> None:
        self.outbox.save_progress(job.id, progress, self.policy.lease)

    def _steps(self, job: Job) -> None:
        if job.kind in SYNC_KINDS:
            self.sync.run(job)
            return
        progress = job.progress.model_copy(deep=True)
        if job.when and job.scheduled_for is None:
            self._schedule(job, progress)
            return
        message = self._message(job, progress)
        if message is not None:
            job = dataclasses.replace(job, thread_ts=message.thread_ts or message.ts)
        url = self.post_url(job.post_id, job.community_id)
        if not progress.post_created:
            self._create_post(job, message, progress)
            progress.post_created = True
            self.outbox.save_progress(job.id, progress, self.policy.lease, post_url=url)
        if not self._reply_once(job, url, progress):
            return
        try:
            self.replies.mark_shared(job)
        except SlackRejected as error:
            log.warning("bridge.reaction_failed", extra={"job_id": job.id, "error": str(error)})
        self.outbox.finish(job.id, JobState.done, progress=progress)
        log.info("bridge.job_done", extra={"job_id": job.id, "post_id": job.post_id})

    def _reply_once(self, job: Job, url: str, progress: Progress) -> bool:
        """The reply with the link, sent at most once; False when the job ended here.

        The intent is saved before sending. An attempt that died between sending and
        saving ``reply_sent`` may have replied: the next one looks for that reply in the
        thread and sends only if it is not there (a text command's answer, which cannot
        be looked up, is not sent again). Slack's "rate limited" proves nothing was sent.
        """
        if progress.reply_sent:
            return True
        started = progress.reply_started
        if started and self._maybe_replied(job, url, started):
            log.warning("bridge.reply_not_repeated", extra={"job_id": job.id})
            return True
        progress.reply_started = time.time()
        self._save(job, progress)
        try:
            self.replies.success(job, url, progress)
        except SlackRejected as error:  # the post exists: the job is done all the same
            log.warning("bridge.reply_failed", extra={"job_id": job.id, "error": str(error)})
            self.outbox.finish(job.id, JobState.done, error=f"reply not sent: {error}")
            return False
        except SlackRetryable as error:
            if error.error == "ratelimited":
                progress.reply_started = None
                self._save(job, progress)
            raise
        progress.reply_sent = True
        self._save(job, progress)
        return True

    def _maybe_replied(self, job: Job, url: str, started: float) -> bool:
        thread = self.replies.thread_of(job)
        if job.kind != "message" or thread is None:
            return True
        return self.slack.thread_has(job.channel_id, thread, url, oldest=started - 60)

    def _schedule(self, job: Job, progress: Progress) -> None:
        when, _ = parse_when(job.when or "")
        tz_name = self.slack.user_tz(job.requested_by)
        run_at = resolve(when, self.outbox.clock(), zone(tz_name))
        progress.tz = tz_name
        self.outbox.schedule(job.id, run_at, progress)
        self.replies.scheduled(job, run_at, tz_name)
        log.info("bridge.job_scheduled", extra={"job_id": job.id, "run_at": run_at.isoformat()})

    def _create_post(self, job: Job, message: SlackMessage | None, progress: Progress) -> None:
        draft, names = self._draft(job, message)
        attachments: list[Attachment] = []
        if message is not None and message.files:
            attachments, skipped = self.attacher.attach(
                message, progress, lambda: self._save(job, progress)
            )
            progress.attached = [f.name or f.id for f in message.files if f.id in progress.uploads]
            progress.skipped = [SkippedFile(name=s.name, reason=s.reason) for s in skipped]
            if not draft.text.strip() and not attachments:
                reasons = "; ".join(f"{s.name}: {s.reason}" for s in skipped)
                raise TranslationError(
                    f"the message has no text and no file could be attached ({reasons})"
                )
        if not draft.text.strip() and not attachments:
            raise EmptyMessage
        defaults = self._defaults(job)
        author = _author(job, message)

        def body(shared_by: bool) -> CreatePost:
            footer = self._footer(job, message, names, defaults)
            if shared_by and "{author}" not in (defaults.attribution or ""):
                footer.append(f"— shared by {names.users.get(author, UNKNOWN_USER)}")
            created = to_create_post(
                with_footer(draft, footer),
                community_id=job.community_id,
                post_id=job.post_id,
                created_at=self._created_at(job, message),
                metadata=self._metadata(job, message),
                attachments=attachments,
                defaults=defaults,
            )
            return self.sync.with_preview(job, created)  # the text edited in the preview wins

        amity_id = self.people.amity_id(author) if self.authors is not None else None
        if amity_id is not None and self._post_as(job, amity_id, names.users.get(author), body):
            return
        self._send(job, self.amity, body(shared_by=amity_id is not None))

    def _post_as(
        self, job: Job, amity_id: str, name: str | None, body: Callable[[bool], CreatePost]
    ) -> bool:
        """Post as the author; False when it must fall back to the admin token (no Amity
        account, session refused, not a member of the community). A token Amity no
        longer takes (expired, revoked) is replaced by a new session once."""
        assert self.authors is not None
        for renew in (False, True):
            client = self.authors.client(amity_id, name, renew=renew)
            if client is None:
                return False
            try:
                self._send(job, client, body(False))
            except AmityRejected as error:
                if error.code != 400100 and error.status != 401:
                    error.author = amity_id  # muted, banned...: told, never posted by the admin
                    raise
                if "not join" in str(error).lower():
                    log.info("bridge.author_not_member", extra={"job_id": job.id})
                    return False
                log.info("bridge.session_rejected", extra={"job_id": job.id, "renewed": renew})
                continue
            log.info("bridge.posted_as_author", extra={"job_id": job.id})
            return True
        return False

    def _send(self, job: Job, client: AmityClient, body: CreatePost) -> None:
        try:
            client.create_post(body)
        except AmityAlreadyExists:
            log.info("bridge.post_existed", extra={"job_id": job.id, "post_id": job.post_id})
        log.info("bridge.post_created", extra={"job_id": job.id, "post_id": job.post_id})

    def _defaults(self, job: Job) -> PostDefaults:
        """The job's route's post defaults (none when the route is gone since)."""
        route = self.routes().named(job.route_name)  # the routes in force now
        return route.post if route is not None else PostDefaults()

    def _footer(
        self, job: Job, message: SlackMessage | None, names: Names, defaults: PostDefaults
    ) -> list[str]:
        """The route's attribution line, with the author's, sharer's and channel's names."""
        if defaults.attribution is None:
            return []
        author = _author(job, message)
        channel = self.slack.channel_names([job.channel_id]).get(job.channel_id, "")
        line = defaults.attribution_line(
            author=names.users.get(author, UNKNOWN_USER),
            sharer=names.users.get(job.requested_by, UNKNOWN_USER),
            channel=f"#{channel}" if channel else "",
        )
        return [line] if line else []

    def _message(self, job: Job, progress: Progress) -> SlackMessage | None:
        if job.kind != "message" or job.message_ts is None:
            return None
        message = progress.message
        if message is None:
            if job.response_url and not self.slack.can_read(job.channel_id, job.requested_by):
                raise SlackRejected(NOT_A_MEMBER)
            message = self.slack.fetch_message(job.channel_id, job.message_ts, job.thread_ts)
            progress.message = message
            self._save(job, progress)
        if message.is_from(self.slack.own_bot_id()):  # other apps' and workflows' are posted
            raise Skip("the bridge's own messages are not cross-posted")
        return message

    def _draft(self, job: Job, message: SlackMessage | None) -> tuple[Draft, Names]:
        """The post text, and the names resolved for it (the author's and sharer's too)."""
        refs = referenced_ids(message) if message else referenced_ids_in_text(job.text or "")
        people = refs.users | {_author(job, message), job.requested_by}
        names = Names(
            users=self.slack.user_names(people),
            channels=self.slack.channel_names(refs.channels),
            usergroups=self.slack.usergroup_handles(refs.usergroups),
        )
        amity_ids = self.people.amity_ids(refs.users)
        if message is not None:
            return to_draft(message, names, amity_ids), names
        return text_to_draft(job.text or "", names, amity_ids), names

    def _created_at(self, job: Job, message: SlackMessage | None) -> datetime:
        if job.scheduled_for is not None:
            return job.scheduled_for.replace(tzinfo=UTC)
        if message is not None:
            return datetime.fromtimestamp(float(message.ts), UTC)
        return (job.created_at or self.outbox.clock()).replace(tzinfo=UTC)

    def _metadata(self, job: Job, message: SlackMessage | None) -> dict[str, Any]:
        source: dict[str, Any] = {"team": job.team_id, "channel": job.channel_id}
        if message is not None:
            source["ts"] = message.ts
            source["permalink"] = self.slack.permalink(
                job.channel_id, message.ts, message.thread_ts
            )
        return {"source": "slack", "slack": source}

    def _retry(self, job: Job, retry: Retry) -> None:
        self._tell_delayed(job, retry.service)
        self.outbox.retry_later(job.id, retry.reason, retry.delay)
        log.warning(
            "bridge.job_retry_scheduled",
            extra={
                "job_id": job.id,
                "attempt": job.attempts,
                "error": retry.reason,
                "delay_s": round(retry.delay.total_seconds(), 1),
            },
        )

    def _tell_delayed(self, job: Job, service: str) -> None:
        """Once a job has been failing for ``notice_after``, tell its person, once, that
        the post is delayed (never that it failed). The flag lives in the job's progress."""
        progress = job.progress.model_copy(deep=True)
        if progress.delay_notice_sent:
            return
        now = self.outbox.clock()
        if progress.failing_since is None:
            progress.failing_since = now
            self.outbox.save_progress(job.id, progress)
        if now - progress.failing_since < self.policy.notice_after:
            return
        try:
            self.replies.delayed(job, service)
        except SlackError as error:  # Slack may be the one down: try again at the next failure
            log.warning("bridge.delay_notice_failed", extra={"job_id": job.id, "error": str(error)})
            return
        progress.delay_notice_sent = True
        self.outbox.save_progress(job.id, progress)
        log.info("bridge.delay_notice_sent", extra={"job_id": job.id, "service": service})

    def _fail(self, job: Job, reason: str) -> None:
        self.outbox.finish(job.id, JobState.failed, error=reason)
        log.warning("bridge.job_failed", extra={"job_id": job.id, "reason": reason})
        try:
            self.replies.failure(job, reason)
        except SlackError as error:
            log.warning(
                "bridge.failure_reply_failed", extra={"job_id": job.id, "error": str(error)}
            )

    def close(self, wait: bool = True) -> None:
        """Stop claiming; with ``wait``, let running jobs finish (their leases renewed)."""
        self.stopping.set()
        self.pool.shutdown(wait=wait, cancel_futures=True)
        self._heart_stop.set()


def _author(job: Job, message: SlackMessage | None) -> str:
    """Who wrote what is posted: the message's author, or whoever typed the command."""
    return (message.user if message is not None else None) or job.requested_by
