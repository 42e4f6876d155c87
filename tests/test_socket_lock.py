"""The Socket Mode lock: one holder per store, free again once released or its holder's
connection (or process) is gone."""

from __future__ import annotations

from bridge.delivery.outbox import make_engine
from bridge.ops.socketmode import SocketModeLock


def test_one_holder_at_a_time(database_url: str) -> None:
    first_engine, second_engine = make_engine(database_url), make_engine(database_url)
    first = SocketModeLock(first_engine, database_url)
    second = SocketModeLock(second_engine, database_url)
    try:
        assert first.try_acquire() is True
        assert first.try_acquire() is True  # already held: still ours
        assert second.try_acquire() is False
        assert second.try_acquire() is False
        first.release()
        assert second.try_acquire() is True
        assert first.try_acquire() is False
        second_engine.dispose()  # the holder's connections close (as when it dies)
        second.release()
        assert first.try_acquire() is True
    finally:
        first.release()
        second.release()
        first_engine.dispose()
        second_engine.dispose()


def test_disposed_engine_frees_the_postgres_lock(database_url: str) -> None:
    """PostgreSQL: the lock belongs to the holder's session; a closed pool ends it."""
    if not database_url.startswith("postgresql"):
        return
    holder_engine, other_engine = make_engine(database_url), make_engine(database_url)
    holder = SocketModeLock(holder_engine, database_url)
    other = SocketModeLock(other_engine, database_url)
    try:
        assert holder.try_acquire()
        assert holder._conn is not None
        holder._conn.invalidate()  # the session ends without an unlock
        holder._conn = None
        assert other.try_acquire()
    finally:
        other.release()
        holder_engine.dispose()
        other_engine.dispose()
