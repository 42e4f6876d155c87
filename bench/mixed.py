"""Benchmark: small jobs while a 200 MB video is uploading.

One bridge process (SQLite, ``BRIDGE_WORKERS`` slots) gets a reaction on a message with a
200 MB video; once that job runs, 100 ``/crosspost <text>`` commands arrive. Reports the
latency of the text jobs (from the signed request to the post at the stand-in Amity,
p50/p99/max), how many of them were posted before the video's post, and the video's time.
The Amity budget is set high (``--rate-limit``) so that it does not mask the scheduling.

    .venv/bin/python -m bench.mixed [--video-mb 200] [--texts 100] [--workers 4]
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
from bridge_standins.signed import SlackSender
from bridge_standins.slack import FakeSlack
from bridge_standins.stack import AMITY_TOKEN, BOT_TOKEN, NEWS, SIGNING_SECRET, seed

from bench.files import MB, make_file
from bench.instances import Watcher, quantile
from bridge.delivery.outbox import JobState, Outbox, make_engine
from tests.processes import Process, environment


def main() -> int:
    """Parse options, run, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video-mb", type=int, default=200)
    parser.add_argument("--texts", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rate-limit", type=int, default=5000, help="Amity requests per 5 s")
    args = parser.parse_args()
    slack = FakeSlack(bot_token=BOT_TOKEN).start()
    amity = FakeAmity(token=AMITY_TOKEN).start()
    seed(slack, amity)
    amity.rate_limit = args.rate_limit
    sent: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        video = slack.add_file(
            {"name": "launch.mp4", "mimetype": "video/mp4"},
            make_file(folder, "launch.mp4", args.video_mb * MB),
        )
        url = f"sqlite:///{folder / 'bench.db'}"
        env = environment(
            folder,
            slack,
            amity,
            DATABASE_URL=url,
            BRIDGE_MAX_FILE_MB=str(args.video_mb * 2),
            BRIDGE_WORKERS=str(args.workers),
            AMITY_RATE_LIMIT=str(args.rate_limit),
        )
        process = Process(env, folder)
        events = f"http://127.0.0.1:{process.port()}/slack/events"
        box = Outbox(make_engine(url))
        watcher = Watcher(amity)
        try:
            with SlackSender(events, SIGNING_SECRET) as sender:
                msg = slack.add_message(
                    NEWS, {"user": "U0ALICE01", "text": "the video", "files": [video]}
                )
                started = time.perf_counter()
                sender.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
                wait_for(lambda: box.count_by_state()[JobState.running] == 1, timeout=30)
                for n in range(args.texts):
                    sent[f"text {n}"] = time.perf_counter()
                    sender.command(
                        f"text {n}",
                        channel_id=NEWS,
                        user_id="U0BOB0001",
                        response_url=slack.response_url(f"t{n}"),
                    )
            wait_for(lambda: amity.post_count() >= args.texts + 1, timeout=600, interval=0.05)
        finally:
            watcher.stop()
            box.engine.dispose()
            process.proc.terminate()
            process.proc.wait(timeout=60)
            process.output()
    amity.stop()
    slack.stop()
    latencies = [watcher.seen[text] - at for text, at in sent.items()]
    video_done = watcher.seen["the video"]
    result = {
        "video_mb": args.video_mb,
        "texts": args.texts,
        "workers": args.workers,
        "video_s": round(video_done - started, 2),
        "texts_posted_before_video": sum(1 for t in sent if watcher.seen[t] < video_done),
        "text_latency_p50_ms": round(quantile(latencies, 0.5) * 1000, 1),
        "text_latency_p99_ms": round(quantile(latencies, 0.99) * 1000, 1),
        "text_latency_max_ms": round(max(latencies) * 1000, 1),
    }
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
