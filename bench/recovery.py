"""Benchmark: how soon the posts that waited out an Amity outage go out once it is back.

``--instances`` ``python -m bridge serve`` processes (every ``BRIDGE_*`` setting at its
default, the poll included) share a fresh PostgreSQL database. The stand-in Amity
answers every create-post with HTTP 500 / 500000 for ``--outage`` seconds of real time;
``--posts`` ``/crosspost <text>`` jobs are stored evenly over the outage's first
``--spread`` of it (so their backoffs differ, as people's triggers do). Then Amity
answers normally again. Reports the time from recovery to the first and the last post,
the create-post requests Amity received during the outage, the posts (and any
duplicates), the "delayed" notices and the failed jobs.

    .venv/bin/python -m bench.recovery [--outage 360] [--posts 10] [--instances 1]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from bridge_standins.amity import FakeAmity, Fault
from bridge_standins.server import wait_for
from bridge_standins.slack import FakeSlack
from bridge_standins.stack import AMITY_TOKEN, BOT_TOKEN, seed

from bench.instances import Watcher, scratch_database, text_job
from bridge.delivery.outbox import JobState, Outbox, make_engine
from bridge.settings import Settings
from tests.processes import Process, environment

POSTS_PATH = "/api/v4/posts"


def creates(amity: FakeAmity) -> int:
    """The create-post requests Amity received so far."""
    return sum(1 for r in amity.requests if r.path == POSTS_PATH)


def run(args: argparse.Namespace) -> dict[str, float | int]:
    """One outage, then recovery; the figures."""
    slack = FakeSlack(bot_token=BOT_TOKEN).start()
    amity = FakeAmity(token=AMITY_TOKEN).start()
    seed(slack, amity)
    poll = Settings.model_fields["BRIDGE_POLL_SECONDS"].default
    with scratch_database() as url, tempfile.TemporaryDirectory() as tmp:
        box = Outbox(make_engine(url))
        box.create_schema()
        env = environment(Path(tmp), slack, amity, DATABASE_URL=url, BRIDGE_POLL_SECONDS=str(poll))
        processes = [Process(env, Path(tmp)) for _ in range(args.instances)]
        try:
            for process in processes:
                process.port()
            amity.chaos([Fault.error(500, 500000, "Unexpected error")], rate=1.0)
            started = time.perf_counter()
            gap = args.outage * args.spread / args.posts
            for n in range(args.posts):
                box.enqueue(text_job(slack, f"outage{n}"))
                time.sleep(gap)
            time.sleep(max(0.0, started + args.outage - time.perf_counter()))
            during = creates(amity)
            watcher = Watcher(amity)
            amity.chaos([], 0.0)
            recovered = time.perf_counter()
            wait_for(lambda: amity.post_count() >= args.posts, timeout=900, interval=0.01)
            watcher.stop()
            time.sleep(2.0)  # a duplicate would show up here
            states = box.count_by_state()
        finally:
            for process in processes:
                process.proc.terminate()
                process.proc.wait(timeout=60)
                process.output()
            box.engine.dispose()
    seen = sorted(watcher.seen.values())
    texts = [str(p["data"].get("text", "")) for p in amity.posts]
    notices = [r for r in slack.responses if str(r.body.get("text", "")).startswith("Delayed")]
    slack.stop()
    amity.stop()
    return {
        "instances": args.instances,
        "outage_s": args.outage,
        "posts_triggered": args.posts,
        "recovery_to_first_post_s": round(seen[0] - recovered, 2),
        "recovery_to_last_post_s": round(seen[-1] - recovered, 2),
        "create_requests_during_outage": during,
        "posts": len(texts),
        "duplicates": len(texts) - len(set(texts)),
        "delayed_notices": len(notices),
        "failed_jobs": states[JobState.failed],
    }


def main() -> int:
    """Parse options, run, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outage", type=float, default=360.0, help="seconds Amity is down")
    parser.add_argument("--posts", type=int, default=10)
    parser.add_argument("--instances", type=int, default=1)
    parser.add_argument(
        "--spread", type=float, default=0.5, help="share of the outage the posts come in"
    )
    args = parser.parse_args()
    json.dump(run(args), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
