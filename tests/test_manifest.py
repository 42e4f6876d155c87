"""The Slack app manifest: the shipped copy, and `manifest --url`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bridge.cli import main
from bridge.slack.scopes import bot_scopes

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
        "reaction_removed",
        "message.channels",
        "message.groups",
        "app_home_opened",
    }
    assert {
        "commands",
        "chat:write",
        "reactions:read",
        "reactions:write",
        "channels:history",
        "groups:history",
        "channels:read",
        "files:read",
        "users:read",
    } <= set(manifest["oauth_config"]["scopes"]["bot"])


def test_check_and_the_stand_in_use_the_manifests_scopes() -> None:
    """The bot scopes are listed once, in the manifest, for `check` and the stand-in."""
    from bridge_standins.slack import DEFAULT_SCOPES

    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert list(bot_scopes()) == manifest["oauth_config"]["scopes"]["bot"]
    assert bot_scopes() == DEFAULT_SCOPES


def test_manifest_url_fills_every_url(capsys: pytest.CaptureFixture[str]) -> None:
    """`manifest --url` prints valid YAML with every URL at <url>/slack/events."""
    assert main(["manifest", "--url", "https://my-app.example.com/"]) == 0
    manifest = yaml.safe_load(capsys.readouterr().out)
    found = urls(manifest)
    assert len(found) == 3
    assert set(found) == {"https://my-app.example.com/slack/events"}


@pytest.mark.parametrize(
    "given",
    [
        "https://my-app.example.com/slack/events",
        "https://my-app.example.com/slack/events/",
        "https://my-app.example.com",
    ],
)
def test_manifest_url_with_or_without_the_path(
    capsys: pytest.CaptureFixture[str], given: str
) -> None:
    """A URL with /slack/events is taken as the events URL, not doubled."""
    assert main(["manifest", "--url", given]) == 0
    out = capsys.readouterr().out
    assert set(urls(yaml.safe_load(out))) == {"https://my-app.example.com/slack/events"}
    assert "bridge.example.com" not in out and "replac" not in out.lower()
    assert out.splitlines()[0] == (
        "# Slack app manifest for bridge: Slack sends every request to "
        "https://my-app.example.com/slack/events."
    )


def test_manifest_keeps_a_path_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    """A bridge behind a path prefix keeps it."""
    assert main(["manifest", "--url", "https://example.org/tools/bridge"]) == 0
    found = urls(yaml.safe_load(capsys.readouterr().out))
    assert set(found) == {"https://example.org/tools/bridge/slack/events"}


def test_manifest_socket_mode(capsys: pytest.CaptureFixture[str]) -> None:
    """--socket-mode: Socket Mode on, no request URLs, everything else as shipped."""
    assert main(["manifest", "--socket-mode"]) == 0
    out = capsys.readouterr().out
    manifest = yaml.safe_load(out)
    shipped = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert urls(manifest) == []
    assert manifest["oauth_config"] == shipped["oauth_config"]
    assert (
        manifest["settings"]["event_subscriptions"]["bot_events"]
        == (shipped["settings"]["event_subscriptions"]["bot_events"])
    )
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/crosspost"]
    assert "connections:write" in out and "SLACK_APP_TOKEN" in out


def test_manifest_needs_url_or_socket_mode(capsys: pytest.CaptureFixture[str]) -> None:
    """Neither or both: the parser refuses with its usage line."""
    for argv in (["manifest"], ["manifest", "--url", "https://x.org", "--socket-mode"]):
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code == 2
    assert "--url" in capsys.readouterr().err


def test_manifest_refuses_plain_http(capsys: pytest.CaptureFixture[str]) -> None:
    """Slack needs https request URLs."""
    assert main(["manifest", "--url", "http://my-app.example.com"]) == 2
    assert "https://" in capsys.readouterr().err
