"""Client-side rate limits: Amity's budget of ``limit`` requests per ``period`` seconds.

Amity allows 100 requests per 5 seconds per user, and every request made with one admin
token, from any process, counts against that one budget. ``SharedBudget`` keeps the
budget in the store, so every instance (and ``check``) takes from the same one: each
request reserves the next free slot of an evenly spaced schedule, kept as one row per
token (``rate_budget.next_at``) that is read ``FOR UPDATE`` and advanced in a short
transaction; the caller then sleeps until its slot. Slots are spaced so that at most
``limit * (1 - HEADROOM)`` requests start in any ``period``: the headroom absorbs the
moments between taking a slot and the request reaching Amity. Times come from the
database's clock on PostgreSQL, so hosts with skewed clocks still share one schedule.
``bridge.amity.ratelimit.SlidingWindow`` is the same limit kept in one process.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy import select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bridge.delivery.jobs import rate_budget

HEADROOM = 0.04  # the share of the budget left unused, for the jitter of real requests
Transaction = Callable[[], AbstractContextManager[Connection]]


def budget_key(token: str) -> str:
    """The budget row of an admin token: a hash, so the store never holds the token."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


class SharedBudget:
    """One budget for every process using the store: evenly spaced slots, reserved in turn."""

    def __init__(
        self,
        transaction: Transaction,
        key: str,
        limit: int,
        period: float = 5.0,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.transaction = transaction
        self.key = key
        self.interval = period / max(1.0, limit * (1 - HEADROOM))
        self.sleep = sleep
        self._lock = threading.Lock()  # this process's callers reserve one at a time

    def acquire(self) -> float:
        """Reserve the next slot and sleep until it comes; returns the seconds waited."""
        with self._lock:
            wait = self._reserve()
        if wait > 0:
            self.sleep(wait)
        return max(0.0, wait)

    def _reserve(self) -> float:
        query = select(rate_budget.c.next_at).where(rate_budget.c.key == self.key)
        while True:
            with self.transaction() as conn:
                slot = conn.execute(query.with_for_update()).scalar_one_or_none()
                if slot is not None:
                    now = _now(conn)
                    slot = max(float(slot), now)
                    conn.execute(
                        update(rate_budget)
                        .where(rate_budget.c.key == self.key)
                        .values(next_at=slot + self.interval)
                    )
                    return slot - now
            self._create()

    def _create(self) -> None:
        """The row, on the first request with this token (a racing process may win)."""
        try:
            with self.transaction() as conn:
                conn.execute(rate_budget.insert().values(key=self.key, next_at=0.0))
        except IntegrityError:
            pass


def _now(conn: Connection) -> float:
    """Seconds since the epoch on the database's clock (PostgreSQL) or this host's."""
    if conn.dialect.name == "postgresql":
        return float(
            conn.execute(text("SELECT EXTRACT(EPOCH FROM clock_timestamp())")).scalar_one()
        )
    return time.time()
