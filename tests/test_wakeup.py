"""Waking the worker from intake: the first job of a burst wakes it at once, the rest
of the burst in one more wake, and no stored job is left without a wake after it."""

from __future__ import annotations

import threading

from bridge.listeners.wakeup import Coalesced


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_wakes_the_worker_at_once_and_once_more_after_it() -> None:
    clock = Clock()
    woken: list[float] = []
    trailing = threading.Event()

    def wake() -> None:
        woken.append(clock.now)
        if len(woken) == 2:
            trailing.set()

    coalesced = Coalesced(wake, period=0.05, monotonic=clock)
    coalesced()
    assert woken == [100.0]  # the first job: at once, in the caller's thread
    for _ in range(20):  # the rest of the burst, within the period
        coalesced()
    assert trailing.wait(10)  # one wake after the burst covers every job of it
    assert len(woken) == 2


def test_a_job_after_a_quiet_period_wakes_the_worker_at_once() -> None:
    clock = Clock()
    woken: list[float] = []
    coalesced = Coalesced(lambda: woken.append(clock.now), period=0.05, monotonic=clock)
    coalesced()
    clock.now += 1.0
    coalesced()
    assert woken == [100.0, 101.0]
