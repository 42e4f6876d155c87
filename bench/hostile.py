"""Benchmark: hostile traffic on the public URL costs the bridge almost nothing.

The bridge runs as its own process (``python -m bridge serve``) against the stand-ins.

- **oversized**: six concurrent unsigned 80 MB bodies of random bytes, in five variants:
  declared (``Content-Length``), the same with ``Expect: 100-continue``, chunked, a small
  declared length followed by 80 MB (a lying ``Content-Length``), and declared with
  headers shaped like Slack's (so that only the size stops it); then, for comparison,
  UTF-8 bodies of exactly the limit with Slack-shaped headers, the costliest requests
  the bridge reads (the signature check over the body refuses them). Reports the answers
  given, the bytes each client managed to send, and the growth of the bridge's process
  tree peak RSS over idle (goal: under 50 MB).
- **flood**: a second process sends requests with no signature or a wrong one as fast as
  it can while signed reactions arrive at a steady pace. Reports the flood's rate and
  answers, the signed acks' latency as the client saw it (goal: max under 1 s), and
  whether every signed reaction was posted exactly once.

    .venv/bin/python -m bench.hostile [--part oversized|flood|all]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from bridge_standins.amity import FakeAmity
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender
from bridge_standins.slack import FakeSlack
from bridge_standins.stack import AMITY_TOKEN, BOT_TOKEN, NEWS, SIGNING_SECRET, seed

from bench.load import percentile
from bridge.settings import Settings
from tests.processes import Process, environment

MB = 1_000_000
PIECE = os.urandom(256 * 1024)  # random bytes: not UTF-8, as an attacker would send


def tree_rss(pid: int) -> int:
    """Resident memory of ``pid`` and its descendants, in bytes (Linux /proc)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
        total += int(kb) * 1024
        pending += [int(child) for child in children]
    return total


class PeakRss:
    """Samples the process tree's RSS every 10 ms in the background; keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = tree_rss(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, tree_rss(self.pid))

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def idle_rss(pid: int, seconds: float = 1.0) -> int:
    """The tree's RSS at rest: the highest of a second of samples."""
    deadline, peak = time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        peak = max(peak, tree_rss(pid))
        time.sleep(0.01)
    return peak


def slack_shaped() -> str:
    """Signature headers that pass the guard's shape checks (the HMAC is wrong)."""
    return f"X-Slack-Request-Timestamp: {int(time.time())}\r\nX-Slack-Signature: v0={'ab' * 32}\r\n"


def hostile_request(port: int, variant: str, size: int) -> dict[str, Any]:
    """Send one oversized request over a raw socket; the answer and what it cost to send."""
    framing = {
        "declared": f"Content-Length: {size}\r\n",
        "declared_expect_continue": f"Content-Length: {size}\r\nExpect: 100-continue\r\n",
        "declared_slack_shaped": f"Content-Length: {size}\r\n" + slack_shaped(),
        "at_limit_slack_shaped": f"Content-Length: {size}\r\n" + slack_shaped(),
        "chunked": "Transfer-Encoding: chunked\r\n",
        "lying_length": "Content-Length: 1000\r\n",
    }[variant]
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: bridge\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\n{framing}\r\n"
    ).encode()
    piece = b"%x\r\n%s\r\n" % (len(PIECE), PIECE) if variant == "chunked" else PIECE
    if variant == "at_limit_slack_shaped":
        piece = b"a" * len(PIECE)  # UTF-8: read whole by the signature check
    sent, started = 0, time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(head)
        try:
            while sent < size:
                sock.sendall(piece)
                sent += len(PIECE)
            if variant == "chunked":
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the bridge answered and closed: the rest is never read
        answer = b""
        try:
            while b"\r\n" not in answer and (data := sock.recv(4096)):
                answer += data
        except OSError:
            pass
    status = answer.split(b"\r\n", 1)[0].decode(errors="replace") or "no answer"
    return {"status": status, "sent_mb": sent / MB, "seconds": time.perf_counter() - started}


def oversized(process: Process, port: int, limit: int, args: argparse.Namespace) -> dict[str, Any]:
    """Each variant: ``--clients`` concurrent bodies of ``--body-mb`` (and, for comparison,
    bodies of exactly the limit with Slack-shaped headers, which reach Bolt); answers and
    peak RSS."""
    idle = idle_rss(process.proc.pid)
    results: dict[str, Any] = {"idle_rss_mb": round(idle / MB, 1)}
    overall = idle
    variants = (
        "declared",
        "declared_expect_continue",
        "chunked",
        "lying_length",
        "declared_slack_shaped",
    )
    for variant in (*variants, "at_limit_slack_shaped"):
        with PeakRss(process.proc.pid) as rss, ThreadPoolExecutor(args.clients) as pool:
            size = args.body_mb * MB if variant in variants else limit
            sent = [pool.submit(hostile_request, port, variant, size) for _ in range(args.clients)]
            answers = [future.result() for future in sent]
        overall = max(overall, rss.peak)
        results[variant] = {
            "answers": dict(Counter(a["status"] for a in answers)),
            "client_sent_mb_max": round(max(a["sent_mb"] for a in answers), 1),
            "seconds_max": round(max(a["seconds"] for a in answers), 2),
            "peak_rss_growth_mb": round((rss.peak - idle) / MB, 1),
        }
    results["peak_rss_growth_mb"] = round((overall - idle) / MB, 1)
    results["goal_under_50_mb"] = overall - idle < 50 * MB
    results["healthz_after"] = httpx.get(f"http://127.0.0.1:{port}/healthz").status_code
    return results


def flood_main(port: int, seconds: float, threads: int) -> None:
    """The flooding process: 1 KB posts on keep-alive connections, half with no signature,
    half with Slack-shaped headers and a wrong signature; prints the answers' counts."""
    counts: Counter[int] = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    body = b'{"type":"event_callback","event":{"type":"reaction_added"}}'.ljust(1024)

    def hammer(shaped: bool) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: Counter[int] = Counter()
        while time.monotonic() < deadline:
            headers = {"Content-Type": "application/json"}
            if shaped:  # passes the header checks; the signature check over the body refuses it
                headers["X-Slack-Request-Timestamp"] = str(int(time.time()))
                headers["X-Slack-Signature"] = "v0=" + "ab" * 32
            try:
                conn.request("POST", "/slack/events", body, headers)
                answer = conn.getresponse()
                answer.read()
                mine[answer.status] += 1
            except (OSError, http.client.HTTPException):
                mine[0] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        with lock:
            counts.update(mine)

    started = time.monotonic()
    pool = [threading.Thread(target=hammer, args=(n % 2 == 1,)) for n in range(threads)]
    for worker in pool:
        worker.start()
    for worker in pool:
        worker.join()
    elapsed = time.monotonic() - started
    total = sum(counts.values())
    print(json.dumps({"requests": total, "per_s": round(total / elapsed), "answers": counts}))


def flood(
    process: Process, port: int, slack: FakeSlack, amity: FakeAmity, args: argparse.Namespace
) -> dict[str, Any]:
    """Signed reactions at a steady pace while a second process floods unsigned requests."""
    messages = [
        slack.add_message(NEWS, {"user": "U0ALICE01", "text": f"during the flood {n}"})
        for n in range(args.signed)
    ]
    posts_before = amity.post_count()
    refusals_before = refusals(process)
    flooder = subprocess.Popen(
        [
            *(sys.executable, "-m", "bench.hostile", "--flood-port", str(port)),
            *("--flood-seconds", str(args.flood_seconds)),
            *("--flood-threads", str(args.flood_threads)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.0)  # let the flood reach its pace first
    window = args.flood_seconds - 3.0
    start = time.perf_counter()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()

    def react(item: tuple[int, dict[str, Any]]) -> None:
        n, msg = item
        time.sleep(max(0.0, start + n * window / args.signed - time.perf_counter()))
        with SlackSender(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET) as sender:
            sent = time.perf_counter()
            answer = sender.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
            latencies.append((time.perf_counter() - sent) * 1000)
            statuses[answer.status_code] += 1

    with PeakRss(process.proc.pid) as rss, ThreadPoolExecutor(16) as pool:
        idle = rss.peak
        list(pool.map(react, enumerate(messages)))
        out, _ = flooder.communicate(timeout=args.flood_seconds + 60)
    wait_for(lambda: amity.post_count() - posts_before >= args.signed, timeout=120)
    time.sleep(1.0)  # late duplicates would show up here
    ids = [p["postId"] for p in amity.posts[posts_before:]]
    return {
        "flood": json.loads(out),
        "signed_sent": args.signed,
        "signed_answers": dict(statuses),
        "signed_ack_p50_ms": round(statistics.median(latencies), 1),
        "signed_ack_p99_ms": round(percentile(latencies, 99), 1),
        "signed_ack_max_ms": round(max(latencies), 1),
        "goal_max_under_1s": max(latencies) < 1000,
        "posted": len(set(ids)),
        "duplicates": len(ids) - len(set(ids)),
        "peak_rss_growth_mb": round((rss.peak - idle) / MB, 1),
        "refusal_log_lines": refusals(process) - refusals_before,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start the stand-ins and the bridge; run the parts asked for."""
    slack = FakeSlack(bot_token=BOT_TOKEN).start()
    amity = FakeAmity(token=AMITY_TOKEN).start()
    seed(slack, amity)
    limit = Settings.model_fields["BRIDGE_MAX_BODY_BYTES"].default
    results: dict[str, Any] = {"body_limit_bytes": limit}
    with tempfile.TemporaryDirectory() as tmp:
        process = Process(environment(Path(tmp), slack, amity), Path(tmp))
        try:
            port = process.port()
            threading.Thread(target=collect, args=(process,), daemon=True).start()
            warm_up(port, slack, amity)
            if args.part in ("oversized", "all"):
                results["oversized"] = oversized(process, port, limit, args)
            if args.part in ("flood", "all"):
                results["flood"] = flood(process, port, slack, amity, args)
        finally:
            process.proc.terminate()
            process.proc.wait(timeout=60)
    slack.stop()
    amity.stop()
    return results


def collect(process: Process) -> None:
    """Keep reading the bridge's log lines into ``process.seen``."""
    while process.proc.poll() is None:
        try:
            process.wait_line("bridge.request_refused", timeout=1)
        except queue.Empty:
            continue


def refusals(process: Process) -> int:
    """``bridge.request_refused`` lines logged so far (read once the queue is drained)."""
    wait_for(process.lines.empty, timeout=30)
    time.sleep(0.5)
    return sum("bridge.request_refused" in line for line in list(process.seen))


def warm_up(port: int, slack: FakeSlack, amity: FakeAmity) -> None:
    """One signed reaction end to end, so idle memory includes a warmed-up bridge."""
    msg = slack.add_message(NEWS, {"user": "U0ALICE01", "text": "warm-up"})
    with SlackSender(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET) as sender:
        sender.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
    wait_for(lambda: amity.post_count() == 1, timeout=30)


def main() -> int:
    """Parse options, run, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["oversized", "flood", "all"], default="all")
    parser.add_argument("--clients", type=int, default=6, help="concurrent oversized bodies")
    parser.add_argument("--body-mb", type=int, default=80)
    parser.add_argument("--signed", type=int, default=200, help="signed reactions in the flood")
    parser.add_argument("--flood-seconds", type=float, default=20.0)
    parser.add_argument("--flood-threads", type=int, default=16)
    parser.add_argument("--flood-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.flood_port:
        flood_main(args.flood_port, args.flood_seconds, args.flood_threads)
        return 0
    json.dump(run(args), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
