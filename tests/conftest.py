"""Shared fixtures: databases (SQLite file and PostgreSQL) and settings."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from bridge_standins.amity import FakeAmity
from bridge_standins.slack import FakeSlack
from bridge_standins.stack import AMITY_TOKEN, BOT_TOKEN, seed
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from bridge.delivery.outbox import Outbox, make_engine, metadata


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """A test that runs a command in-process (``main([...])`` sets up logging on the
    captured stderr) leaves the root logger as it found it, so later threads never write
    to a stream pytest has closed."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


POSTGRES_ADMIN_URL = os.environ.get(
    "BRIDGE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# Each test run has a database of its own, so two runs on one server never interfere.
TEST_DATABASE = f"bridge_test_{uuid.uuid4().hex[:12]}"
_created: list[str] = []


def postgres_url() -> str:
    """A URL of this run's database, created on first use; skip (fail in CI) if no server."""
    try:
        if not _created:
            admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{TEST_DATABASE}"'))
            admin.dispose()
            _created.append(TEST_DATABASE)
    except OperationalError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI but unreachable: {error}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}")
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + TEST_DATABASE


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop this run's PostgreSQL database."""
    if not _created:
        return
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{TEST_DATABASE}" WITH (FORCE)'))
    admin.dispose()


def reset_postgres(url: str) -> None:
    """Drop the bridge's tables so the next test starts from an empty database."""
    engine = make_engine(url)
    metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bridge.db'}"
        return
    url = postgres_url()
    reset_postgres(url)
    yield url


@pytest.fixture
def outbox(database_url: str) -> Iterator[Outbox]:
    """An outbox on an empty database, schema created."""
    box = Outbox(make_engine(database_url))
    box.create_schema()
    yield box
    box.engine.dispose()


@pytest.fixture
def fakes() -> Iterator[tuple[FakeSlack, FakeAmity]]:
    """A fake Slack and a fake Amity, seeded like the demo's."""
    slack = FakeSlack(bot_token=BOT_TOKEN).start()
    amity = FakeAmity(token=AMITY_TOKEN).start()
    seed(slack, amity)
    yield slack, amity
    slack.stop()
    amity.stop()
