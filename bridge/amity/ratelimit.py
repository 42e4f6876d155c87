"""Client-side rate limits: something that makes a caller wait for its turn, and
``SlidingWindow``, Amity's budget of ``limit`` requests per ``period`` seconds kept in one
process (``bridge.delivery.budget`` keeps it in the store, for every process at once)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol


class Limiter(Protocol):
    """Something that makes a caller wait for its turn."""

    def acquire(self) -> float:
        """Wait for a slot; returns the seconds waited."""
        ...


class SlidingWindow:
    """Blocks ``acquire`` until a slot in the last ``period`` seconds is free."""

    def __init__(
        self,
        limit: int,
        period: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self.period = period
        self.clock = clock
        self.sleep = sleep
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()

    def _wait_time(self) -> float:
        now = self.clock()
        while self._calls and self._calls[0] <= now - self.period:
            self._calls.popleft()
        if len(self._calls) < self.limit:
            self._calls.append(now)
            return 0.0
        return self._calls[0] + self.period - now

    def acquire(self) -> float:
        """Take a slot, waiting as needed; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                wait = self._wait_time()
            if wait <= 0:
                return waited
            self.sleep(wait)
            waited += wait
