"""Benchmark: ack latency and delivery under a slow Amity.

The bridge runs as its own process (``python -m bridge serve``) against the stand-ins,
which answer each create-post after ``--amity-delay`` seconds. The benchmark fires
``--requests`` signed Slack requests (half reactions, half ``/crosspost <text>``) with
``--concurrency`` in flight, and reports ack latency p50/p99/max, the time until every
post exists, posts/s against the configured Amity rate limit, duplicates and losses.

    .venv/bin/python -m bench.delivery [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bridge.fakes.amity import FakeAmity
from bridge.fakes.server import wait_for
from bridge.fakes.signed import (
    FORM,
    JSON,
    reaction_added_body,
    signed_headers,
    slash_command_form,
)
from bridge.fakes.slack import FakeSlack
from bridge.fakes.stack import AMITY_TOKEN, BOT_TOKEN, NEWS, SIGNING_SECRET, TEAM, seed
from tests.processes import Process, environment


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


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
        port = process.port()
        url = f"http://127.0.0.1:{port}/slack/events"
        payloads = bodies(slack, args.requests)
        latencies: list[float] = []
        statuses: list[int] = []
        limits = httpx.Limits(max_connections=args.concurrency)
        with httpx.Client(limits=limits, timeout=30) as client:

            def send(item: tuple[bytes, str]) -> None:
                body, kind = item
                headers = signed_headers(SIGNING_SECRET, body, content_type=kind)
                start = time.perf_counter()
                answer = client.post(url, content=body, headers=headers)
                latencies.append(time.perf_counter() - start)
                statuses.append(answer.status_code)

            started = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                list(pool.map(send, payloads))
            acked = time.perf_counter() - started
            wait_for(
                lambda: amity.post_count() >= args.requests, timeout=args.timeout, interval=0.2
            )
            all_posted = time.perf_counter() - started
            time.sleep(1.0)  # late duplicates would show up here
            server = server_side(client.get(url.replace("/slack/events", "/metrics")).text)
        process.proc.terminate()
        process.proc.wait(timeout=60)
        process.output()
    creates = [r for r in amity.requests if r.path == "/api/v4/posts"]
    ids = [p["postId"] for p in amity.posts]
    slack.stop()
    amity.stop()
    ms = [x * 1000 for x in latencies]
    return {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "amity_delay_s": args.amity_delay,
        "workers": args.workers,
        "store": "postgresql" if args.database_url else "sqlite",
        "non_200": sum(1 for s in statuses if s != 200),
        "ack_p50_ms": round(statistics.median(ms), 1),
        "ack_p99_ms": round(percentile(ms, 99), 1),
        "ack_max_ms": round(max(ms), 1),
        "acks_over_3s": sum(1 for x in ms if x > 3000),
        "all_acked_s": round(acked, 2),
        "all_posted_s": round(all_posted, 2),
        "posts_per_s": round(args.requests / all_posted, 2),
        "rate_limit_per_s": args.rate_limit / 5,
        **server,
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
    parser.add_argument("--timeout", type=float, default=300)
    result = run(parser.parse_args())
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
