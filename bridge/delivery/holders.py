"""Heartbeats of the processes that claim jobs: how a dead process's claims are known.

Each :class:`bridge.delivery.outbox.Outbox` is a holder with an id of its own
(``host:pid:random``). Its runner's heartbeat writes the holder's row every
``Policy.pulse`` (1 s) with an expiry ``Policy.alive`` ahead (4 s), and every job it
claims names it in ``jobs.holder``. A running job whose holder's row has expired (or
was never written) is claimable again at once, without waiting for the job's own lease;
a job without a holder (claimed by a handle that does not beat) waits for its lease.
Claim tokens still fence every write, so a holder that was only paused and comes back
changes nothing once its job was taken.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, exists, select, update
from sqlalchemy.engine import Connection

from bridge.delivery.jobs import holders, jobs

STALE = timedelta(days=1)  # rows expired this long ago are deleted at a process's start


def beat(conn: Connection, holder: str, until: datetime) -> None:
    """Write (or create) ``holder``'s row, alive until ``until``."""
    done = conn.execute(update(holders).where(holders.c.id == holder).values(alive_until=until))
    if done.rowcount == 0:
        conn.execute(holders.insert().values(id=holder, alive_until=until))


def sweep(conn: Connection, now: datetime) -> None:
    """Delete the rows of processes that stopped beating long ago."""
    conn.execute(delete(holders).where(holders.c.alive_until < now - STALE))


def forget(conn: Connection, holder: str) -> None:
    """Delete ``holder``'s row (its process stops and holds no job)."""
    conn.execute(delete(holders).where(holders.c.id == holder))


def holder_gone(now: datetime) -> ColumnElement[bool]:
    """A running job's holder has stopped beating (only jobs that name a holder)."""
    alive = select(holders.c.id).where(
        (holders.c.id == jobs.c.holder) & (holders.c.alive_until >= now)
    )
    return jobs.c.holder.is_not(None) & ~exists(alive)
