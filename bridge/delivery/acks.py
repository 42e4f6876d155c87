"""The store write an acknowledgement waits for: one insert, on connections of its own.

Intake stores a job while Slack waits for the answer, so that insert must not queue behind
the worker. On PostgreSQL it runs on a pool of its own (the worker's slots can hold every
connection of the shared pool), without the liveness ping the shared pool sends before
each use (a round trip per acknowledgement): a connection the server dropped makes the
insert fail, and it is tried once more on a new connection. The insert commits on its
own (autocommit): one round trip instead of BEGIN, INSERT and COMMIT. SQLite keeps the
one engine: it has one writer at a time anyway.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable

ACK_CONNECTIONS = 8  # kept open; as many again opened under a burst


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
    writes: AbstractContextManager[object],
    statement: Executable,
    values: dict[str, Any],
) -> Any:
    """Run ``statement`` (an insert returning one value) committed on its own; its value.
    A connection found dead is replaced once; an ``IntegrityError`` is the caller's."""
    for attempt in (1, 2):
        try:
            with writes, engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT")
                return conn.execute(statement, values).scalar_one()
        except DBAPIError as error:
            if not error.connection_invalidated or attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
