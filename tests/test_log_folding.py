"""Libraries' log lines in the bridge's format, without duplicates of the bridge's own
lines and without waitress's queue-depth chatter; every line on stderr."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

from bridge.ops.logs import setup_logging
from tests.processes import coverage_env


def logged(level: str, emit: object) -> list[dict[str, object]]:
    out = io.StringIO()
    setup_logging(level, as_json=True, stream=out)
    try:
        emit()  # type: ignore[operator]
    finally:
        setup_logging("WARNING", stream=sys.stderr)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_queue_depth_is_debug_not_a_warning() -> None:
    def burst() -> None:
        for depth in range(1, 64):
            logging.getLogger("waitress.queue").warning("Task queue depth is %d", depth)

    assert logged("WARNING", burst) == []
    assert logged("INFO", burst) == []
    lines = logged("DEBUG", burst)
    assert len(lines) == 63 and {line["level"] for line in lines} == {"debug"}


def test_a_failure_the_bridge_reports_is_not_said_twice() -> None:
    def failing() -> None:
        client = logging.getLogger("slack_sdk.web.base_client")
        client.error("Failed to send a request to Slack API server: <urlopen error refused>")
        client.error("Failed to send a request to Slack API server: <urlopen error refused>")
        logging.getLogger("slack_sdk.web.base_client").warning("something else happened")
        logging.getLogger("bridge.health").warning("bridge.dependency_failing")

    lines = logged("WARNING", failing)
    assert [(line["logger"], line["event"]) for line in lines] == [
        ("slack_sdk.web.base_client", "something else happened"),  # folded, same format
        ("bridge.health", "bridge.dependency_failing"),
    ]


def test_log_lines_go_to_stderr(tmp_path: Path) -> None:
    """stdout carries what a command prints; its log lines (libraries' too) go to stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "bridge", "migrate"],
        env={**coverage_env(), "PATH": "/usr/bin:/bin", "BRIDGE_LOG_LEVEL": "INFO"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("bridge: created the schema (")
    assert len(done.stdout.splitlines()) == 1
    logs = [json.loads(line) for line in done.stderr.splitlines()]
    assert logs and all(line["logger"].startswith("alembic") for line in logs)
