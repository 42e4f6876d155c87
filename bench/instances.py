"""Shared pieces of the benchmarks that run bridge processes on PostgreSQL.

``scratch_database`` creates a database of its own for one benchmark and drops it after;
``text_job`` builds a ``/crosspost <text>`` job to enqueue directly (a backlog);
``Watcher`` notes, every few milliseconds, when each post appears at the stand-in Amity.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from bridge_standins.amity import FakeAmity
from bridge_standins.slack import FakeSlack
from bridge_standins.stack import COMMUNITY, NEWS, TEAM
from sqlalchemy import create_engine, text

from bridge.delivery.outbox import NewJob

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def scratch_database(admin_url: str = ADMIN_URL) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped on exit."""
    name = f"bridge_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def text_job(slack: FakeSlack, tag: str) -> NewJob:
    """A ``/crosspost <text>`` job whose answer goes to a response_url of the fake Slack."""
    return NewJob(
        key=f"{TEAM}:{NEWS}:bench:{tag}:{COMMUNITY}",
        kind="text",
        team_id=TEAM,
        channel_id=NEWS,
        route_name="announcements",
        community_id=COMMUNITY,
        post_id=f"slack-bench-{tag}",
        requested_by="U0BOB0001",
        text=f"bench {tag}",
        response_url=slack.response_url(f"bench{tag}"),
    )


class Watcher:
    """Records the moment each post (by its text) is first seen at the stand-in Amity."""

    def __init__(self, amity: FakeAmity, interval: float = 0.005) -> None:
        self.amity = amity
        self.interval = interval
        self.seen: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            now = time.perf_counter()
            for body in self.amity.posts[len(self.seen) :]:
                self.seen.setdefault(str(body["data"].get("text", "")), now)

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()
        self._thread.join(timeout=5)


def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, interpolated."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]
