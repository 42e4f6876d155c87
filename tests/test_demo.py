"""The demo command runs the whole flow against the stand-ins."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from bridge.demo import run_demo
from tests.processes import coverage_env


def test_demo_creates_two_posts_and_answers() -> None:
    """Both the command and the reaction end as posts, with a thread reply and an answer."""
    out = io.StringIO()
    assert run_demo(out) == 0
    text = out.getvalue()
    assert "Amity received 2 create-post request(s)" in text
    assert "thread reply in C0NEWS001" in text
    assert "command answer (in_channel): Shared to *announcements*" in text
    assert "reaction :white_check_mark:" in text


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge", "demo", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**coverage_env(), "PATH": "/usr/bin:/bin"},
    )


def test_demo_narrative_is_not_interleaved_with_logs() -> None:
    """`demo` prints only its story; `demo --verbose` adds the log lines on stderr."""
    quiet = run()
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert "bridge.job_accepted" not in quiet.stdout and '"logger"' not in quiet.stdout
    verbose = run("--verbose")
    assert verbose.returncode == 0
    events = [json.loads(line)["event"] for line in verbose.stderr.splitlines()]
    assert "bridge.job_accepted" in events and "bridge.job_done" in events
    assert "Amity received 2 create-post request(s)" in verbose.stdout
