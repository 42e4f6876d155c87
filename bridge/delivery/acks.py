"""The store write an acknowledgement waits for: one insert, on connections of its own.

Intake stores a job while Slack waits for the answer, so that insert must not queue behind
the worker. On PostgreSQL it runs on a pool of its own (the worker's slots can hold every
connection of the shared pool), without the liveness ping the shared pool sends before
each use (a round trip per acknowledgement): a connection the server dropped makes the
insert fail, and it is tried once more on a new connection. The insert commits on its
own (autocommit): one round trip instead of BEGIN, INSERT and COMMIT.

SQLite has one writer at a time: this process's writers take turns (:class:`Writers`),
and the acknowledgement's insert goes before the worker's writes that wait.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable

ACK_CONNECTIONS = 8  # kept open; as many again opened under a burst


class Writers:
    """One writer at a time; :meth:`first` jumps the queue (the acknowledgement's insert),
    the others take turns in the order the lock gives them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._urgent = threading.Condition(self._lock)
        self._others = threading.Condition(self._lock)
        self._held = False
        self._waiting_urgent = 0

    @property
    def queued_first(self) -> int:
        """How many writers wait in :meth:`first`."""
        with self._lock:
            return self._waiting_urgent

    def __enter__(self) -> None:
        with self._lock:
            while self._held or self._waiting_urgent:
                self._others.wait()
            self._held = True

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        with self._lock:
            self._held = False
            if self._waiting_urgent:
                self._urgent.notify()
            else:
                self._others.notify()

    @contextmanager
    def first(self) -> Iterator[None]:
        """Write before every writer that waits (not before the one writing)."""
        with self._lock:
            self._waiting_urgent += 1
            try:
                while self._held:
                    self._urgent.wait()
            finally:
                self._waiting_urgent -= 1
            self._held = True
        try:
            yield
        finally:
            self.__exit__(None, None, None)


def ack_engine(engine: Engine) -> Engine:
    """The engine of the acknowledgement's insert, for a store reached through ``engine``."""
    if engine.dialect.name == "sqlite":
        return engine
    acks = create_engine(
        engine.url, pool_size=ACK_CONNECTIONS, max_overflow=ACK_CONNECTIONS, pool_pre_ping=False
    )
    event.listen(engine, "engine_disposed", lambda _engine: acks.dispose())  # closed together
    return acks


def insert_one(
    engine: Engine,
    writes: Callable[[], AbstractContextManager[object]],
    statement: Executable,
    values: dict[str, Any],
) -> Any:
    """Run ``statement`` (an insert returning one value) committed on its own, in turn
    with the other writers (``writes``); its value.
    A connection found dead is replaced once; an ``IntegrityError`` is the caller's."""
    for attempt in (1, 2):
        try:
            with writes(), engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT")
                return conn.execute(statement, values).scalar_one()
        except DBAPIError as error:
            if not error.connection_invalidated or attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
