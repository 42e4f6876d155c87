"""How hard the worker tries: its slots, leases, retries and delay notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bridge.failures import RetryRules
from bridge.settings import Settings

PULSE = timedelta(seconds=1)  # the process heartbeat's period
ALIVE = timedelta(seconds=4)  # its expiry: three missed beats, and the jobs are taken over


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
    crash_retries: int = 5  # attempts an unexpected error (a bug) may end before the job fails

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
    def pulse(self) -> timedelta:
        """How often the process's heartbeat row is written (``bridge.delivery.holders``)."""
        return min(PULSE, self.heartbeat)

    @property
    def alive(self) -> timedelta:
        """How long after its last heartbeat a process's jobs may be taken over."""
        return min(ALIVE, self.lease)

    @property
    def retry_rules(self) -> RetryRules:
        """The part of the policy that :func:`bridge.failures.decide` applies."""
        return RetryRules(
            max_age=self.max_age,
            max_attempts=self.max_attempts,
            cap=self.backoff_cap.total_seconds(),
        )
