"""Helpers for end-to-end tests: a movable clock, and lookups on the stand-ins."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from bridge_standins.server import wait_for
from bridge_standins.stack import LocalStack

from bridge.delivery.outbox import Job, JobState, utc_now


class MovableClock:
    """A clock the test can move forward (the worker's backoff then expires at once)."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return utc_now() + self._offset

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._offset += delta


def job_state(stack: LocalStack, key_part: str) -> JobState | None:
    """The state of the one job whose key contains ``key_part``."""
    job = find_job(stack, key_part)
    return job.state if job else None


def find_job(stack: LocalStack, key_part: str) -> Job | None:
    """The newest job whose key contains ``key_part``."""
    return next((j for j in stack.bridge.outbox.recent(100) if key_part in j.key), None)


def posts(stack: LocalStack) -> list[dict[str, Any]]:
    """Create-post bodies Amity accepted."""
    return stack.amity.posts


def wait_retrying(stack: LocalStack, key_part: str, attempts: int, timeout: float = 5.0) -> Job:
    """Wait until the job failed ``attempts`` times and waits for its next try; return it."""

    def retrying() -> bool:
        job = find_job(stack, key_part)
        return job is not None and job.attempts == attempts and job.state is JobState.pending

    wait_for(retrying, timeout=timeout, message=f"attempt {attempts} to fail and be rescheduled")
    job = find_job(stack, key_part)
    assert job is not None
    return job
