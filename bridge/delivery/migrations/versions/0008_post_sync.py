"""Posts carry their Slack message, sync options and attribution, and who wrote a preview's
text.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels = None
depends_on = None

COLUMNS = (
    ("channel_id", sa.String(40)),  # the Slack message the post was made from
    ("message_ts", sa.String(40)),
    ("sync_edits", sa.Boolean),  # the route's options when the post was made
    ("sync_deletes", sa.String(20)),
    ("text_by", sa.String(40)),  # who wrote the text set in the preview
    ("attribution", sa.Text),  # the attribution line's template it was made with ("": none)
    ("shared_by", sa.Boolean),  # whether it was made with the "shared by" line
)


def upgrade() -> None:
    """Add the columns, and an index to find a message's posts."""
    with op.batch_alter_table("post_links") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind))
    op.create_index("ix_post_links_message", "post_links", ["channel_id", "message_ts"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_post_links_message", "post_links")
    with op.batch_alter_table("post_links") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
