"""waitress's "Task queue depth" warning, once per period instead of once per request."""

from __future__ import annotations

import logging

from bridge.server import OncePer


def record() -> logging.LogRecord:
    return logging.makeLogRecord(
        {"name": "waitress.queue", "msg": "Task queue depth is %d", "args": (3,)}
    )


def test_a_burst_of_queue_warnings_is_one_line() -> None:
    once = OncePer(3600.0)
    assert [once.filter(record()) for _ in range(50)] == [True] + [False] * 49


def test_the_warning_shows_again_in_the_next_period() -> None:
    once = OncePer(0.0)
    assert once.filter(record()) and once.filter(record())
