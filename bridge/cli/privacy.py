"""The store's privacy commands: ``python -m bridge prune`` and ``python -m bridge forget``.

``prune [--dry-run]`` applies the retention now (``BRIDGE_RETENTION_DAYS``; the worker
does the same in small batches every few minutes) and says what it removed. ``forget
--user U… [--dry-run]`` erases one person (see :mod:`bridge.delivery.erasure`) and says
what remains: the posts in Amity, by post ID, which the community's admins handle there.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from pydantic import ValidationError

from bridge.delivery.erasure import Forgotten, NotAUser, forget
from bridge.delivery.outbox import Outbox
from bridge.delivery.retention import Pruned, prune, would_prune
from bridge.ops.diagnose import open_existing
from bridge.settings import StoreSettings, describe_errors


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``prune`` and ``forget`` on the command line's subcommands."""
    cut = commands.add_parser(
        "prune",
        help="clear the message text of posts finished BRIDGE_RETENTION_DAYS ago",
        description="Clear the message text, progress and errors of posts finished more than "
        "BRIDGE_RETENTION_DAYS ago (default 30), and remove expired approvals and Amity "
        "sessions; the worker does the same in small batches every few minutes.",
    )
    cut.add_argument("--dry-run", action="store_true", help="say what would go, change nothing")
    cut.set_defaults(func=prune_command)
    erase = commands.add_parser(
        "forget",
        help="erase what the store holds of one person (a data-subject request)",
        description="Erase the stored content of one person's messages, their approval "
        "requests and their Amity session, and list the posts that remain in Amity (their "
        "community's admins delete those there).",
    )
    erase.add_argument("--user", required=True, help="their Slack user ID, such as U0123ABCD")
    erase.add_argument(
        "--amity-user",
        help="their Amity user ID, when it is not their Slack user ID (BRIDGE_MENTIONS map or "
        "email): whose stored Amity session to delete",
    )
    erase.add_argument("--dry-run", action="store_true", help="say what would go, change nothing")
    erase.set_defaults(func=forget_command)


def _settings() -> StoreSettings:
    try:
        return StoreSettings()
    except ValidationError as error:
        for line in describe_errors(error):
            print(f"bridge: {line}", file=sys.stderr)
        raise SystemExit(2) from None


@contextmanager
def _store(settings: StoreSettings) -> Iterator[Outbox]:
    box = open_existing(settings.DATABASE_URL)
    try:
        yield box
    finally:
        box.engine.dispose()


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def prune_line(done: Pruned, days: float, dry_run: bool) -> str:
    """What a prune did (or would do), in one line."""
    age = f"{days:g} days"
    if done.total == 0:
        return f"bridge: nothing to prune: no finished post older than {age} keeps its text"
    verb = "would clear" if dry_run else "cleared"
    parts = [
        f"{verb} the message text of {_plural(done.cleared, 'finished job')} older than {age}",
        f"{'would remove' if dry_run else 'removed'} {_plural(done.edits, 'finished edit job')}",
        _plural(done.approvals, "expired approval request"),
        _plural(done.sessions, "expired Amity session"),
    ]
    tail = " (dry run: nothing changed)" if dry_run else ""
    return "bridge: " + ", ".join(parts[:-1]) + " and " + parts[-1] + tail


def prune_command(args: argparse.Namespace) -> int:
    """Apply the retention now."""
    settings = _settings()
    retention = timedelta(days=settings.BRIDGE_RETENTION_DAYS)
    with _store(settings) as box:
        if args.dry_run:
            done = would_prune(box.engine, retention, box.clock())
        else:
            done = prune(box.engine, retention, box.clock)
    print(prune_line(done, settings.BRIDGE_RETENTION_DAYS, args.dry_run))
    return 0


def forget_lines(user: str, done: Forgotten, dry_run: bool) -> list[str]:
    """What ``forget`` did (or would do), and what remains."""
    would = "would " if dry_run else ""
    cancelled = f" ({done.cancelled} not posted yet, cancelled)" if done.cancelled else ""
    lines = [
        f"bridge: {'would erase' if dry_run else 'erased'} {user}: "
        f"{would}{'clear' if dry_run else 'cleared'} "
        f"{_plural(done.cleared, 'job')} of messages they wrote{cancelled}, "
        f"{would}{'remove' if dry_run else 'removed'} their ID from "
        f"{_plural(done.unnamed, 'other record')}, "
        f"{would}{'delete' if dry_run else 'deleted'} "
        f"{_plural(done.approvals, 'approval request')} and "
        f"{_plural(done.sessions, 'Amity session')}"
        + (" (dry run: nothing changed)" if dry_run else "")
    ]
    if done.posts:
        lines.append(
            f"bridge: {_plural(len(done.posts), 'post remains', 'posts remain')} in Amity; "
            "the store no longer holds their text, and the community's admins can delete "
            "them there:"
        )
        lines += [
            f"  post {post.post_id}  community {post.community_id}  route {post.route_name}  "
            f"({'written' if post.wrote else 'shared'} by {user})"
            for post in done.posts
        ]
    else:
        lines.append("bridge: no post made from their messages remains in Amity")
    for job_id in done.running:
        lines.append(
            f"bridge: job {job_id} is running right now and was left as it is: "
            "run this command again in a minute"
        )
    return lines


def forget_command(args: argparse.Namespace) -> int:
    """Erase one person; exit 1 when a job of theirs was running (run it again)."""
    settings = _settings()
    with _store(settings) as box:
        try:
            done = forget(
                box.engine,
                args.user,
                amity_user=args.amity_user,
                clock=box.clock,
                dry_run=args.dry_run,
            )
        except NotAUser as error:
            print(f"bridge: --user {error}", file=sys.stderr)
            return 2
    for line in forget_lines(args.user, done, args.dry_run):
        print(line)
    return 1 if done.running else 0
