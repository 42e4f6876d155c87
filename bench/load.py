"""Load generators for the benchmarks: wrk (preferred) or a Python thread pool.

wrk is C with epoll and does not share the GIL with anything, so the latencies it reports
are the server's; the Python client is the fallback when wrk is not installed, and its
own overhead shows in the figures (``floor`` measures it against an empty app).
"""

from __future__ import annotations

import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from bridge_standins.server import wait_for
from bridge_standins.signed import signed_headers
from bridge_standins.stack import SIGNING_SECRET

Payload = tuple[bytes, str]  # body, content type
WRK_SCRIPT = Path(__file__).with_name("signed_requests.lua")
DEFAULT_CLIENT = "wrk" if shutil.which("wrk") else "python"
NULL_APP = """
import sys
from waitress import serve
def app(environ, start_response):
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b""]
serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=8, _quiet=True)
"""


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def with_python(url: str, payloads: list[Payload], concurrency: int) -> dict[str, float]:
    """Every payload signed and sent once from a pool of ``concurrency`` threads."""
    latencies: list[float] = []
    failed = 0
    with httpx.Client(limits=httpx.Limits(max_connections=concurrency), timeout=30) as client:

        def send(item: Payload) -> None:
            nonlocal failed
            body, kind = item
            headers = signed_headers(SIGNING_SECRET, body, content_type=kind)
            start = time.perf_counter()
            answer = client.post(url, content=body, headers=headers)
            latencies.append((time.perf_counter() - start) * 1000)
            failed += answer.status_code != 200

        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(send, payloads))
    return {
        "requests": len(latencies),
        "non_200": failed,
        "ack_p50_ms": round(statistics.median(latencies), 1),
        "ack_p99_ms": round(percentile(latencies, 99), 1),
        "ack_max_ms": round(max(latencies), 1),
    }


def with_wrk(url: str, payloads: list[Payload], concurrency: int) -> dict[str, float]:
    """Every payload signed and sent once by wrk (2 threads, ``concurrency`` connections)."""
    threads = 2
    with tempfile.TemporaryDirectory() as folder:
        for n in range(threads):
            with (Path(folder) / f"requests.{n + 1}").open("w") as out:
                for body, kind in payloads[n::threads]:
                    headers = signed_headers(SIGNING_SECRET, body, content_type=kind)
                    out.write(
                        f"{headers['X-Slack-Request-Timestamp']}\n"
                        f"{headers['X-Slack-Signature']}\n{kind}\n{body.decode()}\n"
                    )
        done = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{concurrency}",
                "-d15s",
                "--timeout",
                "10s",
                "-s",
                str(WRK_SCRIPT),
                url,
                "--",
                str(Path(folder) / "requests"),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=180,
        )
    line = next(x for x in done.stdout.splitlines() if x.startswith("{"))
    return {k: float(v) for k, v in json.loads(line).items()}


def measure(url: str, payloads: list[Payload], concurrency: int, client: str) -> dict[str, float]:
    """Ack latency of one load."""
    fire = with_wrk if client == "wrk" else with_python
    return fire(url, payloads, concurrency)


def floor(payloads: list[Payload], concurrency: int, client: str) -> dict[str, float]:
    """The same load against an empty WSGI app under waitress: what the client and the
    machine alone cost, to read the bridge's figures against."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-c", NULL_APP, str(port)], stderr=subprocess.DEVNULL
    )
    try:
        wait_for(lambda: listening(port), timeout=20)
        empty = measure(f"http://127.0.0.1:{port}/slack/events", payloads, concurrency, client)
    finally:
        server.terminate()
        server.wait(timeout=20)
    return {
        "floor_ack_p50_ms": empty["ack_p50_ms"],
        "floor_ack_p99_ms": empty["ack_p99_ms"],
        "floor_ack_max_ms": empty["ack_max_ms"],
    }


def listening(port: int) -> bool:
    """Something accepts connections on the port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True
