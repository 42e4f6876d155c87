"""The client-side rate limiter, on a fake clock."""

from __future__ import annotations

import pytest

from bridge.amity.ratelimit import SlidingWindow


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_burst_waits_for_the_window() -> None:
    """The 101st call in 5 s waits until the first call leaves the window."""
    t = FakeTime()
    limiter = SlidingWindow(100, 5.0, clock=t.clock, sleep=t.sleep)
    for _ in range(100):
        assert limiter.acquire() == 0.0
        t.now += 0.01
    assert limiter.acquire() == pytest.approx(
        4.0
    )  # first call at 0.0 leaves the window at 5.0; now is 1.0
    assert t.now == pytest.approx(5.0)


def test_calls_spread_out_never_wait() -> None:
    """At or under the rate nobody waits."""
    t = FakeTime()
    limiter = SlidingWindow(2, 1.0, clock=t.clock, sleep=t.sleep)
    for _ in range(10):
        assert limiter.acquire() == 0.0
        t.now += 0.5
    assert t.slept == []


def test_rate_over_a_long_run() -> None:
    """300 calls at limit 100 per 5 s take at least 10 s of (fake) time."""
    t = FakeTime()
    limiter = SlidingWindow(100, 5.0, clock=t.clock, sleep=t.sleep)
    for _ in range(300):
        limiter.acquire()
    assert t.now >= 10.0
