"""A scheduled post's time phrase gets its own column; progress is stored typed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

jobs = sa.table("jobs", sa.column("id", sa.Integer), sa.column("when", sa.Text))
progress = sa.column("progress", sa.JSON)
jobs.append_column(progress)


def _stored(value: Any) -> dict[str, Any]:
    """A progress value as read back (a dict; a string on drivers without JSON types)."""
    if isinstance(value, str):
        value = json.loads(value)
    return dict(value or {})


def upgrade() -> None:
    """Add ``jobs.when`` and move each row's ``progress["when"]`` into it.

    The other keys keep their names and meaning; ``Progress`` reads them as they are
    (``failing_since`` as the ISO time it was written as).
    """
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("when", sa.Text))
    conn = op.get_bind()
    rows = conn.execute(sa.select(jobs.c.id, progress)).all()
    for job_id, value in rows:
        stored = _stored(value)
        if "when" not in stored:
            continue
        when = stored.pop("when")
        conn.execute(
            sa.update(jobs).where(jobs.c.id == job_id).values({"when": when, "progress": stored})
        )


def downgrade() -> None:
    """Put ``when`` back into ``progress`` and drop the column."""
    conn = op.get_bind()
    rows = conn.execute(sa.select(jobs.c.id, jobs.c.when, progress)).all()
    for job_id, when, value in rows:
        if when is not None:
            conn.execute(
                sa.update(jobs)
                .where(jobs.c.id == job_id)
                .values({"progress": {**_stored(value), "when": when}})
            )
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("when")
