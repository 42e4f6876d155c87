"""``check``: every setting checked against Slack, Amity and the store."""

from __future__ import annotations

import argparse

from bridge.cli.common import file_routes, settings
from bridge.settings import Settings


def check(_args: argparse.Namespace) -> int:
    """Print one line per check and a summary; exit 1 when any check fails."""
    config = settings(Settings)
    from bridge.ops.check import Check, run_checks
    from bridge.ops.placeholders import placeholders

    found = placeholders(config)
    results = [Check(name, False, why) for name, why in found]
    unset = {name for name, _ in found}
    results += [  # a placeholder secret is not "set"
        r
        for r in run_checks(config, file_routes(config))
        if not (r.name == "signing secret" and "SLACK_SIGNING_SECRET" in unset)
    ]
    for result in results:
        print(result.line())
    failed = sum(not r.ok for r in results)
    warned = sum(r.ok and r.warning for r in results)
    also = f"{warned} WARN, " if warned else ""
    print(f"{len(results) - failed - warned} OK, {also}{failed} FAIL")
    return 1 if failed else 0
