"""Command line: ``python -m bridge serve | demo | check | manifest | migrate | jobs | retry``.

Every expected failure (a bad setting, a store that is missing, down or not migrated, a
port in use, Slack refusing a token) ends the command with one line on stderr naming the
cause and the fix, and exit code 2; never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from typing import Any, TypeVar
from urllib.parse import urlsplit

import yaml
from pydantic import ValidationError
from pydantic_settings import BaseSettings
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bridge import __version__
from bridge.delivery.outbox import Job, JobState, Outbox, make_engine
from bridge.ops.diagnose import StoreProblem, describe, one_line, open_existing
from bridge.ops.erase import add_commands as add_privacy_commands
from bridge.ops.logs import setup_logging
from bridge.routes import ConfigError, RoutesConfig, RoutesMissing, load_routes
from bridge.settings import LogSettings, Settings, StoreSettings, describe_errors

S = TypeVar("S", bound=BaseSettings)
STANDINS_MODULES = {"bridge_standins", "jsonschema", "websockets"}
MANIFEST_PLACEHOLDER = "https://bridge.example.com"
EVENTS_PATH = "/slack/events"
log = logging.getLogger("bridge.cli")


def _settings(kind: type[S]) -> S:
    try:
        return kind()
    except ValidationError as error:
        for line in describe_errors(error):
            print(f"bridge: {line}", file=sys.stderr)
        raise SystemExit(2) from None


def _routes(settings: Settings) -> RoutesConfig:
    """The routes; none (with a log line saying how to add some) when the file is missing,
    so a fresh deploy starts and answers /healthz before its routes are written."""
    try:
        return load_routes(settings.BRIDGE_CONFIG)
    except RoutesMissing as error:
        log.warning(
            "bridge.no_routes",
            extra={"routes_file": str(settings.BRIDGE_CONFIG), "fix": str(error)},
        )
        return RoutesConfig.empty()
    except ConfigError as error:
        print(f"bridge: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def serve(args: argparse.Namespace) -> int:
    """Run the HTTP server and the worker."""
    settings = _settings(Settings)
    routes = _routes(settings)
    from bridge.app import build  # after the settings check: start-up errors come first
    from bridge.server import PortInUse, serve_forever

    try:
        bridge = build(settings, routes)
        serve_forever(bridge, args.host, settings.PORT)
    except PortInUse:
        print(
            f"bridge: port {settings.PORT} on {args.host} is already in use (another bridge or "
            "program listens there): stop it, or set PORT to a free port",
            file=sys.stderr,
        )
        return 2
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
            f"({one_line(error)}): check SLACK_API_URL and the network",
            file=sys.stderr,
        )
        return 2
    return 0


def demo(args: argparse.Namespace) -> int:
    """Run the bridge against local stand-ins and show what it did."""
    try:
        from bridge.demo import run_demo
    except ModuleNotFoundError as error:
        if error.name not in STANDINS_MODULES:
            raise
        print(
            "bridge: the demo needs the local stand-ins for Slack and Amity, which a "
            "production install leaves out; from a clone of the repository, install them "
            "with: pip install -e ./standins",
            file=sys.stderr,
        )
        return 2
    return run_demo(verbose=args.verbose)


@contextmanager
def _outbox() -> Iterator[Outbox]:
    """The existing, migrated store (StoreProblem otherwise): nothing is created."""
    box = open_existing(_settings(StoreSettings).DATABASE_URL)
    try:
        yield box
    finally:
        box.engine.dispose()


def migrate(_args: argparse.Namespace) -> int:
    """Create or upgrade the database schema."""
    box = Outbox(make_engine(_settings(StoreSettings).DATABASE_URL))
    try:
        box.create_schema()
    finally:
        box.engine.dispose()
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
    from bridge.ops.check import Check, run_checks

    missing: list[Check] = []
    try:
        routes = load_routes(settings.BRIDGE_CONFIG)
    except RoutesMissing as error:
        routes = RoutesConfig.empty()
        missing.append(Check("routes", False, str(error)))
    except ConfigError as error:
        print(f"bridge: {error}", file=sys.stderr)
        return 2
    results = missing + run_checks(settings, routes)
    for result in results:
        print(result.line())
    failed = sum(not r.ok for r in results)
    print(f"{len(results) - failed} OK, {failed} FAIL")
    return 1 if failed else 0


def manifest(args: argparse.Namespace) -> int:
    """Print the Slack app manifest: with this bridge's URL, or for Socket Mode."""
    text = (files("bridge") / "manifest.yml").read_text(encoding="utf-8")
    body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))
    if args.socket_mode:
        print(SOCKET_MODE_HEADER + _socket_mode(body), end="")
        return 0
    parts = urlsplit(args.url)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        print(
            "bridge: --url must be the bridge's public https:// URL, such as "
            "https://bridge.example.org (with or without /slack/events)",
            file=sys.stderr,
        )
        return 2
    base = f"https://{parts.netloc}{parts.path}".rstrip("/").removesuffix(EVENTS_PATH)
    header = URL_HEADER.format(events=base + EVENTS_PATH)
    print(header + body.replace(MANIFEST_PLACEHOLDER, base), end="")
    return 0


URL_HEADER = """# Slack app manifest for bridge: Slack sends every request to {events}.
# Create the app at https://api.slack.com/apps ("Create New App" > "From an app manifest").
"""
SOCKET_MODE_HEADER = """\
# Slack app manifest for bridge over Socket Mode (bridge connects out: no public URL).
# Create the app at https://api.slack.com/apps ("Create New App" > "From an app manifest"),
# then Basic Information > App-Level Tokens > Generate, with the connections:write scope,
# and set that xapp-... token as SLACK_APP_TOKEN.
"""


def _socket_mode(body: str) -> str:
    """The manifest without request URLs and with Socket Mode on."""
    data: dict[str, Any] = yaml.safe_load(body)
    for command in data["features"]["slash_commands"]:
        command.pop("url", None)
    data["settings"]["event_subscriptions"].pop("request_url", None)
    data["settings"]["interactivity"].pop("request_url", None)
    data["settings"]["socket_mode_enabled"] = True
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


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
    show.add_argument(
        "--verbose", action="store_true", help="show the bridge's log lines as they happen"
    )
    show.set_defaults(func=demo)
    up = commands.add_parser("migrate", help="create or upgrade the database schema")
    up.set_defaults(func=migrate)
    table = commands.add_parser("jobs", help="list recent jobs with state, next try and last error")
    table.add_argument("--limit", type=_positive, default=30, help="how many (default 30)")
    table.add_argument(
        "--waiting",
        action="store_true",
        help="only the jobs waiting to be retried (Amity or Slack failing), next try first",
    )
    table.set_defaults(func=jobs)
    again = commands.add_parser("retry", help="queue a failed job again")
    again.add_argument("job_id", type=_positive, help="the job's ID (from `jobs`)")
    again.set_defaults(func=retry)
    verify = commands.add_parser("check", help="check the settings against Slack and Amity")
    verify.set_defaults(func=check)
    app = commands.add_parser(
        "manifest", help="print the Slack app manifest, for your public URL or Socket Mode"
    )
    where = app.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="public base URL, e.g. https://x.example.com")
    where.add_argument(
        "--socket-mode", action="store_true", help="no public URL: connect out over Socket Mode"
    )
    app.set_defaults(func=manifest)
    add_privacy_commands(commands)  # prune, forget
    return top


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of at least 1")
    return number


def main(argv: list[str] | None = None) -> int:
    """Entry point: expected failures end here as one line and exit code 2."""
    args = parser().parse_args(argv)
    setup_logging(_settings(LogSettings).BRIDGE_LOG_LEVEL)
    try:
        result: int = args.func(args)
    except StoreProblem as problem:
        print(f"bridge: {problem}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        print(f"bridge: {describe(_settings(StoreSettings).DATABASE_URL, error)}", file=sys.stderr)
        return 2
    return result
