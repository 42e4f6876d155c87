"""What the bridge knows about a post: its Slack message, sync options, preview choices
and state.

A post made from a message gets a ``post_links`` row when it is created, holding the
message (channel and ts) and the route's sync options at that time, so removing or
changing the route later does not stop its edits and deletes. A preview's choices (and
who wrote the text set there) are stored before the post is made. Posts made before
these columns existed have no message here: they are found through the routes in force
and the jobs table (the creating job holds its channel, message ts and ``post_id``).
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
    Column("channel_id", String(40)),  # the Slack message the post was made from
    Column("message_ts", String(40)),
    Column("sync_edits", Boolean),  # the route's options when the post was made
    Column("sync_deletes", String(20)),
    Column("text_by", String(40)),  # who wrote the text set in the preview
    Column("attribution", Text),  # the attribution template it was made with ("": none)
    Column("shared_by", Boolean),  # whether it was made with the "shared by" line
    Index("ix_post_links_message", "channel_id", "message_ts"),
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
    channel_id: str | None = None
    message_ts: str | None = None
    sync_edits: bool | None = None
    sync_deletes: str | None = None
    text_by: str | None = None
    attribution: str | None = None  # None: not recorded (made before it was kept)
    shared_by: bool | None = None

    @property
    def has_preview(self) -> bool:
        """The preview set this post's choices (it always sets discoverability)."""
        return self.discoverable is not None or self.text_override is not None

    def foreign_text(self, author: str) -> bool:
        """The preview set a text that ``author`` did not write."""
        return self.text_override is not None and self.text_by != author


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
        by: str | None = None,
    ) -> None:
        """What the preview set: ``text`` (when edited there, by ``by``) is the post's text
        from now on, whatever later Slack edits say."""
        self._upsert(
            post_id,
            team_id,
            text_override=text,
            text_by=by if text is not None else None,
            tags=tags or None,
            discoverable=discoverable,
        )

    def clear_preview(self, post_id: str) -> None:
        """Forget an earlier preview's choices (a share that made no post is tried again)."""
        with self.engine.begin() as conn:
            conn.execute(
                post_links.update()
                .where(post_links.c.post_id == post_id, post_links.c.message_ts.is_(None))
                .values(text_override=None, text_by=None, tags=None, discoverable=None)
            )

    def created(
        self,
        post_id: str,
        team_id: str,
        message: tuple[str, str],
        route: str,
        sync: tuple[bool, str],
        attribution: tuple[str, bool] = ("", False),
    ) -> None:
        """The post exists, made from ``message`` (channel, ts) through ``route``, whose
        sync options (edits, deletes) it keeps from now on, as it keeps its attribution
        (the route's template, "" for none; whether a "shared by" line was added)."""
        channel, ts = message
        self._upsert(
            post_id,
            team_id,
            channel_id=channel,
            message_ts=ts,
            route_name=route,
            sync_edits=sync[0],
            sync_deletes=sync[1],
            attribution=attribution[0],
            shared_by=attribution[1],
        )

    def of_message(self, team_id: str, channel: str, ts: str) -> list[PostLink]:
        """The live posts made from a message."""
        query = select(post_links).where(
            post_links.c.team_id == team_id,
            post_links.c.channel_id == channel,
            post_links.c.message_ts == ts,
            post_links.c.state == PostState.live,
        )
        with self.engine.connect() as conn:
            return [PostLink(**row) for row in conn.execute(query).mappings()]

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
