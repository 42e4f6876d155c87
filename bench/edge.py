"""Benchmark: slow and idle connections do not stall the public URL.

The bridge runs as its own process (``python -m bridge serve``, or with ``--server
cheroot`` the same application under cheroot, for comparison) against the stand-ins.
Each phase runs one attack from this process while signed ``reaction_added`` events
(an emoji no route uses: verified, dispatched and answered, nothing posted) arrive at a
steady pace, each on a new connection as Slack sends them; it reports their latency
(p50/p99/max, in ms) and how many failed (no answer within ``--timeout`` seconds or an
answer other than 200):

- **baseline**: no attack.
- **slowloris**: ``--slow`` sockets each send a request's headers one byte a second,
  never finishing them; a socket the server closes is opened again at once.
- **idle**: ``--idle`` connections each send one complete keep-alive request
  (``GET /healthz``), read the answer, then stay idle; one the server closes is opened
  again and sends another request (a persistent attacker).
- **idle_over_limit**: the same with ``--many`` connections, more than the server's
  connection limit.

Goal: signed acks p99 under 1 s and no failure in every phase.

Measured on a shared 2-core machine (75 signed requests per phase, 5/s, 10 s timeout;
p50 / p99 / max ms, failures):

============  ==================  ==================  ==================
phase         waitress as it was  bridge's waitress   cheroot 11 (8 thr)
============  ==================  ==================  ==================
baseline      8 / 49 / 118, 0     9 / 67 / 182, 0     3 / 27 / 108, 0
slowloris     75 of 75 failed     11 / 147 / 190, 0   75 of 75 failed
idle (200)    75 of 75 failed     6 / 38 / 59, 0      3 / 29 / 31, 0
idle (700)    75 of 75 failed     575 / 959 / 970, 0  4 / 38 / 61, 0
============  ==================  ==================  ==================

"As it was": waitress's 100 connections, no request deadline. "Bridge's": the limits of
bridge/edge/connections.py. The 700 idle connections reconnect and send a request each
time they are closed (about 450 requests a second at the limit). cheroot (run with
``--server cheroot --pythonpath DIR`` where ``pip install --target DIR cheroot``) reads
a request's headers on a worker thread with a per-read timeout, so 120 trickling
sockets hold its 8 threads; it answered none of the idle connections' own requests.

    .venv/bin/python -m bench.edge [--server waitress|cheroot] [--phases baseline,slowloris]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import queue
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from bridge_standins.amity import FakeAmity
from bridge_standins.signed import SlackSender
from bridge_standins.slack import FakeSlack
from bridge_standins.stack import AMITY_TOKEN, BOT_TOKEN, NEWS, SIGNING_SECRET, seed

from bench.load import percentile
from tests.processes import Process, environment

PHASES = ("baseline", "slowloris", "idle", "idle_over_limit")
SLOW_HEAD = b"POST /slack/events HTTP/1.1\r\nHost: bridge\r\nContent-Type: application/json\r\n"
IDLE_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: bridge\r\nConnection: keep-alive\r\n\r\n"


def slow_bytes() -> bytes:
    """The bytes a slowloris socket trickles: a request line, then headers without end."""
    return SLOW_HEAD + b"".join(b"X-Pad-%d: x\r\n" % n for n in range(10_000))


class Attack:
    """Connections held open against ``port`` from a background thread; counts what the
    server did to them."""

    def __init__(self, port: int, kind: str, count: int) -> None:
        self.port, self.kind, self.count = port, kind, count
        self.closed_by_server = 0
        self.answers = 0
        self.open_failures = 0
        self._stop = threading.Event()
        self._selector = selectors.DefaultSelector()
        self._sent: dict[socket.socket, int] = {}
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._payload = slow_bytes()

    def _open(self) -> None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        except OSError:
            self.open_failures += 1
            return
        sock.setblocking(False)
        self._sent[sock] = 0
        self._selector.register(sock, selectors.EVENT_READ)
        if self.kind == "idle":
            self._send(sock, IDLE_REQUEST)

    def _send(self, sock: socket.socket, data: bytes) -> None:
        try:
            sock.send(data)
        except OSError:
            self._lost(sock)

    def _lost(self, sock: socket.socket) -> None:
        if sock not in self._sent:
            return
        self.closed_by_server += 1
        self._selector.unregister(sock)
        del self._sent[sock]
        sock.close()
        if not self._stop.is_set():
            self._open()

    def _run(self) -> None:
        for _ in range(self.count):
            self._open()
        next_byte = time.monotonic()
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.1):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    data = sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    self._lost(sock)
                elif data.startswith(b"HTTP/1.1 "):
                    self.answers += 1
            if self.kind == "slow" and time.monotonic() >= next_byte:
                next_byte += 1.0
                for sock, sent in list(self._sent.items()):
                    self._sent[sock] = sent + 1
                    self._send(sock, self._payload[sent : sent + 1])
        for sock in list(self._sent):
            self._selector.unregister(sock)
            sock.close()

    def __enter__(self) -> Attack:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def report(self) -> dict[str, int]:
        """What happened to the attacking connections."""
        return {
            "connections": self.count,
            "closed_by_server": self.closed_by_server,
            "answers": self.answers,
            "open_failures": self.open_failures,
        }


TS = "1700000000.000100"  # the message the signed reactions name (seeded by run)


def signed_stream(port: int, seconds: float, rate: float, timeout: float) -> dict[str, Any]:
    """Signed events at ``rate`` per second for ``seconds``; latency and failures."""
    url = f"http://127.0.0.1:{port}/slack/events"
    latencies: list[float] = []
    failures: list[str] = []
    total = int(seconds * rate)
    start = time.perf_counter()

    def one(n: int) -> None:
        time.sleep(max(0.0, start + n / rate - time.perf_counter()))
        with SlackSender(url, SIGNING_SECRET, timeout=timeout) as sender:
            sent = time.perf_counter()
            try:
                answer = sender.reaction(user="U0BOB0001", reaction="eyes", channel=NEWS, ts=TS)
            except httpx.HTTPError as error:
                failures.append(type(error).__name__)
                return
            if answer.status_code != 200:
                failures.append(str(answer.status_code))
                return
            latencies.append((time.perf_counter() - sent) * 1000)

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(one, range(total)))
    result: dict[str, Any] = {"signed_sent": total, "failed": len(failures)}
    if failures:
        result["failures"] = {kind: failures.count(kind) for kind in sorted(set(failures))}
    if latencies:
        result |= {
            "ack_p50_ms": round(statistics.median(latencies), 1),
            "ack_p99_ms": round(percentile(latencies, 99), 1),
            "ack_max_ms": round(max(latencies), 1),
        }
    result["goal_met"] = not failures and bool(latencies) and percentile(latencies, 99) < 1000
    return result


def phase(name: str, port: int, args: argparse.Namespace) -> dict[str, Any]:
    """One attack (or none) with the signed stream measured meanwhile."""
    kind, count = {
        "baseline": ("none", 0),
        "slowloris": ("slow", args.slow),
        "idle": ("idle", args.idle),
        "idle_over_limit": ("idle", args.many),
    }[name]
    if kind == "none":
        return signed_stream(port, args.seconds, args.rate, args.timeout)
    with Attack(port, kind, count) as attack:
        time.sleep(args.settle)  # let every attacking connection open (and trickle a while)
        result = signed_stream(port, args.seconds, args.rate, args.timeout)
    return result | {"attack": attack.report()}


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start the stand-ins and the bridge; run the phases asked for."""
    slack = FakeSlack(bot_token=BOT_TOKEN).start()
    amity = FakeAmity(token=AMITY_TOKEN).start()
    seed(slack, amity)
    slack.add_message(NEWS, {"user": "U0ALICE01", "text": "reacted to", "ts": TS})
    results: dict[str, Any] = {"server": args.server}
    with tempfile.TemporaryDirectory() as tmp:
        env = environment(Path(tmp), slack, amity)
        if args.server != "waitress":
            root = str(Path(__file__).resolve().parent.parent)
            env["PYTHONPATH"] = os.pathsep.join(p for p in (root, args.pythonpath) if p)
            process: Process = Alternative(args.server, env, Path(tmp))
        else:
            process = Process(env, Path(tmp))
        try:
            port = process.port()
            threading.Thread(target=drain, args=(process,), daemon=True).start()
            signed_stream(port, 2, 5, args.timeout)  # warm-up
            for name in args.phases.split(","):
                results[name] = phase(name, port, args)
                time.sleep(args.settle)  # the server sheds what the attack left
        finally:
            process.proc.terminate()
            process.proc.wait(timeout=60)
    slack.stop()
    amity.stop()
    return results


class Alternative(Process):
    """The bridge's application under another WSGI server (``bench.edge_alt``)."""

    def __init__(self, server: str, env: dict[str, str], cwd: Path) -> None:
        self.lines = queue.Queue()
        self.seen = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.edge_alt", server],
            env=env,
            cwd=cwd,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()


def drain(process: Process) -> None:
    """Keep reading the bridge's log so its stderr pipe never fills."""
    for _ in itertools.count():
        if process.proc.poll() is not None:
            return
        try:
            process.lines.get(timeout=1)
        except Exception:  # noqa: BLE001 (queue.Empty: nothing logged in that second)
            continue


def main() -> int:
    """Parse options, run, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=["waitress", "cheroot"], default="waitress")
    parser.add_argument("--pythonpath", default="", help="where the alternative is installed")
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--slow", type=int, default=120, help="slowloris sockets")
    parser.add_argument("--idle", type=int, default=200, help="idle keep-alive connections")
    parser.add_argument("--many", type=int, default=700, help="idle connections over the limit")
    parser.add_argument("--seconds", type=float, default=15.0, help="signed stream per phase")
    parser.add_argument("--rate", type=float, default=5.0, help="signed requests per second")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds before measuring")
    args = parser.parse_args()
    json.dump(run(args), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
