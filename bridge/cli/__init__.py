"""Command line: ``python -m bridge serve | demo | check | manifest | migrate | jobs |
retry | routes export | routes import FILE | prune | forget``.

Every expected failure (a bad setting, a file that cannot be read, a store that is
missing, down or not migrated, a port in use) ends the command with one line on stderr
naming the cause and the fix, and exit code 2; never a traceback. Log lines go to stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bridge import __version__
from bridge.cli import checking, manifest, routes, run, store
from bridge.cli.common import Refused, settings
from bridge.cli.privacy import add_commands as add_privacy_commands
from bridge.ops.diagnose import StoreProblem, describe
from bridge.ops.logs import setup_logging
from bridge.settings import LogSettings, StoreSettings

__all__ = ["main", "parser"]


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    more: str,
) -> argparse.ArgumentParser:
    """A subcommand whose ``--help`` starts with its summary and says more."""
    return commands.add_parser(
        name, help=summary, description=f"{summary[:1].upper()}{summary[1:]}. {more}"
    )


def parser() -> argparse.ArgumentParser:
    """The argument parser."""
    top = argparse.ArgumentParser(
        prog="bridge",
        description="Cross-post Slack messages to an Amity Social Cloud community.",
        epilog="Settings come from the environment and a .env file; log lines go to stderr.",
    )
    top.add_argument("--version", action="version", version=f"bridge {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _serve(commands)
    show = _command(
        commands,
        "demo",
        "run against local Slack and Amity stand-ins",
        "Needs no settings and no accounts: shows what the bridge does with a message.",
    )
    show.add_argument(
        "--verbose", action="store_true", help="show the bridge's log lines as they happen"
    )
    show.set_defaults(func=run.demo)
    up = _command(
        commands,
        "migrate",
        "create or upgrade the database schema",
        "Uses DATABASE_URL (default sqlite:///bridge.db) and says what it did: created, "
        "upgraded from one revision to another, or already current.",
    )
    up.set_defaults(func=store.migrate)
    _jobs(commands)
    verify = _command(
        commands,
        "check",
        "check the settings against Slack, Amity and the store",
        "One line per check (OK, WARN or FAIL with what to do); exit code 1 when any fails. "
        "Only read calls are made: nothing is posted.",
    )
    verify.set_defaults(func=checking.check)
    _manifest(commands)
    _routes(commands)
    add_privacy_commands(commands)  # prune, forget
    return top


def _serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run_ = _command(
        commands,
        "serve",
        "serve Slack requests on $PORT and run the worker",
        "Starts even when Slack or Amity refuse or cannot be reached: GET /healthz then "
        "answers 503 with the reason, and the bridge keeps trying.",
    )
    run_.add_argument("--host", default="0.0.0.0", help="address to bind (default 0.0.0.0)")
    run_.add_argument(
        "--socket-mode",
        action="store_true",
        help="also receive Slack's requests over Socket Mode with SLACK_APP_TOKEN (one "
        "process of a store holds the connection; the others serve HTTP)",
    )
    run_.set_defaults(func=run.serve)


def _jobs(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    table = _command(
        commands,
        "jobs",
        "list recent jobs with state, next try and last error",
        "Reads the store (DATABASE_URL), which `migrate` or `serve` must have created.",
    )
    table.add_argument("--limit", type=_positive, default=30, help="how many (default 30)")
    table.add_argument(
        "--waiting",
        action="store_true",
        help="only the jobs waiting to be retried (Amity or Slack failing), next try first",
    )
    table.set_defaults(func=store.jobs)
    again = _command(
        commands,
        "retry",
        "queue a failed job again",
        "A running bridge picks it up at its next poll.",
    )
    again.add_argument("job_id", type=_positive, help="the job's ID (from `jobs`)")
    again.set_defaults(func=store.retry)


def _manifest(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    app = _command(
        commands,
        "manifest",
        "print the Slack app manifest, for your public URL or Socket Mode",
        'Paste it at https://api.slack.com/apps ("Create New App" > "From an app manifest").',
    )
    where = app.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="public base URL, e.g. https://bridge.your-company.com")
    where.add_argument(
        "--socket-mode", action="store_true", help="no public URL: connect out over Socket Mode"
    )
    app.set_defaults(func=manifest.manifest)


def _routes(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = _command(
        commands,
        "routes",
        "export or import the stored routes as a routes file",
        "Routes added from Slack are kept in the store (DATABASE_URL); these commands move "
        "them in and out as YAML, to review them or copy them to another deploy.",
    )
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    out = _command(
        actions,
        "export",
        "print the stored routes as a routes file (YAML) on stdout",
        "The output loads with `routes import` or as BRIDGE_CONFIG.",
    )
    out.set_defaults(func=routes.export)
    into = _command(
        actions,
        "import",
        "store every route of a routes file, all or nothing",
        "The file is validated whole with the routes in force; one wrong route and "
        "nothing changes. A stored route of the same name is replaced.",
    )
    into.add_argument("file", type=Path, help="a routes file (YAML), such as one from export")
    into.set_defaults(func=routes.load)


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
    setup_logging()  # until the settings say otherwise: library lines in the bridge's format
    try:
        setup_logging(settings(LogSettings).BRIDGE_LOG_LEVEL)
        result: int = args.func(args)
    except Refused as refused:
        for line in str(refused).splitlines():
            print(f"bridge: {line}", file=sys.stderr)
        return 2
    except StoreProblem as problem:
        print(f"bridge: {problem}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        print(f"bridge: {describe(settings(StoreSettings).DATABASE_URL, error)}", file=sys.stderr)
        return 2
    return result
