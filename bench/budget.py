"""Benchmark: a backlog drained by 1 and by 2 instances sharing one Amity rate budget.

500 ``/crosspost <text>`` jobs are stored in a fresh PostgreSQL database, then 1 (and, on
a fresh database, 2) ``python -m bridge serve`` processes drain them against the stand-in
Amity, which enforces the budget as Amity does (``--rate-limit`` requests per 5 s per
token, HTTP 429 / 400311 past it). Reports, for each: create-post requests per second
from the first post to the last, that rate as a share of the budget, and the 429s.

    .venv/bin/python -m bench.budget [--jobs 500] [--rate-limit 100]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from bridge_standins.amity import FakeAmity
from bridge_standins.server import wait_for
from bridge_standins.slack import FakeSlack
from bridge_standins.stack import AMITY_TOKEN, BOT_TOKEN, seed

from bench.instances import Watcher, scratch_database, text_job
from bridge.delivery.outbox import Outbox, make_engine
from tests.processes import Process, environment


def drain(instances: int, args: argparse.Namespace) -> dict[str, float | int]:
    """One drain of ``args.jobs`` jobs by ``instances`` processes."""
    slack = FakeSlack(bot_token=BOT_TOKEN).start()
    amity = FakeAmity(token=AMITY_TOKEN).start()
    seed(slack, amity)
    amity.rate_limit = args.rate_limit
    with scratch_database() as url, tempfile.TemporaryDirectory() as tmp:
        box = Outbox(make_engine(url))
        box.create_schema()
        for n in range(args.jobs):
            box.enqueue(text_job(slack, str(n)))
        box.engine.dispose()
        env = environment(
            Path(tmp), slack, amity, DATABASE_URL=url, AMITY_RATE_LIMIT=str(args.rate_limit)
        )
        watcher = Watcher(amity)
        processes = [Process(env, Path(tmp)) for _ in range(instances)]
        try:
            wait_for(lambda: amity.post_count() >= args.jobs, timeout=600, interval=0.05)
            time.sleep(0.1)
        finally:
            watcher.stop()
            for process in processes:
                process.proc.terminate()
                process.proc.wait(timeout=60)
                process.output()
    times = sorted(watcher.seen.values())
    span = times[-1] - times[0]
    creates = [r for r in amity.requests if r.path == "/api/v4/posts"]
    slack.stop()
    amity.stop()
    rate = (len(times) - 1) / span
    budget = args.rate_limit / 5
    return {
        "instances": instances,
        "jobs": args.jobs,
        "posts": len(times),
        "drain_s": round(span, 2),
        "requests_per_s": round(rate, 2),
        "budget_per_s": budget,
        "share_of_budget": round(rate / budget, 3),
        "create_post_requests": len(creates),
        "http_429": amity.rate_limited,
    }


def main() -> int:
    """Parse options, run both drains, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--rate-limit", type=int, default=100, help="Amity requests per 5 s")
    args = parser.parse_args()
    results = [drain(n, args) for n in (1, 2)]
    json.dump(results, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
