"""Migrations build exactly the schema the code expects, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from bridge.delivery.migrate import alembic_config, is_current, migrate
from bridge.delivery.outbox import Outbox, make_engine, metadata


def test_migrations_match_the_models(database_url: str) -> None:
    """After `migrate`, Alembic finds no difference between the database and the tables."""
    engine = make_engine(database_url)
    assert not is_current(engine)
    migrate(engine)
    migrate(engine)  # a second run is a no-op
    assert is_current(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []


def test_running_jobs_of_older_code_are_taken_over_after_upgrade(database_url: str) -> None:
    """A job running under revision 0001 (no claim tokens) is claimable once its lease ends."""
    engine = make_engine(database_url)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    row = {
        "key": "k",
        "kind": "text",
        "state": "running",
        "team_id": "T1",
        "channel_id": "C1",
        "route_name": "news",
        "community_id": "comm",
        "post_id": "slack-k",
        "requested_by": "U1",
        "attempts": 1,
        "next_run_at": datetime(2026, 1, 1),
        "lease_until": datetime(2026, 1, 1, 0, 2),
        "progress": "{}",
        "created_at": datetime(2026, 1, 1),
        "updated_at": datetime(2026, 1, 1),
    }
    columns = ", ".join(row)
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO jobs ({columns}) VALUES (:{', :'.join(row)})"), row)
    migrate(engine)
    box = Outbox(engine, clock=lambda: datetime(2026, 1, 1, 0, 1))
    assert box.claim(1, timedelta(seconds=20)) == []  # its lease still runs
    box.clock = lambda: datetime(2026, 1, 1, 0, 3)
    (job,) = box.claim(1, timedelta(seconds=20))
    assert job.attempts == 2 and job.claim not in (None, "before-0002")
    engine.dispose()
