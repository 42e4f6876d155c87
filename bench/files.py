"""Benchmark: bridging large files with bounded memory.

The bridge runs as its own process against the stand-ins on loopback. Two loads: one
200 MB video, and 20 images of 5 MB (two messages of ten). For each: wall time from the
reaction to the post, throughput, and the growth of the bridge process's peak RSS over its
idle RSS (``VmHWM`` in ``/proc/<pid>/status``, reset between loads). The baseline is a
plain httpx streaming copy of the same bytes between the same two stand-ins (download to
a temporary file, then a multipart upload), measured in the same run.

    .venv/bin/python -m bench.files [--video-mb 200] [--images 20] [--image-mb 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from bridge_standins.amity import FakeAmity
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender
from bridge_standins.slack import FakeSlack
from bridge_standins.stack import AMITY_TOKEN, BOT_TOKEN, NEWS, SIGNING_SECRET, seed

from tests.processes import Process, environment

MB = 1_000_000


def rss_kb(pid: int, field: str) -> int:
    """``VmRSS`` or ``VmHWM`` of a process, in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak(pid: int) -> None:
    """Reset the process's peak RSS to its current RSS (Linux clear_refs 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def make_file(folder: Path, name: str, size: int) -> Path:
    """A file of pseudo-random bytes (incompressible, written in 8 MB slices)."""
    path = folder / name
    with path.open("wb") as out:
        block = os.urandom(8 * MB)
        for start in range(0, size, len(block)):
            out.write(block[: min(len(block), size - start)])
    return path


def posted(amity: FakeAmity, count: int) -> Callable[[], bool]:
    """A condition: Amity holds at least ``count`` posts."""
    return lambda: amity.post_count() >= count


def baseline(slack: FakeSlack, amity: FakeAmity, file: dict[str, object], kind: str) -> float:
    """Seconds for a plain httpx copy: streamed download to disk, then multipart upload."""
    endpoint = {"video": "videos", "image": "images"}[kind]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as spool, httpx.Client(timeout=600) as http:
        headers = {"Authorization": f"Bearer {BOT_TOKEN}"}
        with http.stream("GET", str(file["url_private_download"]), headers=headers) as r:
            for chunk in r.iter_bytes(1 << 16):
                spool.write(chunk)
        spool.seek(0)
        fields = {"feedType": "post"} if kind == "video" else {}
        answer = http.post(
            f"{amity.url}/api/v4/{endpoint}",
            data=fields,
            files={"files": (str(file["name"]), spool, str(file["mimetype"]))},
            headers={"Authorization": f"Bearer {AMITY_TOKEN}"},
        )
        answer.raise_for_status()
    return time.perf_counter() - started


def run(args: argparse.Namespace) -> dict[str, object]:
    """Both loads and their baselines; the figures as a dict."""
    slack = FakeSlack(bot_token=BOT_TOKEN).start()
    amity = FakeAmity(token=AMITY_TOKEN).start()
    seed(slack, amity)
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        video = slack.add_file(
            {"name": "launch.mp4", "mimetype": "video/mp4"},
            make_file(folder, "launch.mp4", args.video_mb * MB),
        )
        images = [
            slack.add_file(
                {"name": f"shot{n}.png", "mimetype": "image/png"},
                make_file(folder, f"shot{n}.png", args.image_mb * MB),
            )
            for n in range(args.images)
        ]
        env = environment(
            folder,
            slack,
            amity,
            BRIDGE_MAX_FILE_MB=str(args.video_mb * 2),
            DATABASE_URL=f"sqlite:///{folder / 'bench.db'}",
        )
        process = Process(env, folder)
        pid = process.proc.pid
        sender = SlackSender(f"http://127.0.0.1:{process.port()}/slack/events", SIGNING_SECRET)
        try:
            idle = rss_kb(pid, "VmRSS")
            results["idle_rss_mb"] = round(idle / 1000, 1)
            loads = {
                "video": [[video]],
                "images": [images[i : i + 10] for i in range(0, len(images), 10)],
            }
            for name, messages in loads.items():
                reset_peak(pid)
                before = amity.post_count()
                started = time.perf_counter()
                for files in messages:
                    msg = slack.add_message(
                        NEWS, {"user": "U0ALICE01", "text": name, "files": files}
                    )
                    sender.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
                wait_for(posted(amity, before + len(messages)), timeout=600, interval=0.05)
                seconds = time.perf_counter() - started
                size = sum(int(f["size"]) for files in messages for f in files)
                results[f"{name}_bytes"] = size
                results[f"{name}_seconds"] = round(seconds, 2)
                results[f"{name}_mb_per_s"] = round(size / MB / seconds, 1)
                results[f"{name}_peak_rss_growth_mb"] = round(
                    (rss_kb(pid, "VmHWM") - idle) / 1000, 1
                )
            video_base = baseline(slack, amity, video, "video")
            images_base = sum(baseline(slack, amity, f, "image") for f in images)
            results["baseline_video_mb_per_s"] = round(args.video_mb / video_base, 1)
            results["baseline_images_mb_per_s"] = round(
                args.images * args.image_mb / images_base, 1
            )
            for name in ("video", "images"):
                ratio = float(results[f"{name}_mb_per_s"]) / float(  # type: ignore[arg-type]
                    results[f"baseline_{name}_mb_per_s"]
                )  # type: ignore[arg-type]
                results[f"{name}_vs_baseline"] = round(ratio, 2)
        finally:
            sender.close()
            process.proc.terminate()
            process.proc.wait(timeout=60)
            process.output()
            slack.stop()
            amity.stop()
    return results


def main() -> int:
    """Parse options, run, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video-mb", type=int, default=200)
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--image-mb", type=int, default=5)
    json.dump(run(parser.parse_args()), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
