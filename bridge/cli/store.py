"""The store commands: ``migrate``, ``jobs``, ``retry``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import inspect

from bridge.cli.common import settings
from bridge.delivery.migrate import current_revision
from bridge.delivery.outbox import Job, JobState, Outbox, make_engine
from bridge.ops.diagnose import open_existing, place
from bridge.settings import StoreSettings


@contextmanager
def _outbox() -> Iterator[Outbox]:
    """The existing, migrated store (StoreProblem otherwise): nothing is created."""
    box = open_existing(settings(StoreSettings).DATABASE_URL)
    try:
        yield box
    finally:
        box.engine.dispose()


def migrate(_args: argparse.Namespace) -> int:
    """Create or upgrade the database schema, and say which it did."""
    url = settings(StoreSettings).DATABASE_URL
    box = Outbox(make_engine(url))
    try:
        before = current_revision(box.engine)
        box.create_schema()
        after = current_revision(box.engine)
        tables = [t for t in inspect(box.engine).get_table_names() if t != "alembic_version"]
    finally:
        box.engine.dispose()
    where = place(url)
    if before is None:
        print(f"bridge: created the schema ({len(tables)} tables, revision {after}) in {where}")
    elif before != after:
        print(f"bridge: upgraded the schema in {where} from {before} to {after}")
    else:
        print(f"bridge: the schema in {where} is already current ({after})")
    return 0


def jobs(args: argparse.Namespace) -> int:
    """Print the most recent jobs, or (``--waiting``) the jobs waiting to be retried."""
    with _outbox() as box:
        shown = box.waiting(args.limit) if args.waiting else box.recent(args.limit)
    header = ("ID", "STATE", "TRIES", "KIND", "ROUTE", "CHANNEL", "UPDATED (UTC)", "NEXT TRY (UTC)")
    rows: list[tuple[str, ...]] = [(*header, "LAST ERROR")]
    rows += [_job_row(job) for job in shown]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1]
        )
    waiting = sum(job.state is JobState.pending and job.attempts > 0 for job in shown)
    if waiting and not args.waiting:
        print(f"{waiting} of these wait to be retried; `bridge jobs --waiting` lists all such jobs")
    return 0


def _job_row(job: Job) -> tuple[str, ...]:
    """One line of the jobs table; a pending job that has failed before is "waiting"."""
    waiting = job.state is JobState.pending and job.attempts > 0
    pending = job.state is JobState.pending and job.next_run_at is not None
    return (
        str(job.id),
        "waiting" if waiting else job.state.value,
        str(job.attempts),
        job.kind,
        job.route_name,
        job.channel_id,
        f"{job.updated_at:%Y-%m-%d %H:%M:%S}" if job.updated_at else "",
        f"{job.next_run_at:%Y-%m-%d %H:%M:%S}" if pending else "-",
        (job.last_error or "")[:70],
    )


def retry(args: argparse.Namespace) -> int:
    """Queue a failed job again."""
    with _outbox() as box:
        queued = box.retry_now(args.job_id)
    if queued:
        print(f"bridge: job {args.job_id} is queued again; a running bridge picks it up")
        return 0
    print(
        f"bridge: job {args.job_id} is not a failed job (see `python -m bridge jobs`)",
        file=sys.stderr,
    )
    return 1
