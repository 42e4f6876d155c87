"""Command line: ``python -m bridge serve | demo | check | manifest | migrate | jobs | retry``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from typing import TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bridge import __version__
from bridge.logs import setup_logging
from bridge.outbox import Job, JobState, Outbox, make_engine
from bridge.routes import ConfigError, RoutesConfig, load_routes
from bridge.settings import Settings, StoreSettings, describe_errors

S = TypeVar("S", bound=BaseSettings)
MANIFEST_PLACEHOLDER = "https://bridge.example.com"


def _settings(kind: type[S]) -> S:
    try:
        return kind()
    except ValidationError as error:
        for line in describe_errors(error):
            print(f"bridge: {line}", file=sys.stderr)
        raise SystemExit(2) from None


def _routes(settings: Settings) -> RoutesConfig:
    try:
        return load_routes(settings.BRIDGE_CONFIG)
    except ConfigError as error:
        print(f"bridge: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def serve(args: argparse.Namespace) -> int:
    """Run the HTTP server and the worker."""
    settings = _settings(Settings)
    routes = _routes(settings)
    from bridge.app import build  # after the settings check: start-up errors come first
    from bridge.server import serve_forever

    try:
        bridge = build(settings, routes)
        serve_forever(bridge, args.host, settings.PORT)
    except BoltError as error:
        print(
            f"bridge: Slack refused SLACK_BOT_TOKEN at start-up ({error}): check the token "
            "or reinstall the app",
            file=sys.stderr,
        )
        return 2
    except SlackApiError as error:
        print(
            f"bridge: Slack refused SLACK_APP_TOKEN for Socket Mode "
            f"({error.response.get('error')}): create an app-level token with "
            "connections:write and enable Socket Mode",
            file=sys.stderr,
        )
        return 2
    except (SlackClientError, OSError) as error:
        print(
            f"bridge: Slack could not be reached at {settings.SLACK_API_URL} "
            f"({type(error).__name__}): check SLACK_API_URL and the network",
            file=sys.stderr,
        )
        return 1
    except SQLAlchemyError as error:
        print(
            f"bridge: the store in DATABASE_URL could not be opened ({type(error).__name__}):"
            " check the URL and that the database server is up",
            file=sys.stderr,
        )
        return 1
    return 0


def demo(_args: argparse.Namespace) -> int:
    """Run the bridge against local stand-ins and show what it did."""
    from bridge.demo import run_demo

    return run_demo()


@contextmanager
def _outbox() -> Iterator[Outbox]:
    box = Outbox(make_engine(_settings(StoreSettings).DATABASE_URL))
    try:
        yield box
    finally:
        box.engine.dispose()


def migrate(_args: argparse.Namespace) -> int:
    """Create or upgrade the database schema."""
    with _outbox() as box:
        box.create_schema()
    print("bridge: the database schema is up to date")
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


def check(_args: argparse.Namespace) -> int:
    """Check every setting against Slack, Amity and the store."""
    settings = _settings(Settings)
    routes = _routes(settings)
    from bridge.check import run_checks

    results = run_checks(settings, routes)
    for result in results:
        print(result.line())
    failed = sum(not r.ok for r in results)
    print(f"{len(results) - failed} OK, {failed} FAIL")
    return 1 if failed else 0


def manifest(args: argparse.Namespace) -> int:
    """Print the Slack app manifest with this bridge's URL."""
    url = args.url.rstrip("/")
    if not url.startswith("https://"):
        print("bridge: --url must be the bridge's public https:// URL", file=sys.stderr)
        return 2
    text = (files("bridge") / "manifest.yml").read_text(encoding="utf-8")
    print(text.replace(MANIFEST_PLACEHOLDER, url), end="")
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser."""
    top = argparse.ArgumentParser(
        prog="bridge",
        description="Cross-post Slack messages to an Amity Social Cloud community.",
    )
    top.add_argument("--version", action="version", version=f"bridge {__version__}")
    commands = top.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve Slack requests on $PORT and run the worker")
    run.add_argument("--host", default="0.0.0.0", help="address to bind (default 0.0.0.0)")
    run.set_defaults(func=serve)
    show = commands.add_parser("demo", help="run against local Slack and Amity stand-ins")
    show.set_defaults(func=demo)
    up = commands.add_parser("migrate", help="create or upgrade the database schema")
    up.set_defaults(func=migrate)
    table = commands.add_parser("jobs", help="list recent jobs with state, next try and last error")
    table.add_argument("--limit", type=int, default=30, help="how many (default 30)")
    table.add_argument(
        "--waiting",
        action="store_true",
        help="only the jobs waiting to be retried (Amity or Slack failing), next try first",
    )
    table.set_defaults(func=jobs)
    again = commands.add_parser("retry", help="queue a failed job again")
    again.add_argument("job_id", type=int, help="the job's ID (from `jobs`)")
    again.set_defaults(func=retry)
    verify = commands.add_parser("check", help="check the settings against Slack and Amity")
    verify.set_defaults(func=check)
    app = commands.add_parser("manifest", help="print manifest.yml with your public URL")
    app.add_argument("--url", required=True, help="public base URL, e.g. https://x.example.com")
    app.set_defaults(func=manifest)
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parser().parse_args(argv)
    setup_logging()
    result: int = args.func(args)
    return result
