"""Migrations build exactly the schema the code expects, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text

from bridge.delivery.migrate import alembic_config, is_current, migrate
from bridge.delivery.outbox import Outbox, make_engine, metadata
from bridge.delivery.progress import Progress


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


def old_row(key: str, progress: dict[str, object]) -> dict[str, object]:
    """A jobs row as revision 0002 stores it."""
    return {
        "key": key,
        "kind": "message",
        "state": "pending",
        "team_id": "T1",
        "channel_id": "C1",
        "message_ts": "1.000001",
        "route_name": "news",
        "community_id": "comm",
        "post_id": f"slack-{key}",
        "requested_by": "U1",
        "attempts": 2,
        "next_run_at": datetime(2026, 1, 1),
        "progress": json.dumps(progress),
        "created_at": datetime(2026, 1, 1),
        "updated_at": datetime(2026, 1, 1),
    }


def insert(engine: Engine, row: dict[str, object]) -> None:
    """Insert a row with plain SQL (the tables of the code are of the newest revision)."""
    columns = ", ".join(row)
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO jobs ({columns}) VALUES (:{', :'.join(row)})"), row)


def upgrade_to(engine: Engine, revision: str) -> None:
    """Run the migrations up to ``revision``."""
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


OLD_PROGRESS: dict[str, object] = {
    "when": "tomorrow 9am",
    "tz": "Europe/Paris",
    "message": {"ts": "1.000001", "thread_ts": "1.000000", "text": "hi", "files": [{"id": "F1"}]},
    "uploads": {"F1": {"fileId": "amity-1", "type": "image"}},
    "refused": {"F2": "Amity refused it: too big"},
    "attached": ["cat.png"],
    "skipped": [{"name": "big.mov", "reason": "too large"}],
    "post_created": True,
    "reply_started": 1764000000.5,
    "failing_since": "2026-01-01T00:05:00",
}


def test_progress_written_by_older_code_reads_as_typed_progress(database_url: str) -> None:
    """A row of revision 0002 (``when`` inside progress) keeps every step's result."""
    engine = make_engine(database_url)
    upgrade_to(engine, "0002")
    insert(engine, old_row("old", OLD_PROGRESS))
    insert(engine, old_row("plain", {}))
    migrate(engine)
    box = Outbox(engine)
    job, plain = box.get_by_key("old"), box.get_by_key("plain")
    assert job is not None and plain is not None
    assert job.when == "tomorrow 9am" and plain.when is None
    progress = job.progress
    assert progress.tz == "Europe/Paris" and progress.post_created and not progress.reply_sent
    assert progress.message is not None and progress.message.thread_ts == "1.000000"
    assert [f.id for f in progress.message.files] == ["F1"]
    assert progress.uploads["F1"].fileId == "amity-1" and progress.uploads["F1"].type == "image"
    assert progress.refused == {"F2": "Amity refused it: too big"}
    assert progress.attached == ["cat.png"] and progress.skipped[0].reason == "too large"
    assert progress.reply_started == 1764000000.5
    assert progress.failing_since == datetime(2026, 1, 1, 0, 5)
    assert plain.progress == Progress()
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT progress FROM jobs WHERE key = 'old'")).scalar_one()
    assert "when" not in (json.loads(stored) if isinstance(stored, str) else stored)
    engine.dispose()


def test_downgrade_puts_the_time_phrase_back_into_progress(database_url: str) -> None:
    """Going back to 0002 leaves rows that code of 0002 reads as it wrote them."""
    engine = make_engine(database_url)
    upgrade_to(engine, "0002")
    insert(engine, old_row("old", OLD_PROGRESS))
    migrate(engine)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0002")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT progress FROM jobs WHERE key = 'old'")).scalar_one()
    assert (json.loads(stored) if isinstance(stored, str) else stored) == OLD_PROGRESS
    engine.dispose()
