"""Benchmark: ack latency and delivery under a slow Amity.

The bridge runs as its own process (``python -m bridge serve``) against the stand-ins,
which answer each create-post after ``--amity-delay`` seconds. The benchmark fires
``--requests`` signed Slack requests (half reactions, half ``/crosspost <text>``) with
``--concurrency`` in flight (with wrk when installed, see bench/load.py), and reports ack
latency p50/p99/max, the same against an empty app (the floor), the time until every
post exists, posts/s against the configured Amity rate limit, duplicates and losses.

    .venv/bin/python -m bench.delivery [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx
from bridge_standins.amity import FakeAmity
from bridge_standins.server import wait_for
from bridge_standins.signed import (
    FORM,
    JSON,
    reaction_added_body,
    slash_command_form,
)
from bridge_standins.slack import FakeSlack
from bridge_standins.stack import AMITY_TOKEN, BOT_TOKEN, NEWS, TEAM, seed
from prometheus_client.parser import text_string_to_metric_families

from bench.load import DEFAULT_CLIENT, floor, measure
from tests.processes import Process, environment


def bodies(slack: FakeSlack, count: int) -> list[tuple[bytes, str]]:
    """Half reactions on distinct messages, half slash commands."""
    out: list[tuple[bytes, str]] = []
    for n in range(count):
        if n % 2 == 0:
            msg = slack.add_message(NEWS, {"user": "U0ALICE01", "text": f"message {n}"})
            out.append(
                (
                    reaction_added_body(
                        team_id=TEAM, user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"]
                    ),
                    JSON,
                )
            )
        else:
            out.append(
                (
                    slash_command_form(
                        text=f"command {n}",
                        team_id=TEAM,
                        channel_id=NEWS,
                        user_id="U0BOB0001",
                        response_url=slack.response_url(f"b{n}"),
                    ),
                    FORM,
                )
            )
    return out


def server_side(exposition: str) -> dict[str, float]:
    """Ack quantiles as the bridge measured them (upper bounds of histogram buckets)."""
    buckets: list[tuple[float, float]] = []
    for family in text_string_to_metric_families(exposition):
        if family.name == "bridge_ack_seconds":
            buckets = [
                (float(s.labels["le"]), s.value)
                for s in family.samples
                if s.name.endswith("_bucket")
            ]
    total = buckets[-1][1]

    def upper(q: float) -> float:
        return next(le for le, count in buckets if count >= q * total) * 1000

    return {"server_ack_p50_le_ms": upper(0.5), "server_ack_p99_le_ms": upper(0.99)}


def run(args: argparse.Namespace) -> dict[str, float | int | str]:
    """One benchmark run; the figures as a dict."""
    slack = FakeSlack(bot_token=BOT_TOKEN).start()
    amity = FakeAmity(token=AMITY_TOKEN).start()
    seed(slack, amity)
    amity.delay_seconds = args.amity_delay
    amity.rate_limit = args.rate_limit
    with tempfile.TemporaryDirectory() as tmp:
        env = environment(
            Path(tmp),
            slack,
            amity,
            BRIDGE_WORKERS=str(args.workers),
            AMITY_RATE_LIMIT=str(args.rate_limit),
        )
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        process = Process(env, Path(tmp))
        url = f"http://127.0.0.1:{process.port()}/slack/events"
        payloads = bodies(slack, args.requests)
        started = time.perf_counter()
        ack = measure(url, payloads, args.concurrency, args.client)
        acked = time.perf_counter() - started
        wait_for(lambda: amity.post_count() >= args.requests, timeout=args.timeout, interval=0.2)
        all_posted = time.perf_counter() - started
        time.sleep(1.0)  # late duplicates would show up here
        server = server_side(httpx.get(url.replace("/slack/events", "/metrics")).text)
        process.proc.terminate()
        process.proc.wait(timeout=60)
        process.output()
    creates = [r for r in amity.requests if r.path == "/api/v4/posts"]
    ids = [p["postId"] for p in amity.posts]
    empty = floor(bodies(slack, args.requests), args.concurrency, args.client)
    slack.stop()
    amity.stop()
    return {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "client": args.client,
        "amity_delay_s": args.amity_delay,
        "workers": args.workers,
        "store": "postgresql" if args.database_url else "sqlite",
        **ack,
        "acks_over_3s": int(ack["ack_max_ms"] > 3000),
        **server,
        **empty,
        "all_acked_s": round(acked, 2) if args.client == "python" else "n/a with wrk",
        "all_posted_s": round(all_posted, 2),
        "posts_per_s": round(args.requests / all_posted, 2),
        "rate_limit_per_s": args.rate_limit / 5,
        "create_post_requests": len(creates),
        "posts": len(ids),
        "duplicates": len(ids) - len(set(ids)),
        "lost": args.requests - len(set(ids)),
    }


def main() -> int:
    """Parse options, run, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--amity-delay", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=48)
    parser.add_argument("--rate-limit", type=int, default=100, help="Amity requests per 5 s")
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--client",
        choices=["wrk", "python"],
        default=DEFAULT_CLIENT,
        help="load generator (default wrk when installed)",
    )
    parser.add_argument("--timeout", type=float, default=300)
    result = run(parser.parse_args())
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
