"""``routes export`` and ``routes import FILE``: the stored routes as a routes file, to
review them or move them between deploys."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from bridge.cli.common import fail, file_routes, settings
from bridge.delivery.outbox import utc_now
from bridge.ops.diagnose import open_existing, place
from bridge.ops.routesio import ImportRefused, import_routes, stored_config
from bridge.routes import ConfigError, dump_routes, load_routes
from bridge.settings import RoutesSettings

IMPORTED_BY = "routes import"


def export(_args: argparse.Namespace) -> int:
    """Print the stored routes as a routes file (YAML) on stdout."""
    url = settings(RoutesSettings).DATABASE_URL
    box = open_existing(url)
    try:
        config = stored_config(box.engine, utc_now)
    finally:
        box.engine.dispose()
    if not config.routes:
        print(
            f"bridge: no routes are stored in {place(url)} yet: add one from Slack (the "
            "bridge's App Home > Add a route) or load a file with "
            "`python -m bridge routes import FILE`",
            file=sys.stderr,
        )
        return 1
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(
        f"# {len(config.routes)} routes stored in {place(url)}, exported {stamp}.\n"
        "# Load into a bridge with: python -m bridge routes import FILE\n"
        + dump_routes(config.routes),
        end="",
    )
    return 0


def load(args: argparse.Namespace) -> int:
    """Store every route of a routes file, all or nothing."""
    config = settings(RoutesSettings)
    path: Path = args.file
    try:
        incoming = load_routes(path)
    except ConfigError as error:
        fail(f"nothing imported: {error}")
    bootstrap = file_routes(config)
    box = open_existing(config.DATABASE_URL)
    try:
        done = import_routes(box.engine, bootstrap, incoming, utc_now, IMPORTED_BY)
    except ImportRefused as error:
        fail(f"nothing imported from {path}: {error}")
    finally:
        box.engine.dispose()
    parts = [f"{len(done.added)} added"] + (
        [f"{len(done.replaced)} replaced ({', '.join(done.replaced)})"] if done.replaced else []
    )
    print(
        f"bridge: imported {len(incoming.routes)} routes from {path} into "
        f"{place(config.DATABASE_URL)}: {', '.join(parts)}; running bridges use them within "
        "BRIDGE_ROUTES_CACHE_SECONDS"
    )
    if incoming.users:
        print(
            f"bridge: the file's users: table ({len(incoming.users)} people) was not imported: "
            "it is read from the routes file (BRIDGE_CONFIG) only"
        )
    return 0
