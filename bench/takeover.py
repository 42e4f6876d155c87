"""Benchmark: how soon a job held by a killed process is taken over.

Two ``python -m bridge serve`` processes share a fresh PostgreSQL database with the
default lease (``BRIDGE_LEASE_SECONDS``) and each process's heartbeat row (written every
``pulse_s``, expiring after ``alive_s``: ``bridge.delivery.holders``). For each run one
``/crosspost <text>`` job is stored; the stand-in Amity holds its create-post request
open; the process holding the job (named by the job's claim token) is killed with
SIGKILL; Amity answers normally again. The takeover time is from the kill to the
surviving (or restarted) process's create-post request for the same post; the killed
process is restarted before the next run. Reports p50 and max over ``--runs``.

    .venv/bin/python -m bench.takeover [--runs 5] [--lease 20] [--poll 0.2]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from bridge_standins.amity import FakeAmity
from bridge_standins.server import wait_for
from bridge_standins.slack import FakeSlack
from bridge_standins.stack import AMITY_TOKEN, BOT_TOKEN, seed

from bench.instances import quantile, scratch_database, text_job
from bridge.delivery.outbox import JobState, Outbox, make_engine
from bridge.delivery.policy import ALIVE, PULSE
from tests.processes import Process, environment


def creates_for(amity: FakeAmity, post_id: str) -> int:
    """How many create-post requests for ``post_id`` Amity received."""
    return sum(
        1
        for r in amity.requests
        if r.path == "/api/v4/posts"
        and isinstance(r.json, dict)
        and r.json.get("postId") == post_id
    )


def one_run(
    n: int,
    box: Outbox,
    amity: FakeAmity,
    slack: FakeSlack,
    procs: dict[int, Process],
    env: dict[str, str],
    tmp: Path,
) -> float:
    """Store a job, kill its holder mid-post, and time the takeover."""
    amity.delay_seconds = 3600.0
    job, _ = box.enqueue(text_job(slack, f"takeover{n}"))
    wait_for(lambda: creates_for(amity, job.post_id) == 1, timeout=60)
    held = box.get(job.id)
    assert held is not None and held.claim is not None
    pid = int(held.claim.split(":")[1])
    os.kill(pid, signal.SIGKILL)
    killed = time.perf_counter()
    amity.delay_seconds = 0.0
    wait_for(lambda: creates_for(amity, job.post_id) == 2, timeout=120, interval=0.01)
    took = time.perf_counter() - killed
    wait_for(lambda: (j := box.get(job.id)) is not None and j.state is JobState.done, timeout=60)
    dead = procs.pop(pid)
    dead.proc.wait(timeout=10)
    dead.output()
    fresh = Process(env, tmp)
    fresh.port()
    procs[fresh.proc.pid] = fresh
    return took


def main() -> int:
    """Parse options, run, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lease", type=float, default=20.0, help="BRIDGE_LEASE_SECONDS")
    parser.add_argument("--poll", type=float, default=0.2, help="BRIDGE_POLL_SECONDS")
    args = parser.parse_args()
    slack = FakeSlack(bot_token=BOT_TOKEN).start()
    amity = FakeAmity(token=AMITY_TOKEN).start()
    seed(slack, amity)
    times: list[float] = []
    with scratch_database() as url, tempfile.TemporaryDirectory() as tmp:
        env = environment(
            Path(tmp),
            slack,
            amity,
            DATABASE_URL=url,
            BRIDGE_LEASE_SECONDS=str(args.lease),
            BRIDGE_POLL_SECONDS=str(args.poll),
        )
        box = Outbox(make_engine(url))
        box.create_schema()
        procs: dict[int, Process] = {}
        try:
            for _ in range(2):
                process = Process(env, Path(tmp))
                process.port()
                procs[process.proc.pid] = process
            times = [one_run(n, box, amity, slack, procs, env, Path(tmp)) for n in range(args.runs)]
        finally:
            for process in procs.values():
                process.proc.terminate()
                process.proc.wait(timeout=60)
                process.output()
            box.engine.dispose()
    amity.stop()
    slack.stop()
    result = {
        "runs": args.runs,
        "lease_s": args.lease,
        "lease_renewed_every_s": args.lease / 4,
        "poll_s": args.poll,
        "pulse_s": PULSE.total_seconds(),
        "alive_s": min(ALIVE.total_seconds(), args.lease),
        "takeover_p50_s": round(quantile(times, 0.5), 2),
        "takeover_max_s": round(max(times), 2),
        "takeover_s": [round(t, 2) for t in times],
    }
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
