"""Logs keep secrets and content out: a representative run of the real server, scanned, and
the library messages that would carry a request body or mislead the operator."""

from __future__ import annotations

import io
import json
import logging
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from bridge_standins.amity import FakeAmity
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender, reaction_added_body, slash_command_form
from bridge_standins.slack import FakeSlack
from bridge_standins.stack import BOT_TOKEN, NEWS, SIGNING_SECRET, TEAM
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient

from bridge.ops.logs import setup_logging
from tests.processes import NEVER_LOGGED, Process, assert_clean, coverage_env, environment

Fakes = tuple[FakeSlack, FakeAmity]
TEXTS = ("a private plan for Friday", "typed text for the feed", "forbidden rumour")


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger back as pytest had it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers[:]:
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name in ("bridge", "bridge.bolt", "apscheduler"):
        logging.getLogger(name).setLevel(logging.NOTSET)


@pytest.mark.parametrize("level", ["WARNING", "INFO"])
def test_a_representative_run_logs_no_secret_body_or_text(
    tmp_path: Path, fakes: Fakes, level: str
) -> None:
    """Reactions, commands, a refused signature, an unhandled event and a failed post, at the
    default level and with BRIDGE_LOG_LEVEL=INFO: no token, body or message text is logged."""
    slack, amity = fakes
    amity.blocked_words.add("forbidden")
    process = Process(environment(tmp_path, *fakes, BRIDGE_LOG_LEVEL=level), tmp_path)
    try:
        url = f"http://127.0.0.1:{process.port()}/slack/events"
        good = slack.add_message(NEWS, {"user": "U0ALICE01", "text": TEXTS[0]})
        bad = slack.add_message(NEWS, {"user": "U0ALICE01", "text": TEXTS[2]})
        with SlackSender(url, SIGNING_SECRET) as sender:
            for msg in (good, bad):
                sender.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
            sender.command(
                TEXTS[1],
                channel_id=NEWS,
                user_id="U0BOB0001",
                response_url=slack.response_url("hygiene"),
            )
            unhandled = {
                **json.loads(
                    reaction_added_body(
                        team_id=TEAM, user="U0BOB0001", reaction="x", channel=NEWS, ts="1.2"
                    )
                ),
                "event": {"type": "message", "text": TEXTS[0], "channel": NEWS, "ts": "1.3"},
            }
            assert sender.post(json.dumps(unhandled).encode(), "application/json").status_code
        with SlackSender(url, "not-the-signing-secret") as forger:
            refused = forger.command(
                TEXTS[1],
                channel_id=NEWS,
                user_id="U0BOB0001",
                response_url=slack.response_url("forged"),
            )
        assert refused.status_code == 401
        wait_for(lambda: len(slack.posted) == 1 and len(slack.responses) == 1, timeout=20)
        wait_for(lambda: len(slack.ephemerals) == 1, timeout=20)  # the blocked word, told
        process.proc.send_signal(signal.SIGTERM)
        assert process.proc.wait(timeout=30) == 0
    finally:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait()
    log = process.output()
    assert_clean(log, *TEXTS)
    events = [json.loads(line)["event"] for line in log.splitlines() if line.startswith("{")]
    assert "bridge.listening" in events and "bridge.stopped" in events
    if level == "WARNING":
        assert "alembic" not in log
    assert "will be unused" not in log


def capture(level: str) -> io.StringIO:
    out = io.StringIO()
    setup_logging(level, as_json=True, stream=out)
    return out


@pytest.mark.usefixtures("restore_logging")
def test_bolts_signature_message_loses_the_body() -> None:
    """Bolt logs a refused request with its body; the line written has only the event."""
    out = capture("INFO")
    app = App(
        client=WebClient(token=BOT_TOKEN),
        signing_secret=SIGNING_SECRET,
        token_verification_enabled=False,
        logger=logging.getLogger("bridge.bolt"),
    )
    body = slash_command_form(
        text=TEXTS[1],
        team_id=TEAM,
        channel_id=NEWS,
        user_id="U0BOB0001",
        response_url="https://hooks.slack.com/commands/T0FAKE/1/secret",
    ).decode()
    headers: dict[str, str | Sequence[str]] = {
        "x-slack-signature": "v0=forged",
        "x-slack-request-timestamp": "1",
    }
    response = app.dispatch(BoltRequest(body=body, headers=headers))
    assert response.status == 401
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {"event": "bridge.request_refused"}.items() <= lines[-1].items()
    assert_clean(out.getvalue(), TEXTS[1], "hooks.slack.com")


@pytest.mark.usefixtures("restore_logging")
def test_no_token_warning_when_the_token_is_in_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bolt reads SLACK_BOT_TOKEN itself and warns the bridge's client makes it unused:
    that warning, true of every deploy and useless to the operator, is not written."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    out = capture("INFO")
    App(
        client=WebClient(token=BOT_TOKEN),
        signing_secret=SIGNING_SECRET,
        token_verification_enabled=False,
        logger=logging.getLogger("bridge.bolt"),
    )
    assert "will be unused" not in out.getvalue()


def test_migrate_prints_no_library_chatter(tmp_path: Path) -> None:
    """migrate prints its one line; alembic's INFO lines only with BRIDGE_LOG_LEVEL=INFO."""

    def migrate(**env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bridge", "migrate"],
            env={**coverage_env(), "PATH": "/usr/bin:/bin", **env},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )

    quiet = migrate()
    assert quiet.stderr == "" and quiet.stdout.startswith("bridge: created the schema (")
    assert len(quiet.stdout.splitlines()) == 1
    (tmp_path / "bridge.db").unlink()
    chatty = migrate(BRIDGE_LOG_LEVEL="info")
    assert "alembic" in chatty.stderr


def test_never_logged_markers_are_in_every_request_body() -> None:
    """The markers the scans look for really are in the bodies the stand-ins send."""
    body = slash_command_form(
        text="x", team_id=TEAM, channel_id=NEWS, user_id="U1", response_url="http://h/response/k"
    ).decode()
    assert "deprecated-verification-token" in body and "response_url" in body
    assert (
        "deprecated-verification-token"
        in reaction_added_body(
            team_id=TEAM, user="U1", reaction="mega", channel=NEWS, ts="1.1"
        ).decode()
    )
    assert "deprecated-verification-token" in NEVER_LOGGED
