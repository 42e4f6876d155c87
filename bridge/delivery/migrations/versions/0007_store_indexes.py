"""Retention's mark on jobs, and indexes for every query of a poll, trigger or App Home.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``jobs.pruned_at`` and ``jobs.author`` (set when retention clears a job: who
    wrote its message, so that erasure still finds the posts of a person), and the indexes.

    ``ix_jobs_team_state_updated`` serves the App Home (a workspace's newest jobs in a
    state) and ``/crosspost list``; ``ix_jobs_post_id`` the post → jobs lookups of edits,
    deletions and take-backs; ``ix_jobs_unpruned`` (partial: rows not pruned yet) the
    pruning batches; ``ix_post_links_removed`` the App Home's removed posts;
    ``ix_amity_sessions_expires_at`` the removal of expired sessions.
    """
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("pruned_at", sa.DateTime))
        batch.add_column(sa.Column("author", sa.String(40)))
    op.create_index("ix_jobs_team_state_updated", "jobs", ["team_id", "state", "updated_at"])
    op.create_index("ix_jobs_post_id", "jobs", ["post_id"])
    unpruned = sa.text("pruned_at IS NULL")
    op.create_index(
        "ix_jobs_unpruned",
        "jobs",
        ["updated_at"],
        postgresql_where=unpruned,
        sqlite_where=unpruned,
    )
    op.create_index("ix_post_links_removed", "post_links", ["team_id", "state", "removed_at"])
    op.create_index("ix_amity_sessions_expires_at", "amity_sessions", ["expires_at"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_amity_sessions_expires_at", "amity_sessions")
    op.drop_index("ix_post_links_removed", "post_links")
    op.drop_index("ix_jobs_unpruned", "jobs")
    op.drop_index("ix_jobs_post_id", "jobs")
    op.drop_index("ix_jobs_team_state_updated", "jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("author")
        batch.drop_column("pruned_at")
