"""Jobs: the rows of the outbox, their states, and the table and engine that hold them.

A job is one post to make: what intake knew when it accepted the trigger (``NewJob``)
plus what the worker has done since (``Job``: state, attempts, step results).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Engine,
    Enum,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import RowMapping

from bridge.delivery.progress import Progress, ProgressColumn

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The default clock: naive UTC (the database columns hold naive UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


class JobState(enum.Enum):
    """Where a job is in its life."""

    pending = "pending"  # waiting for its next run time
    running = "running"  # claimed by a worker (token in claim) until lease_until
    done = "done"  # the post exists and the reply was sent
    failed = "failed"  # gave up; the person who triggered it was told why
    cancelled = "cancelled"  # nothing to do (e.g. a bot message), or cancelled by a person


metadata = MetaData()

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(400), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("state", Enum(JobState, native_enum=False, length=20), nullable=False, index=True),
    Column("team_id", String(40), nullable=False),
    Column("channel_id", String(40), nullable=False),
    Column("message_ts", String(40)),
    Column("thread_ts", String(40)),
    Column("route_name", String(80), nullable=False),
    Column("community_id", String(900), nullable=False),
    Column("post_id", String(100), nullable=False),
    Column("requested_by", String(40), nullable=False),
    Column("response_url", Text),
    Column("text", Text),
    Column("post_url", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_run_at", DateTime, nullable=False, index=True),
    Column("scheduled_for", DateTime),
    Column("lease_until", DateTime),
    Column("claim", String(100)),  # the token of the claim holding a running job
    Column("holder", String(100)),  # the process holding it (``holders``), if it beats
    Column("waiting_on", String(20), index=True),  # the service a retry waits for (circuits)
    Column("last_error", Text),
    Column("when", Text),  # a scheduled post's time phrase, until the worker resolves it
    Column("progress", ProgressColumn, nullable=False, default=Progress),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("pruned_at", DateTime),  # when retention cleared its content (None: not yet)
    Column("author", String(40)),  # who wrote the message: kept by retention, for erasure
    UniqueConstraint("key", name="uq_jobs_key"),
)
# The App Home's and `/crosspost list`'s lookups, sync's post → jobs map, and retention's
# rows still to prune (a partial index: only rows not pruned yet).
Index("ix_jobs_team_state_updated", jobs.c.team_id, jobs.c.state, jobs.c.updated_at)
Index("ix_jobs_post_id", jobs.c.post_id)
_unpruned = jobs.c.pruned_at.is_(None)
Index("ix_jobs_unpruned", jobs.c.updated_at, postgresql_where=_unpruned, sqlite_where=_unpruned)

# One row per Amity admin token (keyed by a hash of it): when its next request may go.
rate_budget = Table(
    "rate_budget",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("next_at", Float, nullable=False),  # seconds since the epoch, database clock
)

# One row per running process that claims jobs: its heartbeat. A running job whose
# holder's row has expired (the process died) is taken over without waiting for its lease.
holders = Table(
    "holders",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("alive_until", DateTime, nullable=False),
)

# One row per service the bridge calls (amity, slack), once it has failed: the circuit.
# Open while ``failing_since`` is set; then one job at a time (``probe_job``) tries it.
circuits = Table(
    "circuits",
    metadata,
    Column("service", String(20), primary_key=True),
    Column("failing_since", DateTime),  # None: closed (the service answers)
    Column("failures", Integer, nullable=False),  # failed probes since it opened
    Column("probe_at", DateTime),  # when the next probe may start
    Column("probe_job", Integer),  # the job trying the service now
    Column("probe_until", DateTime),  # past this, the probe is given up (its process died)
    Column("last_error", Text),
)

# Routes added from Slack (the routes file's own routes are not stored): the Route as JSON.
stored_routes = Table(
    "routes",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("spec", JSON, nullable=False),
    Column("updated_by", String(40), nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# Shares waiting for an approver (routes with ``who: approval``), one per message and route.
approvals = Table(
    "approvals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(40), nullable=False),
    Column("channel_id", String(40), nullable=False),
    Column("message_ts", String(40), nullable=False),
    Column("thread_ts", String(40)),
    Column("route_name", String(80), nullable=False),
    Column("requested_by", String(40), nullable=False),
    Column("state", String(20), nullable=False),  # waiting, approved, refused, expired
    Column("decided_by", String(40)),
    Column("expires_at", DateTime, nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("channel_id", "message_ts", "route_name", name="uq_approvals_message"),
)

# One row per Amity user the bridge posts as: the session's access token, encrypted with
# BRIDGE_SECRET_KEY (Fernet), and when it expires.
amity_sessions = Table(
    "amity_sessions",
    metadata,
    Column("user_id", String(50), primary_key=True),  # the Amity user ID
    Column("device_id", String(150), nullable=False),
    Column("token", Text, nullable=False),  # Fernet ciphertext, never the token itself
    Column("expires_at", DateTime, nullable=False),  # naive UTC
    Column("updated_at", DateTime, nullable=False),
)
Index("ix_amity_sessions_expires_at", amity_sessions.c.expires_at)


@dataclass(frozen=True)
class NewJob:
    """What intake knows when it accepts a trigger."""

    key: str
    kind: str  # "message" (a Slack message by channel+ts) or "text" (/crosspost <text>)
    team_id: str
    channel_id: str
    route_name: str
    community_id: str
    post_id: str
    requested_by: str
    message_ts: str | None = None
    thread_ts: str | None = None
    response_url: str | None = None
    text: str | None = None
    when: str | None = None  # a scheduled post's time phrase, resolved by the worker


@dataclass(frozen=True)
class Job(NewJob):
    """A stored job."""

    id: int = 0
    state: JobState = JobState.pending
    attempts: int = 0
    post_url: str | None = None
    last_error: str | None = None
    claim: str | None = None
    waiting_on: str | None = None
    progress: Progress = field(default_factory=Progress)
    next_run_at: datetime | None = None
    scheduled_for: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


def to_job(row: RowMapping) -> Job:
    """A database row as a Job."""
    return Job(**{k: row[k] for k in Job.__dataclass_fields__ if k in row})


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and a busy timeout for concurrent writers."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
