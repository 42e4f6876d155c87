"""Command line: ``python -m bridge serve | demo``."""

from __future__ import annotations

import argparse
import sys

from pydantic import ValidationError

from bridge import __version__
from bridge.logs import setup_logging
from bridge.routes import ConfigError, RoutesConfig, load_routes
from bridge.settings import Settings, describe_errors


def _settings() -> Settings:
    try:
        return Settings()  # values come from the environment
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
    settings = _settings()
    routes = _routes(settings)
    from bridge.app import build  # after the settings check: start-up errors come first
    from bridge.server import serve_forever

    serve_forever(build(settings, routes), args.host, settings.PORT)
    return 0


def demo(_args: argparse.Namespace) -> int:
    """Run the bridge against local stand-ins and show what it did."""
    from bridge.demo import run_demo

    return run_demo()


def parser() -> argparse.ArgumentParser:
    """The argument parser."""
    top = argparse.ArgumentParser(
        prog="bridge", description="Cross-post Slack messages to an Amity Social Cloud community."
    )
    top.add_argument("--version", action="version", version=f"bridge {__version__}")
    commands = top.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve Slack requests on $PORT and run the worker")
    run.add_argument("--host", default="0.0.0.0", help="address to bind (default 0.0.0.0)")
    run.set_defaults(func=serve)
    show = commands.add_parser("demo", help="run against local Slack and Amity stand-ins")
    show.set_defaults(func=demo)
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parser().parse_args(argv)
    setup_logging()
    result: int = args.func(args)
    return result
