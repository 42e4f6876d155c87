"""A first deploy: `serve` with only the required settings and no routes file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from bridge_standins.amity import FakeAmity
from bridge_standins.slack import FakeSlack
from bridge_standins.stack import AMITY_TOKEN, BOT_TOKEN, POST_URL, ROUTES, SIGNING_SECRET

from bridge.delivery.outbox import Outbox
from bridge.listeners.home import home_view
from bridge.routes import RoutesConfig
from tests.processes import Process

ROOT = Path(__file__).parents[1]


def app_json_environment(slack: FakeSlack, amity: FakeAmity) -> dict[str, str]:
    """What app.json gives a new Heroku app: the required settings, the declared defaults,
    and the platform's PORT; the Slack and Amity URLs point at the stand-ins."""
    app = json.loads((ROOT / "app.json").read_text())
    env = {name: spec["value"] for name, spec in app["env"].items() if "value" in spec}
    required = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "AMITY_ADMIN_TOKEN": AMITY_TOKEN,
        "AMITY_POST_URL_TEMPLATE": POST_URL,
    }
    assert {k for k, v in app["env"].items() if v.get("required")} == set(required)
    return (
        env
        | required
        | {
            "PATH": os.environ.get("PATH", ""),
            "PORT": "0",
            "SLACK_API_URL": slack.url + "/api/",
            "AMITY_API_URL": amity.url,
        }
    )


def test_serve_starts_without_routes_and_is_healthy(
    tmp_path: Path, fakes: tuple[FakeSlack, FakeAmity]
) -> None:
    """No bridge.yml: a log line says how to add routes, /healthz answers 200."""
    process = Process(app_json_environment(*fakes), tmp_path)
    try:
        warning = process.wait_event("bridge.no_routes")
        assert warning["routes_file"] == "bridge.yml" and "bridge.example.yml" in warning["fix"]
        assert "App Home" in warning["fix"] and "routes import FILE" in warning["fix"]
        port = process.port()
        health = httpx.get(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        process.proc.send_signal(signal.SIGTERM)
        assert process.proc.wait(timeout=30) == 0
    finally:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait()
    process.output()


def test_stored_routes_need_no_file_and_no_advice(
    tmp_path: Path, fakes: tuple[FakeSlack, FakeAmity]
) -> None:
    """Routes kept in the store and no bridge.yml, the normal case: serve gives no "fix"."""
    env = app_json_environment(*fakes)
    (tmp_path / "routes.yml").write_text(ROUTES, encoding="utf-8")
    for command in (["migrate"], ["routes", "import", "routes.yml"]):
        done = subprocess.run(
            [sys.executable, "-m", "bridge", *command],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    (tmp_path / "routes.yml").unlink()
    process = Process(env, tmp_path)
    try:
        port = process.port()
        health = httpx.get(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 200
        process.proc.send_signal(signal.SIGTERM)
        assert process.proc.wait(timeout=30) == 0
    finally:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait()
    log = process.output()
    assert "bridge.no_routes" not in log and "fix" not in log


def test_app_home_without_routes_says_how_to_add_one(outbox: Outbox) -> None:
    """The Home tab of a bridge with no routes explains the routes file."""
    view = home_view(RoutesConfig.empty(), outbox, "T0FAKE", can_see=lambda _: True)
    text = json.dumps(view)
    assert "No routes yet" in text and "bridge.example.yml" in text and "BRIDGE_CONFIG" in text
