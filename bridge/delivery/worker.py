"""The worker: the runner, the post and sync steps and the failure rule, wired together.

:class:`bridge.delivery.runner.Runner` claims due jobs and runs each with
:meth:`Worker.run`, which hands a post job to :class:`bridge.delivery.poststeps.PostSteps`
and an edit or delete to :class:`bridge.delivery.syncsteps.SyncSteps`; both build the
post's body with :class:`bridge.delivery.body.PostBody`. A failure goes to
:class:`bridge.delivery.settle.Settler` (retry later or fail with advice). See
``docs/architecture.md`` for the walk of a job through these modules.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.exc import InterfaceError, OperationalError

from bridge.amity.client import AmityClient
from bridge.delivery.attach import Attacher
from bridge.delivery.authors import Authors
from bridge.delivery.body import PostBody
from bridge.delivery.breaker import Breaker
from bridge.delivery.create import Creator
from bridge.delivery.links import Links
from bridge.delivery.outbox import Job, JobState, LeaseLost, Outbox
from bridge.delivery.people import People
from bridge.delivery.policy import Policy
from bridge.delivery.poststeps import PostSteps, Skip
from bridge.delivery.replies import Replies
from bridge.delivery.runner import Runner
from bridge.delivery.settle import Settler
from bridge.delivery.sync import SYNC_KINDS
from bridge.delivery.syncsteps import SyncSteps
from bridge.failures import Failure, Retryable
from bridge.routes import RoutesConfig
from bridge.slack.port import SlackPort

__all__ = ["Policy", "Worker"]
log = logging.getLogger("bridge.delivery.worker")


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
        self.slack = slack
        self.amity = amity
        self.routes = routes
        self.replies = replies
        self.policy = policy
        self.body = PostBody(slack, people, routes, Links(outbox.engine), outbox.clock)
        creator = Creator(amity, people, authors)
        self.posts = PostSteps(
            outbox, slack, policy.lease, self.body, attacher, creator, replies, post_url
        )
        self.sync = SyncSteps(outbox, amity, replies, self.body)
        self.breaker = Breaker(outbox, policy.lease)
        self.settler = Settler(outbox, replies, policy, self.breaker)
        self.runner = Runner(outbox, policy, self.run)
        self.stopping = self.runner.stopping

    def run_due(self) -> int:
        """Start the probes of open circuits that are due, then give each free slot a due
        job; how many were handed out (see :class:`Runner`)."""
        self.breaker.tick()
        return self.runner.run_due()

    def run_held(self, job: Job) -> None:
        """Run a job this process claimed; a lost claim drops it without a word."""
        self.runner.run_held(job)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no job runs (at most ``timeout`` seconds); whether none does."""
        return self.runner.wait_idle(timeout)

    def close(self, wait: bool = True) -> None:
        """Stop claiming; with ``wait``, let running jobs finish (their leases renewed)."""
        self.runner.close(wait)

    def run(self, job: Job) -> None:
        """Run one claimed job to its next state (a job waiting on a service that is
        still down, and that is not its probe, is retried later without calling it)."""
        down = self.breaker.admits(job)
        if down is not None:
            self.settler.settle(job, down)
            return
        try:
            if job.kind in SYNC_KINDS:
                self.sync.run(job)
            else:
                self.posts.run(job)
        except Skip as why:
            self.outbox.finish(job.id, JobState.cancelled, error=str(why))
            log.info("bridge.job_skipped", extra={"job_id": job.id, "reason": str(why)})
        except LeaseLost:
            raise
        except Failure as error:
            self.settler.settle(job, error)
        except (OperationalError, InterfaceError) as error:  # the store is unreachable
            log.exception("bridge.job_store_error", extra={"job_id": job.id})
            self.settler.settle(job, Retryable(f"store error: {type(error).__name__}"))
        except Exception as error:  # a bug: log the traceback, retry a few times, then fail
            log.exception("bridge.job_crashed", extra={"job_id": job.id})
            self.settler.crashed(job, error)
        finally:
            self.breaker.ended(job)
