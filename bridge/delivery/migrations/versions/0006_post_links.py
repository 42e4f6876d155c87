"""The state of posts beyond their creation job: preview choices and removals.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the ``post_links`` table (a post without a row is live)."""
    op.create_table(
        "post_links",
        sa.Column("post_id", sa.String(100), primary_key=True),
        sa.Column("team_id", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("text_override", sa.Text),
        sa.Column("tags", sa.JSON),
        sa.Column("discoverable", sa.Boolean),
        sa.Column("removed_by", sa.String(40)),
        sa.Column("removed_at", sa.DateTime),
        sa.Column("route_name", sa.String(80)),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("post_links")
