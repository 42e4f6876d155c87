"""Benchmark: ack latency at 50 concurrent, the bridge on PostgreSQL and on SQLite against
an empty app (the floor), in one run.

The bridge runs as its own process (``python -m bridge serve``) against the stand-ins,
which answer each create-post after ``--amity-delay`` seconds, so the worker posts while
the requests arrive. The load is bench/delivery.py's (half reactions, half
``/crosspost <text>``, every request signed, sent once, by wrk when installed). The floor
is the same load against an empty WSGI app under waitress, measured before and after the
bridge; the ratio is the bridge's p99 over the mean of the two floor p99s.

Measured on a shared 2-core machine (wrk, 500 requests, 50 in flight, 48 worker slots;
p50 / p99 / max ms, two runs each; the floor's p99 moved between 10 and 77 ms):

==========  ===========================  ===========================
store       before                       after
==========  ===========================  ===========================
PostgreSQL  125/194/308, 156/267/314     138/253/273, 94/253/286
SQLite      159/246/257, 186/342/356     136/201/218, 104/174/189
==========  ===========================  ===========================

No ack took over 3 s. The goal, p99 at most 1.5 times the floor's, is not met (3.3 to 6
times): the worker's threads share the interpreter with the request threads; without
the worker the same load is answered at p99 117-140 ms.

    .venv/bin/python -m bench.ack [--requests 500] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from subprocess import TimeoutExpired

from bridge_standins.amity import FakeAmity
from bridge_standins.slack import FakeSlack
from bridge_standins.stack import AMITY_TOKEN, BOT_TOKEN, seed

from bench.delivery import bodies
from bench.instances import scratch_database
from bench.load import DEFAULT_CLIENT, floor, measure
from tests.processes import Process, environment


def bridge_acks(
    slack: FakeSlack, amity: FakeAmity, args: argparse.Namespace, database_url: str | None
) -> dict[str, float]:
    """Ack latency of a fresh bridge process under the load."""
    with tempfile.TemporaryDirectory() as tmp:
        env = environment(
            Path(tmp),
            slack,
            amity,
            BRIDGE_WORKERS=str(args.workers),
            AMITY_RATE_LIMIT=str(args.rate_limit),
        )
        if database_url:
            env["DATABASE_URL"] = database_url
        process = Process(env, Path(tmp))
        url = f"http://127.0.0.1:{process.port()}/slack/events"
        payloads = bodies(slack, args.requests)
        time.sleep(1.0)  # the worker's first poll is over
        ack = measure(url, payloads, args.concurrency, args.client)
        process.proc.terminate()
        try:
            process.proc.wait(timeout=60)
        except TimeoutExpired:
            process.proc.kill()
            process.proc.wait(timeout=20)
    return ack


def summary(ack: dict[str, float], floor_p99: float) -> dict[str, float | int]:
    """p50/p99/max, acks over 3 s (wrk reports the maximum only: 0 or at least 1), and
    the p99 over the floor's."""
    return {
        "ack_p50_ms": ack["ack_p50_ms"],
        "ack_p99_ms": ack["ack_p99_ms"],
        "ack_max_ms": ack["ack_max_ms"],
        "non_200": int(ack.get("wrk_non_200", ack.get("non_200", 0))),
        "acks_over_3s": int(ack["ack_max_ms"] > 3000),
        "p99_over_floor": round(ack["ack_p99_ms"] / floor_p99, 2),
    }


def run(args: argparse.Namespace) -> dict[str, object]:
    """Floor, PostgreSQL, SQLite, floor again; the figures as a dict."""
    slack = FakeSlack(bot_token=BOT_TOKEN).start()
    amity = FakeAmity(token=AMITY_TOKEN).start()
    seed(slack, amity)
    amity.delay_seconds = args.amity_delay
    amity.rate_limit = args.rate_limit
    try:
        before = floor(bodies(slack, args.requests), args.concurrency, args.client)
        with scratch_database(args.admin_url) as url:
            postgres = bridge_acks(slack, amity, args, url)
        sqlite = bridge_acks(slack, amity, args, None)
        after = floor(bodies(slack, args.requests), args.concurrency, args.client)
    finally:
        slack.stop()
        amity.stop()
    floor_p99 = (before["floor_ack_p99_ms"] + after["floor_ack_p99_ms"]) / 2
    return {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "client": args.client,
        "amity_delay_s": args.amity_delay,
        "workers": args.workers,
        "floor_before": before,
        "floor_after": after,
        "postgresql": summary(postgres, floor_p99),
        "sqlite": summary(sqlite, floor_p99),
    }


def main() -> int:
    """Parse options, run, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--amity-delay", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=48)
    parser.add_argument("--rate-limit", type=int, default=100, help="Amity requests per 5 s")
    parser.add_argument(
        "--admin-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL database to create the scratch database from",
    )
    parser.add_argument(
        "--client",
        choices=["wrk", "python"],
        default=DEFAULT_CLIENT,
        help="load generator (default wrk when installed)",
    )
    result = run(parser.parse_args())
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
