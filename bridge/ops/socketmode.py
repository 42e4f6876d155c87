"""Socket Mode in one process at a time: the first ``serve --socket-mode`` that takes the
store's Socket Mode lock connects; another one says so in one log line, keeps serving
HTTP and its worker, and takes over when the holder stops or dies.

The lock is what the store offers without a table of its own: on PostgreSQL a
session-level advisory lock (``pg_try_advisory_lock``, released when the holder's
connection closes, also when the process dies); on SQLite, whose processes share one
machine, an exclusive ``flock`` on a file next to the database (released by the kernel
when the process ends).
"""

from __future__ import annotations

import fcntl
import logging
import threading
from typing import IO

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from bridge.ops.diagnose import one_line, sqlite_file

log = logging.getLogger("bridge.socket_mode")
LOCK_ID = 0x62736F63  # "bsoc": the advisory lock of the Socket Mode connection
TAKEOVER_SECONDS = 5.0  # how often a waiting process tries to take the connection over
RETRY_CAP_SECONDS = 60.0


def socket_mode_wanted(has_token: bool, wanted: bool) -> bool:
    """Whether this process connects over Socket Mode; one log line when the flag and
    SLACK_APP_TOKEN disagree (the token applies to every process of a deploy)."""
    if wanted and not has_token:
        log.warning(
            "bridge.socket_mode_off",
            extra={
                "fix": "--socket-mode needs SLACK_APP_TOKEN, an app-level token with "
                "connections:write; until it is set this process serves HTTP and runs jobs"
            },
        )
    elif has_token and not wanted:
        log.info(
            "bridge.socket_mode_off",
            extra={
                "fix": "SLACK_APP_TOKEN is set, but this process serves HTTP only: run "
                "`python -m bridge serve --socket-mode` (the Procfile's worker) to "
                "receive Slack's requests over Socket Mode"
            },
        )
    return wanted and has_token


class SocketModeLock:
    """Held by at most one process of a store at a time."""

    def __init__(self, engine: Engine, database_url: str) -> None:
        self.engine = engine
        self.path = sqlite_file(database_url)
        self._conn: Connection | None = None
        self._file: IO[bytes] | None = None
        self._memory = False

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; whether this process holds it now."""
        if self._conn is not None or self._file is not None or self._memory:
            return True
        if self.engine.dialect.name == "postgresql":
            conn = self.engine.connect()
            got = conn.execute(text("SELECT pg_try_advisory_lock(:id)"), {"id": LOCK_ID})
            held = bool(got.scalar())
            conn.commit()  # the lock is the session's: it outlives the transaction
            if not held:
                conn.close()
                return False
            self._conn = conn
            return True
        if self.path is None:  # an in-memory database: one process only
            self._memory = True
            return True
        handle = self.path.with_name(self.path.name + ".socket-mode.lock").open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        """Let another process take the connection."""
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": LOCK_ID})
                self._conn.commit()
            except SQLAlchemyError:
                pass  # the session is gone already, and the lock with it
            self._conn.invalidate()  # a pooled session would otherwise live on
            self._conn = None
        if self._file is not None:
            self._file.close()
            self._file = None
        self._memory = False


class SocketMode:
    """Connects to Slack over Socket Mode once the lock is held, in the background."""

    def __init__(self, bolt: App, app_token: str, lock: SocketModeLock) -> None:
        self.bolt = bolt
        self.app_token = app_token
        self.lock = lock
        self.handler: SocketModeHandler | None = None
        self.stopping = threading.Event()
        self.tries = 0
        self._thread = threading.Thread(target=self._run, name="bridge-socket-mode", daemon=True)

    def start(self) -> None:
        """Try at once, then keep trying in the background."""
        self._thread.start()

    def _run(self) -> None:
        told_held = False
        wait = 1.0
        while not self.stopping.is_set():
            try:
                mine = self.lock.try_acquire()
            except SQLAlchemyError as error:
                log.warning("bridge.socket_mode_lock_failed", extra={"error": one_line(error)})
                mine = False
            if not mine:
                if not told_held:
                    log.info(
                        "bridge.socket_mode_held_elsewhere",
                        extra={
                            "fix": "another process of this store holds the Socket Mode "
                            "connection; this one serves HTTP and runs jobs, and takes the "
                            f"connection over within {TAKEOVER_SECONDS:g} s if that one stops"
                        },
                    )
                    told_held = True
                self.stopping.wait(TAKEOVER_SECONDS)
                continue
            if self._connect():
                return
            self.stopping.wait(wait)
            wait = min(RETRY_CAP_SECONDS, wait * 2)

    def _connect(self) -> bool:
        handler = SocketModeHandler(self.bolt, self.app_token, web_client=self.bolt.client)
        level = logging.DEBUG if self.tries else logging.WARNING  # the first time only
        self.tries += 1
        try:
            handler.connect()  # type: ignore[no-untyped-call]  # Bolt leaves it unannotated
        except SlackApiError as error:
            log.log(
                level,
                "bridge.socket_mode_refused",
                extra={
                    "error": error.response.get("error"),
                    "fix": "create an app-level token with the connections:write scope "
                    "(Basic Information > App-Level Tokens), enable Socket Mode in the Slack "
                    "app, and set the token as SLACK_APP_TOKEN; the bridge keeps trying",
                },
            )
            return False
        except (SlackClientError, OSError) as error:
            log.log(level, "bridge.socket_mode_unreachable", extra={"error": one_line(error)})
            return False
        self.handler = handler
        log.info("bridge.socket_mode_connected")
        return True

    def close(self) -> None:
        """Disconnect and let another process take over."""
        self.stopping.set()
        if self.handler is not None:
            self.handler.close()  # type: ignore[no-untyped-call]
        self.lock.release()
