"""The Slack app manifest: the shipped copy, and `manifest --url`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bridge.cli import main

ROOT = Path(__file__).parents[1]


def urls(node: Any) -> list[str]:
    """Every value under a key ending in url."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("url") and isinstance(value, str):
                found.append(value)
            found += urls(value)
    elif isinstance(node, list):
        for item in node:
            found += urls(item)
    return found


def test_packaged_manifest_is_the_repository_one() -> None:
    """bridge/manifest.yml (what `manifest` prints) equals manifest.yml at the top."""
    assert (ROOT / "bridge" / "manifest.yml").read_text() == (ROOT / "manifest.yml").read_text()


def test_manifest_declares_what_the_bridge_listens_to() -> None:
    """The command, the shortcut, the events and the scopes the code relies on."""
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/crosspost"]
    assert manifest["features"]["shortcuts"][0]["callback_id"] == "crosspost_message"
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "reaction_added",
        "app_home_opened",
    }
    from bridge.check import REQUIRED_SCOPES

    assert set(REQUIRED_SCOPES) <= set(manifest["oauth_config"]["scopes"]["bot"])


def test_manifest_url_fills_every_url(capsys: pytest.CaptureFixture[str]) -> None:
    """`manifest --url` prints valid YAML with every URL at <url>/slack/events."""
    assert main(["manifest", "--url", "https://my-app.example.com/"]) == 0
    manifest = yaml.safe_load(capsys.readouterr().out)
    found = urls(manifest)
    assert len(found) == 3
    assert set(found) == {"https://my-app.example.com/slack/events"}


def test_manifest_refuses_plain_http(capsys: pytest.CaptureFixture[str]) -> None:
    """Slack needs https request URLs."""
    assert main(["manifest", "--url", "http://my-app.example.com"]) == 2
    assert "https://" in capsys.readouterr().err
