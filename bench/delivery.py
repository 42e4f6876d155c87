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
import socket
import statistics
import subprocess
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


NULL_APP = """
import sys
from waitress import serve
def app(environ, start_response):
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b""]
serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=8, _quiet=True)
"""


def fire(url: str, payloads: list[tuple[bytes, str]], concurrency: int) -> list[float]:
    """Send every payload signed, ``concurrency`` at a time; latencies in ms (inf: not 200)."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency)
    with httpx.Client(limits=limits, timeout=30) as client:

        def send(item: tuple[bytes, str]) -> None:
            body, kind = item
            headers = signed_headers(SIGNING_SECRET, body, content_type=kind)
            start = time.perf_counter()
            answer = client.post(url, content=body, headers=headers)
            took = (time.perf_counter() - start) * 1000
            latencies.append(took if answer.status_code == 200 else float("inf"))

        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(send, payloads))
    return latencies


def client_floor(payloads: list[tuple[bytes, str]], concurrency: int) -> dict[str, float]:
    """The same load against an empty WSGI app under waitress: what the client and the
    machine alone cost, to read the bridge's figures against."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-c", NULL_APP, str(port)])
    try:
        wait_for(lambda: listening(port), timeout=20)
        ms = fire(f"http://127.0.0.1:{port}/slack/events", payloads, concurrency)
    finally:
        server.terminate()
        server.wait(timeout=20)
    return {
        "floor_ack_p50_ms": round(statistics.median(ms), 1),
        "floor_ack_p99_ms": round(percentile(ms, 99), 1),
    }


def listening(port: int) -> bool:
    """Something accepts connections on the port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


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
        url = f"http://127.0.0.1:{process.port()}/slack/events"
        payloads = bodies(slack, args.requests)
        started = time.perf_counter()
        ms = fire(url, payloads, args.concurrency)
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
    floor = client_floor(bodies(slack, args.requests), args.concurrency)
    slack.stop()
    amity.stop()
    answered = [x for x in ms if x != float("inf")]
    return {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "amity_delay_s": args.amity_delay,
        "workers": args.workers,
        "store": "postgresql" if args.database_url else "sqlite",
        "non_200": len(ms) - len(answered),
        "ack_p50_ms": round(statistics.median(answered), 1),
        "ack_p99_ms": round(percentile(answered, 99), 1),
        "ack_max_ms": round(max(answered), 1),
        "acks_over_3s": sum(1 for x in answered if x > 3000),
        **server,
        **floor,
        "all_acked_s": round(acked, 2),
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
    parser.add_argument("--timeout", type=float, default=300)
    result = run(parser.parse_args())
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
