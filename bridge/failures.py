"""One failure rule for every step of a job: retry later, or fail with advice.

Errors::

    Failure                 anything a step can raise on purpose
    ├── Retryable           may pass later (network, timeout, 5xx, rate limit);
    │                       ``retry_after``: seconds the other side asked us to wait
    │                       ``service``: who is unavailable, for the person's notice
    └── Permanent           a person must change something; ``advice`` says what

Amity's, Slack's and the file download's errors derive from these two (``bridge.amity.client``,
``bridge.slack.api``), as do the translation's and the schedule's. :func:`decide` is the
only code that turns a failure into what the worker does next, so the worker applies its
answer without knowing any error type.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime


class Failure(Exception):
    """Base of the failures the worker knows how to handle."""


class Retryable(Failure):
    """Worth trying again later; ``retry_after`` is the wait the other side asked for."""

    retry_after: float | None = None
    service: str = "a service the bridge depends on"


class Permanent(Failure):
    """Will fail the same way until a person changes something."""

    @property
    def advice(self) -> str:
        """What to tell the person (the message itself unless a subclass says better)."""
        return str(self)


@dataclass(frozen=True)
class Retry:
    """Try the job again after ``delay``."""

    delay: timedelta
    reason: str
    service: str = Retryable.service  # who is unavailable, for the person's notice


@dataclass(frozen=True)
class Fail:
    """End the job; ``advice`` is told to the person who triggered it."""

    advice: str


@dataclass(frozen=True)
class RetryRules:
    """How long a job keeps being retried, and how far apart the tries are."""

    max_age: timedelta = timedelta(hours=24)
    max_attempts: int | None = None  # None: only the age ends a job
    base: float = 2.0  # seconds before the second attempt
    cap: float = 300.0  # the longest wait between two attempts, in seconds


def backoff(attempt: int, *, base: float = 2.0, cap: float = 300.0, jitter: float = 0.5) -> float:
    """Seconds to wait before attempt ``attempt + 1``: capped exponential, jittered down."""
    delay = min(cap, base * 2.0 ** min(max(0, attempt - 1), 60))
    return delay * (1 - jitter * random.random())  # noqa: S311 (jitter, not cryptography)


def decide(error: Failure, *, attempts: int, age: timedelta, rules: RetryRules) -> Retry | Fail:
    """What to do after ``error`` on attempt ``attempts`` of a job due ``age`` ago."""
    if isinstance(error, Permanent):
        return Fail(error.advice)
    reason = str(error)
    out_of_tries = rules.max_attempts is not None and attempts >= rules.max_attempts
    if out_of_tries or age > rules.max_age:
        hours = age.total_seconds() / 3600
        return Fail(
            f"gave up after {attempts} attempts over {hours:.1f} hours ({reason}); "
            "try again later or ask an admin to check the bridge"
        )
    if not isinstance(error, Retryable):
        return Retry(timedelta(seconds=backoff(attempts, base=rules.base, cap=rules.cap)), reason)
    wait = max(backoff(attempts, base=rules.base, cap=rules.cap), error.retry_after or 0.0)
    return Retry(timedelta(seconds=wait), reason, error.service)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header in seconds: a number of seconds, or an HTTP date."""
    if value is None or not value.strip():
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
