"""The failure rule: which errors are retried, how long apart, and when a job ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.amity.client import AmityRejected, AmityRetryable
from bridge.delivery.when import WhenError
from bridge.failures import (
    Fail,
    Permanent,
    Retry,
    Retryable,
    RetryRules,
    backoff,
    decide,
    retry_after_seconds,
)
from bridge.slack.api import SlackRejected, SlackRetryable
from bridge.translate.draft import EmptyMessage

RULES = RetryRules()


def test_permanent_errors_fail_with_their_advice() -> None:
    """Every permanent error, whatever its origin, ends the job with its advice."""
    errors: list[Permanent] = [
        AmityRejected("Data contain blacklist word", status=403, code=400308),
        SlackRejected("invite it with /invite @bridge", "not_in_channel"),
        EmptyMessage(),
        WhenError("2020-01-01 09:00 is in the past"),
    ]
    for error in errors:
        decision = decide(error, attempts=1, age=timedelta(seconds=1), rules=RULES)
        assert decision == Fail(error.advice)
    assert "rephrase it" in errors[0].advice


def test_retryable_errors_wait_and_name_the_service() -> None:
    """A retryable error is retried after a backoff, naming who is unavailable."""
    for error, service in [
        (AmityRetryable("Unexpected error", status=500, code=500000), "Amity"),
        (SlackRetryable("Slack could not be reached", "network"), "Slack"),
        (Retryable("internal error: KeyError"), Retryable.service),
    ]:
        decision = decide(error, attempts=1, age=timedelta(seconds=1), rules=RULES)
        assert isinstance(decision, Retry)
        assert decision.service == service and decision.reason == str(error)
        assert timedelta(seconds=1) <= decision.delay <= timedelta(seconds=2)


def test_retry_after_is_honoured_beyond_the_backoff() -> None:
    """A wait asked by the other side (Retry-After) is longer than the backoff: it wins."""
    error = SlackRetryable("Slack chat.postMessage failed: ratelimited", "ratelimited", 42.0)
    decision = decide(error, attempts=1, age=timedelta(), rules=RULES)
    assert isinstance(decision, Retry) and decision.delay == timedelta(seconds=42)


def test_attempts_alone_do_not_end_a_job_by_default() -> None:
    """With no BRIDGE_MAX_ATTEMPTS, the 1000th failure an hour in is still retried."""
    error = AmityRetryable("Unexpected error", status=500, code=500000)
    decision = decide(error, attempts=1000, age=timedelta(hours=1), rules=RULES)
    assert isinstance(decision, Retry)


def test_max_age_and_optional_max_attempts_end_a_job() -> None:
    """Past the maximum age, or at an optional attempt limit, the job is given up."""
    error = AmityRetryable("Amity could not be reached (ConnectError)")
    old = decide(error, attempts=300, age=timedelta(hours=24, seconds=1), rules=RULES)
    assert isinstance(old, Fail) and "gave up after 300 attempts over 24.0 hours" in old.advice
    assert "could not be reached" in old.advice
    limited = RetryRules(max_attempts=3)
    assert isinstance(decide(error, attempts=2, age=timedelta(), rules=limited), Retry)
    assert isinstance(decide(error, attempts=3, age=timedelta(), rules=limited), Fail)


def test_backoff_is_capped_and_jittered() -> None:
    """Doubling from 2 s, never above the cap, never below half of it once reached."""
    assert 1.0 <= backoff(1) <= 2.0
    assert 4.0 <= backoff(3) <= 8.0
    for attempt in (9, 10, 50, 10_000):
        assert 150.0 <= backoff(attempt) <= 300.0
    assert 30.0 <= backoff(20, cap=60.0) <= 60.0


def test_an_hour_long_outage_is_waited_out_with_default_rules() -> None:
    """Failing every try for an hour never gives up, and the first try after the hour
    comes at most 5 minutes (the cap) after Amity is back."""
    error = AmityRetryable("Unexpected error", status=500, code=500000)
    elapsed, attempts = timedelta(), 0
    outage = timedelta(hours=1)
    while elapsed < outage:
        attempts += 1
        decision = decide(error, attempts=attempts, age=elapsed, rules=RULES)
        assert isinstance(decision, Retry), f"gave up at attempt {attempts}"
        elapsed += decision.delay
    assert attempts > 8  # the old limit would have failed the post
    assert elapsed - outage <= timedelta(minutes=5)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("30", 30.0),
        ("1.5", 1.5),
        ("-4", 0.0),
        ("Wed, 21 Oct 2026 07:28:30 GMT", 30.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_header(header: str | None, seconds: float | None) -> None:
    """Retry-After in seconds or as an HTTP date; anything else is ignored."""
    now = datetime(2026, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert retry_after_seconds(header, now) == seconds
