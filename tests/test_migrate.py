"""Migrations build exactly the schema the code expects, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bridge.migrate import is_current, migrate
from bridge.outbox import make_engine, metadata


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
