"""Claim tokens on jobs (fast takeover) and the shared Amity rate budget.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``jobs.claim`` and the ``rate_budget`` table.

    A job running when this runs was claimed by code without tokens: it gets a token
    no process holds, so it is taken over when its lease expires, as before.
    """
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("claim", sa.String(100)))
    op.execute("UPDATE jobs SET claim = 'before-0002' WHERE state = 'running'")
    op.create_table(
        "rate_budget",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("next_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("rate_budget")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("claim")
