"""``serve`` (the bridge itself) and ``demo`` (the bridge against local stand-ins)."""

from __future__ import annotations

import argparse
import logging
import sys

from bridge.cli.common import fail, file_routes, settings
from bridge.settings import Settings

STANDINS_MODULES = {"bridge_standins", "jsonschema", "websockets"}
NO_ROUTES_FIX = (
    "nothing is published until a route exists: add one from Slack (the bridge's App Home > "
    "Add a route), load a file with `python -m bridge routes import FILE`, or copy "
    "bridge.example.yml to the routes file"
)
log = logging.getLogger("bridge.cli")


def serve(args: argparse.Namespace) -> int:
    """Run the HTTP server and the worker (and Socket Mode with ``--socket-mode``)."""
    config = settings(Settings)
    routes = file_routes(config)
    from bridge.app import build
    from bridge.delivery.outbox import utc_now
    from bridge.delivery.routestore import RouteStore
    from bridge.server import PortInUse, serve_forever

    bridge = build(config, routes)
    if not RouteStore(bridge.outbox.engine, routes, utc_now, ttl=0).current().routes:
        log.warning(
            "bridge.no_routes",
            extra={"routes_file": str(config.BRIDGE_CONFIG), "fix": NO_ROUTES_FIX},
        )
    try:
        serve_forever(bridge, args.host, config.PORT, socket_mode=args.socket_mode)
    except PortInUse:
        fail(
            f"port {config.PORT} on {args.host} is already in use (another bridge or program "
            "listens there): stop it, or set PORT to a free port"
        )
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
