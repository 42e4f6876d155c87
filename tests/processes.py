"""Running ``python -m bridge serve`` as a child process in tests."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from bridge_standins.amity import FakeAmity
from bridge_standins.slack import FakeSlack
from bridge_standins.stack import AMITY_TOKEN, BOT_TOKEN, POST_URL, ROUTES, SIGNING_SECRET

# What must never reach a log line: the secrets every test process runs with, and two parts
# of every Slack request body the stand-ins build (the legacy verification token and the
# response_url field), which would show up if a request body were logged.
NEVER_LOGGED = (
    BOT_TOKEN,
    SIGNING_SECRET,
    AMITY_TOKEN,
    "xapp-",
    "deprecated-verification-token",
    "response_url",
    "/response/",
)


def assert_clean(log: str, *also: str) -> None:
    """Fail if ``log`` holds a secret, a request body or any of ``also`` (message texts)."""
    for secret in (*NEVER_LOGGED, *also):
        leaked = [line for line in log.splitlines() if secret in line]
        assert not leaked, f"{secret!r} was logged: {leaked[0][:300]}"


class Process:
    """A child process whose stderr lines are collected in the background."""

    def __init__(self, env: dict[str, str], cwd: Path, *args: str) -> None:
        """Start ``python -m bridge serve`` on 127.0.0.1 with ``env`` (and ``args``)."""
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bridge", "serve", "--host", "127.0.0.1", *args],
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

    def wait_event(self, event: str, timeout: float = 20.0) -> dict[str, Any]:
        """The first JSON log line whose event is ``event``."""
        while True:
            line = self.lines.get(timeout=timeout)
            self.seen.append(line)
            if line.startswith("{"):
                entry: dict[str, Any] = json.loads(line)
                if entry.get("event") == event:
                    return entry

    def wait_events(self, *events: str, timeout: float = 20.0) -> dict[str, dict[str, Any]]:
        """The first JSON log line of each of ``events``, in whatever order they come."""
        found: dict[str, dict[str, Any]] = {}
        while len(found) < len(events):
            line = self.lines.get(timeout=timeout)
            self.seen.append(line)
            if line.startswith("{"):
                entry: dict[str, Any] = json.loads(line)
                if entry.get("event") in events:
                    found.setdefault(entry["event"], entry)
        return found

    def port(self) -> int:
        """The HTTP port, from the ``bridge.listening`` log line."""
        return int(self.wait_event("bridge.listening")["port"])

    def output(self) -> str:
        """Everything written to stderr (call after the process ended), checked to hold no
        secret and no request body: every end-to-end run through here is scanned."""
        self.reader.join(timeout=10)
        assert self.proc.stderr is not None
        self.proc.stderr.close()
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        log = "".join(self.seen)
        assert_clean(log)
        return log


def coverage_env() -> dict[str, str]:
    """The variables that make coverage measure a child process too (none without it)."""
    return {k: v for k, v in os.environ.items() if k.startswith("COVERAGE_")}


def environment(tmp_path: Path, slack: FakeSlack, amity: FakeAmity, **extra: str) -> dict[str, str]:
    """The environment of a bridge process using the stand-ins (routes file in tmp_path)."""
    (tmp_path / "bridge.yml").write_text(ROUTES, encoding="utf-8")
    return {
        **coverage_env(),
        "PATH": os.environ.get("PATH", ""),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url + "/api/",
        "AMITY_API_URL": amity.url,
        "AMITY_ADMIN_TOKEN": AMITY_TOKEN,
        "AMITY_POST_URL_TEMPLATE": POST_URL,
        "PORT": "0",
        "BRIDGE_POLL_SECONDS": "0.2",
    } | extra
