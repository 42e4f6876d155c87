"""Amity session tokens of the people the bridge posts as (encrypted).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the ``amity_sessions`` table."""
    op.create_table(
        "amity_sessions",
        sa.Column("user_id", sa.String(50), primary_key=True),
        sa.Column("device_id", sa.String(150), nullable=False),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("amity_sessions")
