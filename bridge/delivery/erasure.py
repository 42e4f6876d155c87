"""Erasure: forgetting one person on request (``python -m bridge forget --user U…``).

"That person's messages" are the messages they wrote: a shared Slack message whose
fetched copy names them as its author, an edit of it, and a ``/crosspost <text>`` they
typed. Those jobs lose their content as retention clears it (text, progress, errors,
response URL, time phrase, the text set in the preview); one that has not run yet is
cancelled first. Their Slack ID is removed wherever else the store holds it: as the
person who shared someone else's message or took a post back, as the decider of
someone's approval request, as who removed a post. Their approval requests and their
Amity session are deleted.

What stays is what lives in Amity: the posts made from their messages (and the posts
they shared), listed by post ID for the community's admins, who remove them there if
the request asks for it (retention keeps who wrote each message, so the posts of old
messages are listed too; ``forget`` removes that as well).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, Text, cast, delete, func, or_, select, update
from sqlalchemy.engine import Connection

from bridge.delivery.jobs import Clock, JobState, amity_sessions, approvals, jobs, utc_now
from bridge.delivery.links import PostState, post_links
from bridge.delivery.progress import Progress
from bridge.delivery.retention import CLEARED, forget_preview_texts

SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,39}$")
CREATIONS = ("message", "text")
ERASED = "cancelled: its author asked to be forgotten"


class NotAUser(ValueError):
    """The ID given is not a Slack user ID."""


@dataclass(frozen=True)
class RemainingPost:
    """A post in Amity made from the person's message, or shared by them."""

    community_id: str
    post_id: str
    route_name: str
    wrote: bool  # made from a message they wrote (else: a message they shared)


@dataclass
class Forgotten:
    """What ``forget`` erased (or, on a dry run, would erase) and what remains."""

    cleared: int = 0  # jobs of their messages whose content was cleared
    cancelled: int = 0  # of which had not run yet
    unnamed: int = 0  # other jobs and records their ID was removed from
    approvals: int = 0  # their approval requests, deleted
    sessions: int = 0  # their Amity sessions, deleted
    running: list[int] = field(default_factory=list)  # jobs running now: left alone
    posts: list[RemainingPost] = field(default_factory=list)


def _author(row: Any) -> str | None:
    """Who wrote what a job carries (kept in ``author`` once retention cleared it)."""
    if row.author is not None:
        return str(row.author)
    if row.kind == "text":
        return str(row.requested_by)
    if row.kind == "edit" and row.text:
        try:
            user = json.loads(row.text).get("user")
        except (ValueError, AttributeError):
            return None
        return user if isinstance(user, str) else None
    progress: Progress = row.progress
    return progress.message.user if progress.message is not None else None


def _candidates(conn: Connection, user: str) -> Sequence[Any]:
    """Every job that may be theirs (a row naming the ID anywhere), locked for the erasure."""
    query = select(
        jobs.c.id,
        jobs.c.kind,
        jobs.c.state,
        jobs.c.requested_by,
        jobs.c.author,
        jobs.c.text,
        jobs.c.progress,
        jobs.c.community_id,
        jobs.c.post_id,
        jobs.c.route_name,
    ).where(
        or_(
            jobs.c.requested_by == user,
            jobs.c.author == user,
            jobs.c.text.contains(user),
            cast(jobs.c.progress, Text).contains(user),
        )
    )
    rows: Sequence[Any] = conn.execute(query.order_by(jobs.c.id).with_for_update()).all()
    return rows


def forget(
    engine: Engine,
    user: str,
    *,
    amity_user: str | None = None,
    clock: Clock = utc_now,
    dry_run: bool = False,
) -> Forgotten:
    """Erase what the store holds of Slack user ``user`` (Amity user ``amity_user``,
    by default the same ID); with ``dry_run``, only say what that would be."""
    if not SLACK_USER.match(user):
        raise NotAUser(f"{user!r} is not a Slack user ID (such as U0123ABCD)")
    now = clock()
    result = Forgotten()
    with engine.begin() as conn:
        for row in _candidates(conn, user):
            wrote = _author(row) == user
            if not wrote and row.requested_by != user:
                continue  # another person's message that mentions them
            if row.state is JobState.running:
                result.running.append(row.id)
                continue
            values: dict[str, Any] = {}
            if row.requested_by == user:
                values["requested_by"] = ""
            if row.state is JobState.pending:
                values |= {"state": JobState.cancelled, "updated_at": now}
                result.cancelled += wrote
            if wrote or row.state is JobState.pending:
                values |= {**CLEARED, "pruned_at": now, "author": None}
                if row.state is JobState.pending:
                    values["last_error"] = ERASED
            result.cleared += wrote
            result.unnamed += not wrote
            if row.kind in CREATIONS and row.state is JobState.done:
                result.posts.append(
                    RemainingPost(row.community_id, row.post_id, row.route_name, wrote)
                )
            if not dry_run:
                guard = (jobs.c.id == row.id) & (jobs.c.state != JobState.running)
                conn.execute(update(jobs).where(guard).values(**values))
                if wrote and row.kind in CREATIONS:
                    posted = row.state is JobState.done
                    post = [row.post_id]
                    forget_preview_texts(conn, post if posted else [], [] if posted else post)
        result.posts = _still_live(conn, result.posts)
        result.unnamed += _unname(conn, user, dry_run)
        result.approvals = _delete(conn, approvals, approvals.c.requested_by == user, dry_run)
        session = amity_sessions.c.user_id.in_({user, amity_user or user})
        result.sessions = _delete(conn, amity_sessions, session, dry_run)
    return result


def _still_live(conn: Connection, posts: list[RemainingPost]) -> list[RemainingPost]:
    """The posts not removed from their community since."""
    ids = [post.post_id for post in posts]
    gone = post_links.c.post_id.in_(ids) & (post_links.c.state == PostState.removed)
    removed = (
        set(conn.execute(select(post_links.c.post_id).where(gone)).scalars()) if ids else set()
    )
    return [post for post in posts if post.post_id not in removed]


def _unname(conn: Connection, user: str, dry_run: bool) -> int:
    """Remove their ID as the decider of others' requests and as who removed a post."""
    decided = approvals.c.decided_by == user
    took_back = post_links.c.removed_by == user
    if dry_run:
        return _count(conn, approvals, decided) + _count(conn, post_links, took_back)
    changed = conn.execute(update(approvals).where(decided).values(decided_by=None)).rowcount
    changed += conn.execute(update(post_links).where(took_back).values(removed_by=None)).rowcount
    return int(changed)


def _count(conn: Connection, table: Any, where: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(table).where(where)).scalar_one())


def _delete(conn: Connection, table: Any, where: Any, dry_run: bool) -> int:
    if dry_run:
        return _count(conn, table, where)
    return int(conn.execute(delete(table).where(where)).rowcount)
