"""The jobs table (the outbox).

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``jobs`` and its indexes."""
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("team_id", sa.String(40), nullable=False),
        sa.Column("channel_id", sa.String(40), nullable=False),
        sa.Column("message_ts", sa.String(40)),
        sa.Column("thread_ts", sa.String(40)),
        sa.Column("route_name", sa.String(80), nullable=False),
        sa.Column("community_id", sa.String(900), nullable=False),
        sa.Column("post_id", sa.String(100), nullable=False),
        sa.Column("requested_by", sa.String(40), nullable=False),
        sa.Column("response_url", sa.Text),
        sa.Column("text", sa.Text),
        sa.Column("post_url", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_run_at", sa.DateTime, nullable=False),
        sa.Column("scheduled_for", sa.DateTime),
        sa.Column("lease_until", sa.DateTime),
        sa.Column("last_error", sa.Text),
        sa.Column("progress", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("key", name="uq_jobs_key"),
    )
    op.create_index("ix_jobs_next_run_at", "jobs", ["next_run_at"])
    op.create_index("ix_jobs_state", "jobs", ["state"])


def downgrade() -> None:
    """Drop ``jobs``."""
    op.drop_table("jobs")
