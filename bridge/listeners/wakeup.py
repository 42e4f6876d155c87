"""Waking the worker when intake stores a job, at most once per period.

A burst of requests would otherwise wake the worker once per stored job, and every wake
is a poll of the store competing with the requests still waiting for their answer. The
first job of a burst wakes the worker at once; the ones after it within ``period`` are
folded into one more wake at the end of the period, so none waits for the next regular
poll.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

WAKE_PERIOD_S = 0.1


class Coalesced:
    """``wake`` at once, then at most once per ``period`` seconds (a trailing call
    covers the calls in between)."""

    def __init__(
        self,
        wake: Callable[[], None],
        period: float = WAKE_PERIOD_S,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._wake = wake
        self.period = period
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._quiet_until = float("-inf")
        self._pending = False

    def __call__(self) -> None:
        """Wake the worker now, or once at the end of the current period."""
        with self._lock:
            now = self._monotonic()
            if now >= self._quiet_until:
                self._quiet_until = now + self.period
                at_once = True
            else:
                at_once = False
                if not self._pending:
                    self._pending = True
                    later = threading.Timer(self._quiet_until - now, self._trailing)
                    later.daemon = True
                    later.start()
        if at_once:
            self._wake()

    def _trailing(self) -> None:
        with self._lock:
            self._pending = False
            self._quiet_until = self._monotonic() + self.period
        self._wake()
