"""Benchmark: the cost of the publish rules at intake, per reaction.

Runs the bridge against the stand-ins (SQLite, worker off, so only intake is measured) and
sends ``--reactions`` signed reactions, one at a time, for each kind of route: ``anyone``
(the privacy check alone: ``conversations.info`` and ``users.info``, cached), ``listed``
with a user group (``usergroups.users.list``, cached), and a refusal (the ephemeral is sent
in the background). Prints the acknowledgement time p50/p99 and how many Slack lookups
the rules made: a handful, whatever the number of reactions.

    .venv/bin/python -m bench.rules [--reactions 300]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from bridge_standins.signed import SlackSender
from bridge_standins.stack import SIGNING_SECRET, start_stack

from bench.load import percentile
from bridge.routes import Route

CHANNEL = "C0BENCH01"
LOOKUPS = ("conversations.info", "users.info", "usergroups.users.list")


def main() -> None:
    """Run each case and print one JSON object of figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--reactions", type=int, default=300)
    count = parser.parse_args().reactions
    with tempfile.TemporaryDirectory() as workdir:
        stack = start_stack(Path(workdir), start_worker=False)
        try:
            stack.slack.add_channel(CHANNEL, "bench")
            stack.slack.add_usergroup("S0BENCH", "bench", "Bench", users=("U0ALICE01",))
            assert stack.bridge.home is not None
            store = stack.bridge.home.store
            for name, emoji, who in (("open", "tada", "anyone"), ("group", "star", "listed")):
                groups = ["S0BENCH"] if who == "listed" else []
                route = Route(
                    name=name,
                    channels=[CHANNEL],
                    emoji=emoji,
                    community="64be1f6cb9b4106b5a6bbf3f",
                    who=who,  # type: ignore[arg-type]
                    groups=groups,
                )
                store.save(route, "U0BENCH")
            figures = {}
            with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
                for case, emoji, user in (
                    ("anyone", "tada", "U0ALICE01"),
                    ("group member", "star", "U0ALICE01"),
                    ("refused", "star", "U0BOB0001"),
                ):
                    before = sum(len(stack.slack.calls_to(m)) for m in LOOKUPS)
                    acks = []
                    for _ in range(count):
                        message = stack.slack.add_message(
                            CHANNEL, {"user": "U0ALICE01", "text": "x"}
                        )
                        started = time.perf_counter()
                        answer = slack.reaction(
                            user=user,
                            reaction=emoji,
                            channel=CHANNEL,
                            ts=message["ts"],
                            item_user="U0ALICE01",
                        )
                        acks.append((time.perf_counter() - started) * 1000)
                        assert answer.status_code == 200
                    lookups = sum(len(stack.slack.calls_to(m)) for m in LOOKUPS) - before
                    figures[case] = {
                        "reactions": count,
                        "ack_p50_ms": round(statistics.median(acks), 2),
                        "ack_p99_ms": round(percentile(acks, 99), 2),
                        "slack_lookups": lookups,
                    }
        finally:
            stack.stop()
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
