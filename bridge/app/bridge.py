"""What one bridge process runs, once built (``bridge.app.wiring`` builds it).

``Bridge.wsgi`` is what the HTTP server runs: ``POST /slack/events`` goes to Bolt
(signature checked there), ``GET /healthz`` answers whether the store is reachable and
whether Slack and Amity accepted the bridge's credentials (``bridge.ops.health``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App
from sqlalchemy.exc import SQLAlchemyError

from bridge.amity.client import AmityClient
from bridge.amity.sessions import SessionClient
from bridge.delivery.outbox import Outbox
from bridge.delivery.worker import Worker
from bridge.edge.events import SlackEventsHandler
from bridge.listeners.homeedit import HomeEditor
from bridge.ops.health import Dependencies
from bridge.ops.metrics import CONTENT_TYPE, Metrics
from bridge.settings import Settings

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger("bridge.app")
POLL_JOB = "bridge-worker"


@dataclass
class Bridge:
    """Everything one bridge process runs."""

    settings: Settings
    outbox: Outbox
    bolt: App
    worker: Worker
    scheduler: BackgroundScheduler
    notices: ThreadPoolExecutor
    metrics: Metrics
    amity: AmityClient
    downloads: httpx.Client
    sessions: SessionClient | None  # posting as the author, when it is on
    _running: threading.Lock = field(default_factory=threading.Lock)
    last_poll: datetime | None = None
    housekeeping: list[Any] = field(default_factory=list)  # callables run before each poll
    home: HomeEditor | None = None  # the App Home, set by ``build``
    dependencies: Dependencies = field(default_factory=lambda: Dependencies({}))

    def __post_init__(self) -> None:
        self.slack_handler = SlackEventsHandler(self.bolt)

    def start_worker(self) -> None:
        """Poll the outbox every BRIDGE_POLL_SECONDS (and at once when woken)."""
        self.scheduler.add_job(
            self._poll,
            "interval",
            seconds=self.settings.BRIDGE_POLL_SECONDS,
            id=POLL_JOB,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
        self.scheduler.start()

    def _poll(self) -> None:
        if self.worker.stopping.is_set() or not self._running.acquire(blocking=False):
            return
        try:
            for chore in self.housekeeping:
                chore()
            self.worker.run_due()
            self.last_poll = datetime.now(UTC)
        finally:
            self._running.release()

    def wake(self) -> None:
        """Run the worker now instead of at the next poll (a new job is waiting)."""
        if self.scheduler.running and not self._running.locked():
            self.scheduler.modify_job(POLL_JOB, next_run_time=datetime.now(UTC))

    def stop(self, timeout: float | None = None) -> bool:
        """Stop claiming; jobs in flight get ``timeout`` seconds (None: all they need) to
        finish, the rest stay in the store. Returns whether everything finished."""
        self.worker.stopping.set()
        self.dependencies.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        deadline = None if timeout is None else time.monotonic() + timeout
        finished = self._running.acquire(timeout=-1 if timeout is None else timeout)
        if finished:
            self._running.release()
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            finished = self.worker.wait_idle(left)
        if not finished:
            log.warning("bridge.stop_timeout", extra={"timeout_s": timeout})
        self.worker.close(wait=finished)
        self.notices.shutdown(wait=finished)
        if finished:  # what ``build`` made; jobs still running would need them
            self.amity.close()
            self.downloads.close()
            if self.sessions is not None:
                self.sessions.close()
        return finished

    def health(self) -> tuple[int, dict[str, Any]]:
        """200 when the store answers and Slack and Amity have accepted the bridge's
        credentials; 503 otherwise, with one line per failing dependency in ``problems``."""
        problems = []
        store = "ok"
        try:
            self.outbox.ping()
        except SQLAlchemyError:
            log.warning("bridge.health_store_unreachable")
            store = "unreachable"
            problems.append("store: the database cannot be reached: check DATABASE_URL")
        problems += self.dependencies.failing()
        last = self.last_poll.isoformat(timespec="seconds") if self.last_poll else None
        body: dict[str, Any] = {
            "status": "error" if problems else "ok",
            "store": store,
            **self.dependencies.state,
            "worker": {"running": self.scheduler.running, "last_run": last},
        }
        if problems:
            body["problems"] = problems
        return (503 if problems else 200), body

    def wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI application: /healthz and /metrics here, the rest to Bolt's adapter."""
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            status, body = self.health()
            start_response(
                f"{status} {'OK' if status == 200 else 'Service Unavailable'}",
                [("Content-Type", "application/json")],
            )
            return [json.dumps(body).encode()]
        if environ.get("PATH_INFO") == "/metrics" and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", CONTENT_TYPE)])
            return [self.metrics.render()]
        started = time.perf_counter()
        try:
            return self.slack_handler(environ, start_response)
        finally:
            self.metrics.ack.observe(time.perf_counter() - started)
