"""Routes managed from Slack, and shares waiting for approval.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the ``routes`` and ``approvals`` tables."""
    op.create_table(
        "routes",
        sa.Column("name", sa.String(80), primary_key=True),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("updated_by", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(40), nullable=False),
        sa.Column("channel_id", sa.String(40), nullable=False),
        sa.Column("message_ts", sa.String(40), nullable=False),
        sa.Column("thread_ts", sa.String(40)),
        sa.Column("route_name", sa.String(80), nullable=False),
        sa.Column("requested_by", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("decided_by", sa.String(40)),
        sa.Column("expires_at", sa.DateTime, nullable=False, index=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("channel_id", "message_ts", "route_name", name="uq_approvals_message"),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("approvals")
    op.drop_table("routes")
