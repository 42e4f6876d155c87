"""``manifest``: the Slack app manifest, for a public URL or for Socket Mode."""

from __future__ import annotations

import argparse
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

import yaml

from bridge.cli.common import fail

MANIFEST_PLACEHOLDER = "https://bridge.example.com"
EVENTS_PATH = "/slack/events"
URL_HEADER = """# Slack app manifest for bridge: Slack sends every request to {events}.
# Create the app at https://api.slack.com/apps ("Create New App" > "From an app manifest").
"""
SOCKET_MODE_HEADER = """\
# Slack app manifest for bridge over Socket Mode (bridge connects out: no public URL).
# Create the app at https://api.slack.com/apps ("Create New App" > "From an app manifest"),
# then Basic Information > App-Level Tokens > Generate, with the connections:write scope,
# and set that xapp-... token as SLACK_APP_TOKEN.
"""


def manifest(args: argparse.Namespace) -> int:
    """Print the Slack app manifest: with this bridge's URL, or for Socket Mode."""
    text = (files("bridge") / "manifest.yml").read_text(encoding="utf-8")
    body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))
    if args.socket_mode:
        print(SOCKET_MODE_HEADER + _socket_mode(body), end="")
        return 0
    parts = urlsplit(args.url)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        fail(
            "--url must be the bridge's public https:// URL, such as "
            "https://bridge.example.org (with or without /slack/events)"
        )
    base = f"https://{parts.netloc}{parts.path}".rstrip("/").removesuffix(EVENTS_PATH)
    header = URL_HEADER.format(events=base + EVENTS_PATH)
    print(header + body.replace(MANIFEST_PLACEHOLDER, base), end="")
    return 0


def _socket_mode(body: str) -> str:
    """The manifest without request URLs and with Socket Mode on."""
    data: dict[str, Any] = yaml.safe_load(body)
    for command in data["features"]["slash_commands"]:
        command.pop("url", None)
    data["settings"]["event_subscriptions"].pop("request_url", None)
    data["settings"]["interactivity"].pop("request_url", None)
    data["settings"]["socket_mode_enabled"] = True
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
