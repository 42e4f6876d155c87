"""Helpers for the retention and erasure tests: jobs shaped like real ones, and a dump of
every value the database holds."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from sqlalchemy import Engine, inspect, text

from bridge.delivery.jobs import Job, JobState, NewJob
from bridge.delivery.outbox import Outbox
from bridge.delivery.progress import Progress
from bridge.slack.message import SlackMessage


class SetClock:
    """A clock the test sets."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def dump(engine: Engine) -> str:
    """Every row of every table as text: SQLite's own dump, or on PostgreSQL each row cast
    to text (all its columns)."""
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        assert path is not None
        with sqlite3.connect(path) as conn:
            return "\n".join(conn.iterdump())
    lines = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            query = text(f'SELECT CAST(t AS text) FROM "{table}" t')
            lines += [str(row[0]) for row in conn.execute(query)]
    return "\n".join(lines)


def shared_message(
    outbox: Outbox,
    key: str,
    *,
    author: str,
    sharer: str,
    words: str,
    state: JobState = JobState.done,
    error: str | None = None,
) -> Job:
    """A message job as the worker leaves it: the fetched message in its progress."""
    ts = f"17000000{abs(hash(key)) % 100:02d}.000100"
    job, _ = outbox.enqueue(
        NewJob(
            key=f"T1:C0NEWS001:{ts}:{key}",
            kind="message",
            team_id="T1",
            channel_id="C0NEWS001",
            message_ts=ts,
            route_name="news",
            community_id="community-1",
            post_id=f"slack-{key}",
            requested_by=sharer,
            response_url=f"https://hooks.slack.example/{key}",
        )
    )
    message = SlackMessage(ts=ts, user=author, text=words)
    progress = Progress(message=message, post_created=state is JobState.done, reply_sent=True)
    outbox.save_progress(job.id, progress, post_url=f"https://amity.example/{key}")
    if state is not JobState.pending:
        outbox.finish(job.id, state, error=error)
    stored = outbox.get(job.id)
    assert stored is not None
    return stored


def typed_text(
    outbox: Outbox, key: str, *, user: str, words: str, state: JobState = JobState.done
) -> Job:
    """A ``/crosspost <text>`` job."""
    job, _ = outbox.enqueue(
        NewJob(
            key=f"T1:C0NEWS001:cmd:{key}:community-1",
            kind="text",
            team_id="T1",
            channel_id="C0NEWS001",
            route_name="news",
            community_id="community-1",
            post_id=f"slack-{key}",
            requested_by=user,
            text=words,
        )
    )
    if state is not JobState.pending:
        outbox.finish(job.id, state)
    stored = outbox.get(job.id)
    assert stored is not None
    return stored


def edit_of(outbox: Outbox, created: Job, *, author: str, words: str) -> Job:
    """A finished edit job of ``created``'s post, carrying the edited message."""
    message = SlackMessage(ts=created.message_ts or "", user=author, text=words)
    job, _ = outbox.enqueue(
        NewJob(
            key=f"{created.key}:edit:{words[:8]}",
            kind="edit",
            team_id=created.team_id,
            channel_id=created.channel_id,
            message_ts=created.message_ts,
            route_name=created.route_name,
            community_id=created.community_id,
            post_id=created.post_id,
            requested_by=created.requested_by,
            text=message.model_dump_json(exclude_none=True),
        )
    )
    outbox.finish(job.id, JobState.done)
    stored = outbox.get(job.id)
    assert stored is not None
    return stored


DAY = timedelta(days=1)
