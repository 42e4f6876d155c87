"""Shares waiting for an approver, for routes with ``who: approval``.

A request is ``waiting`` until an approver approves (the share then becomes a job) or
refuses it, or until it expires after the route's ``approval_hours``. One request per
message and route: asking again while it waits changes nothing; after a refusal or an
expiry, asking again opens it anew.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import RowMapping

from bridge.delivery.jobs import Clock, approvals

WAITING = "waiting"


@dataclass(frozen=True)
class Approval:
    """One request for approval."""

    id: int
    team_id: str
    channel_id: str
    message_ts: str
    thread_ts: str | None
    route_name: str
    requested_by: str
    state: str
    decided_by: str | None
    expires_at: datetime


def _approval(row: RowMapping) -> Approval:
    return Approval(**{k: row[k] for k in Approval.__dataclass_fields__})


class Approvals:
    """The ``approvals`` table."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def request(
        self,
        team: str,
        channel: str,
        ts: str,
        thread_ts: str | None,
        route_name: str,
        user: str,
        hours: float,
    ) -> tuple[Approval, bool]:
        """Open a request (or reopen a decided one); returns it and whether it is new."""
        now = self.clock()
        key = (
            (approvals.c.channel_id == channel)
            & (approvals.c.message_ts == ts)
            & (approvals.c.route_name == route_name)
        )
        values = {
            "requested_by": user,
            "state": WAITING,
            "decided_by": None,
            "expires_at": now + timedelta(hours=hours),
            "thread_ts": thread_ts,
        }
        with self.engine.begin() as conn:
            row = conn.execute(select(approvals).where(key)).mappings().first()
            if row is not None and row["state"] == WAITING and row["expires_at"] > now:
                return _approval(row), False
            if row is None:
                base = {"team_id": team, "channel_id": channel, "message_ts": ts}
                conn.execute(
                    insert(approvals),
                    {**base, "route_name": route_name, "created_at": now, **values},
                )
            else:
                conn.execute(update(approvals).where(key), values)
            fresh = conn.execute(select(approvals).where(key)).mappings().one()
        return _approval(fresh), True

    def get(self, approval_id: int) -> Approval | None:
        """The request ``approval_id``."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(approvals).where(approvals.c.id == approval_id))
                .mappings()
                .first()
            )
        return _approval(row) if row else None

    def waiting_on(self, channel: str, ts: str) -> list[Approval]:
        """The requests still waiting (not expired) for message ``ts`` of ``channel``."""
        query = select(approvals).where(
            (approvals.c.channel_id == channel)
            & (approvals.c.message_ts == ts)
            & (approvals.c.state == WAITING)
            & (approvals.c.expires_at > self.clock())
        )
        with self.engine.connect() as conn:
            return [_approval(r) for r in conn.execute(query).mappings()]

    def decide(self, approval_id: int, state: str, user: str) -> bool:
        """Move a waiting, unexpired request to ``state``; False when it was not waiting
        (decided by someone else meanwhile, or expired)."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(approvals)
                .where(
                    (approvals.c.id == approval_id)
                    & (approvals.c.state == WAITING)
                    & (approvals.c.expires_at > self.clock())
                )
                .values(state=state, decided_by=user)
            )
        return bool(done.rowcount)

    def expire_due(self) -> list[Approval]:
        """Mark every waiting request past its time as expired; returns them."""
        now = self.clock()
        due = (approvals.c.state == WAITING) & (approvals.c.expires_at <= now)
        expired = []
        with self.engine.begin() as conn:
            for row in conn.execute(select(approvals).where(due)).mappings().all():
                hit = conn.execute(
                    update(approvals)
                    .where((approvals.c.id == row["id"]) & (approvals.c.state == WAITING))
                    .values(state="expired")
                )
                if hit.rowcount:
                    expired.append(_approval(row))
        return expired
