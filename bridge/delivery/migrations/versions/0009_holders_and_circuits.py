"""Process heartbeats (a dead process's jobs are taken over in seconds) and per-service
circuits (after an outage, every waiting job is due again at once).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision: str | None = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``jobs.holder`` and ``jobs.waiting_on``, and the ``holders`` and ``circuits``
    tables. A job running when this runs has no holder: its lease decides, as before."""
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("holder", sa.String(100)))
        batch.add_column(sa.Column("waiting_on", sa.String(20)))
        batch.create_index("ix_jobs_waiting_on", ["waiting_on"])
    op.create_table(
        "holders",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("alive_until", sa.DateTime, nullable=False),
    )
    op.create_table(
        "circuits",
        sa.Column("service", sa.String(20), primary_key=True),
        sa.Column("failing_since", sa.DateTime),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("probe_at", sa.DateTime),
        sa.Column("probe_job", sa.Integer),
        sa.Column("probe_until", sa.DateTime),
        sa.Column("last_error", sa.Text),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("circuits")
    op.drop_table("holders")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_waiting_on")
        batch.drop_column("waiting_on")
        batch.drop_column("holder")
