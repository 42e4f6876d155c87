"""``python -m bridge serve`` as a real process: start-up, a request, SIGTERM, bad settings."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
from bridge_standins.amity import FakeAmity
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender
from bridge_standins.slack import FakeSlack
from bridge_standins.stack import AMITY_TOKEN, BOT_TOKEN, NEWS, SIGNING_SECRET

from tests.processes import Process, environment


def start_up(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bridge serve`` expecting it to stop at start-up."""
    return subprocess.run(
        [sys.executable, "-m", "bridge", "serve"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_handles_a_reaction_and_stops_on_sigterm(
    tmp_path: Path, fakes: tuple[FakeSlack, FakeAmity]
) -> None:
    """The production entry point serves /healthz and Slack, and exits 0 on SIGTERM."""
    slack, amity = fakes
    process = Process(environment(tmp_path, slack, amity), tmp_path)
    try:
        port = process.port()
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
    done = start_up(env, tmp_path)
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
    done = start_up(env, tmp_path)
    assert done.returncode == 2
    assert "bridge.yml: routes.0.channels.0" in done.stderr


def test_serve_starts_while_slack_and_amity_refuse_and_heals(
    tmp_path: Path, fakes: tuple[FakeSlack, FakeAmity]
) -> None:
    """Slack refuses the bot token and Amity the admin token: serve still starts, /healthz
    answers 503 with one line per failing service, and once both accept (no restart) 200."""
    slack, amity = fakes
    slack.bot_token, amity.token = "xoxb-another-token", "another-amity-token"
    process = Process(environment(tmp_path, slack, amity), tmp_path)
    try:
        base = f"http://127.0.0.1:{process.port()}"
        down = httpx.get(base + "/healthz")
        assert down.status_code == 503
        assert down.headers["content-type"] == "application/json"
        body = down.json()
        assert body["status"] == "error" and body["store"] == "ok"
        assert all(isinstance(line, str) for line in body["problems"])
        assert body["problems"] == [body["problems"][0], body["problems"][1]]
        assert body["problems"][0].startswith(
            "slack: Slack refused SLACK_BOT_TOKEN (invalid_auth): copy the Bot User OAuth Token"
        )
        assert body["problems"][1].startswith("amity: Amity refused AMITY_ADMIN_TOKEN (")
        assert "Amity Console" in body["problems"][1]
        assert "{'ok'" not in down.text
        slack.bot_token = BOT_TOKEN
        wait_for(lambda: httpx.get(base + "/healthz").json().get("slack") == "ok", timeout=30)
        still = httpx.get(base + "/healthz")
        assert still.status_code == 503 and [p[:6] for p in still.json()["problems"]] == ["amity:"]
        amity.token = AMITY_TOKEN
        wait_for(lambda: httpx.get(base + "/healthz").status_code == 200, timeout=30)
        assert httpx.get(base + "/healthz").json()["status"] == "ok"
        process.proc.send_signal(signal.SIGTERM)
        assert process.proc.wait(timeout=30) == 0
    finally:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait()
    log = process.output()
    assert log.count('"bridge.dependency_failing"') == 2  # once per service, not per retry
    assert log.count('"bridge.dependency_ok"') == 2
    assert "Traceback" not in log and "slack_sdk" not in log


def test_serve_starts_while_slack_cannot_be_reached(
    tmp_path: Path, fakes: tuple[FakeSlack, FakeAmity]
) -> None:
    """Slack unreachable at start-up: /healthz says so in one line; no library lines."""
    env = environment(tmp_path, *fakes)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        env["SLACK_API_URL"] = f"http://127.0.0.1:{probe.getsockname()[1]}/api/"
    process = Process(env, tmp_path)
    try:
        down = httpx.get(f"http://127.0.0.1:{process.port()}/healthz")
        assert down.status_code == 503
        (line,) = down.json()["problems"]
        assert line.startswith("slack: Slack could not be reached at http://127.0.0.1:")
        assert line.endswith("check SLACK_API_URL and the network")
        process.proc.send_signal(signal.SIGTERM)
        assert process.proc.wait(timeout=30) == 0
    finally:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait()
    log = process.output()
    assert "slack_sdk" not in log and "Traceback" not in log


def test_serve_reports_an_unreachable_store(
    tmp_path: Path, fakes: tuple[FakeSlack, FakeAmity]
) -> None:
    """A database that cannot be reached stops start-up naming DATABASE_URL, not its value."""
    env = environment(tmp_path, *fakes)
    env["DATABASE_URL"] = "postgresql://user:hunter2@127.0.0.1:1/bridge"
    done = start_up(env, tmp_path)
    assert done.returncode == 2
    assert "the database bridge on 127.0.0.1:1 in DATABASE_URL could not be opened" in done.stderr
    assert "hunter2" not in done.stderr and "Traceback" not in done.stderr
