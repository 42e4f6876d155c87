"""``python -m bridge serve`` as a real process: start-up, a request, SIGTERM, bad settings."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bridge.fakes.amity import FakeAmity
from bridge.fakes.server import wait_for
from bridge.fakes.signed import SlackSender
from bridge.fakes.slack import FakeSlack
from bridge.fakes.stack import (
    AMITY_TOKEN,
    BOT_TOKEN,
    NEWS,
    POST_URL,
    ROUTES,
    SIGNING_SECRET,
    seed,
)


class Process:
    """A child process whose stderr lines are collected in the background."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bridge", "serve", "--host", "127.0.0.1"],
            env=env,
            cwd=cwd,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line)

    def wait_line(self, pattern: str, timeout: float = 20.0) -> re.Match[str]:
        """The first stderr line matching ``pattern``."""
        while True:
            line = self.lines.get(timeout=timeout)
            self.seen.append(line)
            if match := re.search(pattern, line):
                return match

    def output(self) -> str:
        """Everything written to stderr (call after the process ended)."""
        self.reader.join(timeout=10)
        assert self.proc.stderr is not None
        self.proc.stderr.close()
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return "".join(self.seen)


@pytest.fixture
def fakes() -> Iterator[tuple[FakeSlack, FakeAmity]]:
    slack = FakeSlack(bot_token=BOT_TOKEN).start()
    amity = FakeAmity(token=AMITY_TOKEN).start()
    seed(slack, amity)
    yield slack, amity
    slack.stop()
    amity.stop()


def environment(tmp_path: Path, slack: FakeSlack, amity: FakeAmity) -> dict[str, str]:
    (tmp_path / "bridge.yml").write_text(ROUTES, encoding="utf-8")
    return {
        "PATH": os.environ.get("PATH", ""),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url + "/api/",
        "AMITY_API_URL": amity.url,
        "AMITY_ADMIN_TOKEN": AMITY_TOKEN,
        "AMITY_POST_URL_TEMPLATE": POST_URL,
        "PORT": "0",
    }


def test_serve_handles_a_reaction_and_stops_on_sigterm(
    tmp_path: Path, fakes: tuple[FakeSlack, FakeAmity]
) -> None:
    """The production entry point serves /healthz and Slack, and exits 0 on SIGTERM."""
    slack, amity = fakes
    process = Process(environment(tmp_path, slack, amity), tmp_path)
    try:
        port = process.wait_line(r"bridge\.listening .*port=(\d+)").group(1)
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(base + "/healthz").json()["status"] == "ok"
        msg = slack.add_message(NEWS, {"user": "U0ALICE01", "text": "from the real process"})
        with SlackSender(base + "/slack/events", SIGNING_SECRET) as sender:
            answer = sender.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
        assert answer.status_code == 200
        wait_for(lambda: len(slack.posted) == 1, timeout=15)
        assert [p["data"]["text"] for p in amity.posts] == ["from the real process"]
        process.proc.send_signal(signal.SIGTERM)
        assert process.proc.wait(timeout=30) == 0
    finally:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait()
    log = process.output()
    assert "bridge.stopped" in log
    for secret in (BOT_TOKEN, SIGNING_SECRET, AMITY_TOKEN):
        assert secret not in log
    assert (tmp_path / "bridge.db").exists()


def test_serve_refuses_bad_settings(tmp_path: Path, fakes: tuple[FakeSlack, FakeAmity]) -> None:
    """A missing secret stops start-up with exit 2 and one line naming the setting."""
    env = environment(tmp_path, *fakes)
    del env["AMITY_ADMIN_TOKEN"]
    env["AMITY_REGION"] = "moon"
    done = subprocess.run(
        [sys.executable, "-m", "bridge", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("bridge: setting AMITY_REGION is invalid")
    assert lines[1].startswith("bridge: setting AMITY_ADMIN_TOKEN is missing")
    assert SIGNING_SECRET not in done.stderr


def test_serve_refuses_bad_routes_file(tmp_path: Path, fakes: tuple[FakeSlack, FakeAmity]) -> None:
    """A wrong routes file stops start-up naming the file and the entry."""
    env = environment(tmp_path, *fakes)
    (tmp_path / "bridge.yml").write_text(
        "routes:\n  - {name: x, channels: [general], emoji: mega, community: c}\n", encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, "-m", "bridge", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "bridge.yml: routes.0.channels.0" in done.stderr
