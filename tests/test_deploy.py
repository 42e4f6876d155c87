"""Deployment files: Procfile process types and app.json."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_procfile_types() -> None:
    """release migrates; web serves on $PORT; the worker also holds Socket Mode (with
    SLACK_APP_TOKEN)."""
    lines = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines())
    assert lines == {
        "release": "python -m bridge migrate",
        "web": "python -m bridge serve",
        "worker": "python -m bridge serve --socket-mode",
    }


def test_app_json_lists_required_settings() -> None:
    """app.json names every required setting and adds Postgres."""
    app = json.loads((ROOT / "app.json").read_text())
    required = {k for k, v in app["env"].items() if v.get("required")}
    assert required == {
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "AMITY_ADMIN_TOKEN",
        "AMITY_POST_URL_TEMPLATE",
    }
    assert app["addons"][0]["plan"].startswith("heroku-postgresql")
    assert set(app["formation"]) == {"web", "worker"}
