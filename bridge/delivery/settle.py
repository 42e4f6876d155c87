"""What a failed attempt leads to: a retry later (with, once a job has been failing for
a while, a notice that the post is delayed) or the end of the job, with the reason told.

What a failure means is decided by :func:`bridge.failures.decide`: a retryable one sends
the job back to the outbox with capped exponential backoff and jitter until the job is
``max_age`` old (an hour-long outage delays posts, it does not drop them), and once a job
has been failing for ``notice_after`` the person is told, once and privately, that the
post is delayed; a permanent one ends the job and the person is told why. A transient
failure of Amity or Slack also opens that service's circuit, and the job waits on it
(:mod:`bridge.delivery.breaker`): it is due again as soon as the service answers.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

from bridge.delivery.breaker import Breaker, circuit_of, waits_on
from bridge.delivery.outbox import Job, JobState, Outbox
from bridge.delivery.policy import Policy
from bridge.delivery.replies import Replies
from bridge.failures import Fail, Failure, Retry, backoff, decide
from bridge.slack.api import SlackError

log = logging.getLogger("bridge.delivery.settle")


class Settler:
    """Applies :func:`decide`'s answer to a failed attempt."""

    def __init__(
        self, outbox: Outbox, replies: Replies, policy: Policy, breaker: Breaker | None = None
    ) -> None:
        self.outbox = outbox
        self.replies = replies
        self.policy = policy
        self.breaker = breaker or Breaker(outbox, policy.lease)

    def settle(self, job: Job, error: Failure) -> None:
        """Retry later, or fail with advice."""
        job = self._latest(job)
        now = self.outbox.clock()
        age = now - (job.scheduled_for or job.created_at or now)
        decision = decide(error, attempts=job.attempts, age=age, rules=self.policy.retry_rules)
        match decision:
            case Retry():
                circuit = circuit_of(error)
                if circuit is not None:  # the service failed: open its circuit
                    self.breaker.failed(circuit, job, decision.reason)
                self._retry(job, decision, waits_on(error, job))
            case Fail(advice=advice):
                self._fail(job, advice)

    def crashed(self, job: Job, error: Exception) -> None:
        """An unexpected error (a bug, or a message the bridge cannot handle) ended the
        attempt: retried with backoff ``policy.crash_retries`` times at most, then failed
        with a message. The count is kept in the stored progress, which the crash may not
        have changed."""
        job = self._latest(job)
        kind = type(error).__name__
        progress = job.progress.model_copy(deep=True)
        progress.crashes += 1
        if progress.crashes >= self.policy.crash_retries:
            self.outbox.save_progress(job.id, progress)
            self._fail(
                job,
                f"an internal error ({kind}) stopped it {progress.crashes} times; "
                "an admin can see `bridge jobs`",
            )
            return
        self.outbox.save_progress(job.id, progress)
        rules = self.policy.retry_rules
        delay = timedelta(seconds=backoff(progress.crashes, base=rules.base, cap=rules.cap))
        self.outbox.retry_later(job.id, f"internal error: {kind}", delay)  # no "delayed" notice
        log.warning(
            "bridge.job_retry_scheduled",
            extra={"job_id": job.id, "crashes": progress.crashes, "error": kind},
        )

    def _latest(self, job: Job) -> Job:
        """The job as stored now (with the progress of this attempt), answering in the
        thread of its message when the message is a thread reply."""
        stored = self.outbox.get(job.id) or job
        message = stored.progress.message
        thread = message.thread_ts if message else None
        return dataclasses.replace(stored, thread_ts=thread) if thread else stored

    def _retry(self, job: Job, retry: Retry, waiting_on: str | None) -> None:
        self._tell_delayed(job, retry.service)
        self.outbox.retry_later(job.id, retry.reason, retry.delay, waiting_on)
        log.warning(
            "bridge.job_retry_scheduled",
            extra={
                "job_id": job.id,
                "attempt": job.attempts,
                "error": retry.reason,
                "delay_s": round(retry.delay.total_seconds(), 1),
                "waiting_on": waiting_on,
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
