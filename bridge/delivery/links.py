"""What the bridge knows about a post after it was created: its text override and state.

One ``post_links`` row per post that was shared through the preview or removed; a post
without a row is live and follows its Slack message. The message → post
map itself is the jobs table: the job that created a post holds its channel, message ts
and ``post_id``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Engine,
    Enum,
    Index,
    String,
    Table,
    Text,
    select,
)
from sqlalchemy.exc import IntegrityError

from bridge.delivery.jobs import metadata, utc_now


class PostState(enum.Enum):
    """Where a post is in its life after creation."""

    live = "live"  # in the community, following its Slack message
    removed = "removed"  # deleted from the community (message deleted, or taken back)


post_links = Table(
    "post_links",
    metadata,
    Column("post_id", String(100), primary_key=True),
    Column("team_id", String(40), nullable=False),
    Column("state", Enum(PostState, native_enum=False, length=20), nullable=False),
    Column("text_override", Text),  # the text set in the preview: Slack edits keep it
    Column("tags", JSON),  # the preview's tags
    Column("discoverable", Boolean),  # the preview's choice (None: Amity's default)
    Column("removed_by", String(40)),  # who took it back (empty: the message was deleted)
    Column("removed_at", DateTime),
    Column("route_name", String(80)),
    Column("updated_at", DateTime, nullable=False),
)
Index("ix_post_links_removed", post_links.c.team_id, post_links.c.state, post_links.c.removed_at)


@dataclass(frozen=True)
class PostLink:
    """A stored row."""

    post_id: str
    team_id: str
    state: PostState
    text_override: str | None
    tags: list[str] | None
    discoverable: bool | None
    removed_by: str | None
    removed_at: datetime | None
    route_name: str | None
    updated_at: datetime


class Links:
    """Reads and writes ``post_links``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, post_id: str) -> PostLink | None:
        """The row of ``post_id``, if any."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(post_links).where(post_links.c.post_id == post_id))
                .mappings()
                .first()
            )
        return PostLink(**row) if row else None

    def _upsert(self, post_id: str, team_id: str, **values: object) -> None:
        now = utc_now()
        with self.engine.begin() as conn:
            changed = conn.execute(
                post_links.update()
                .where(post_links.c.post_id == post_id)
                .values(updated_at=now, **values)
            )
            if changed.rowcount:
                return
            try:
                row = {"state": PostState.live, **values, "post_id": post_id}
                conn.execute(post_links.insert().values(team_id=team_id, updated_at=now, **row))
            except IntegrityError:  # written meanwhile by another process: update it
                conn.execute(
                    post_links.update().where(post_links.c.post_id == post_id).values(**values)
                )

    def set_preview(
        self,
        post_id: str,
        team_id: str,
        *,
        text: str | None,
        tags: list[str],
        discoverable: bool,
    ) -> None:
        """What the preview set: ``text`` (when edited there) is the post's text from now
        on, whatever later Slack edits say."""
        self._upsert(
            post_id, team_id, text_override=text, tags=tags or None, discoverable=discoverable
        )

    def removed(self, post_id: str, team_id: str, route: str, by: str | None) -> None:
        """The post was deleted from the community (``by``: who took it back)."""
        self._upsert(
            post_id,
            team_id,
            state=PostState.removed,
            removed_by=by,
            removed_at=utc_now(),
            route_name=route,
        )

    def recently_removed(self, team_id: str, limit: int = 10) -> list[PostLink]:
        """The last posts removed in a workspace, newest first (for the App Home)."""
        query = (
            select(post_links)
            .where(post_links.c.team_id == team_id, post_links.c.state == PostState.removed)
            .order_by(post_links.c.removed_at.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [PostLink(**row) for row in conn.execute(query).mappings()]
