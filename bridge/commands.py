"""What ``/crosspost`` was asked to do, parsed from the command's text."""

from __future__ import annotations

import re
from dataclasses import dataclass

USAGE = """*Share Slack messages with your community*
• `/crosspost <text>`: post the text to this channel's community
• `/crosspost <message link>`: post an existing message (More actions › Copy link)
• React with a route's emoji (for example :mega:) on any message in a routed channel
• `/crosspost help`: this text
The link to the post comes back in Slack when it is published."""

LINK = re.compile(
    r"^<?(?P<url>https://[A-Za-z0-9.-]+/archives/(?P<channel>[CGD][A-Z0-9]+)/"
    r"p(?P<sec>\d{10})(?P<micro>\d{6})(?P<query>\?[^\s|>]*)?)(?:\|[^>]*)?>?$"
)
THREAD_TS = re.compile(r"(?:^\?|&)thread_ts=(\d{10}\.\d{6})")


@dataclass(frozen=True)
class Help:
    """``/crosspost``, ``/crosspost help``."""


@dataclass(frozen=True)
class ShareLink:
    """``/crosspost https://x.slack.com/archives/C1/p1700000000123456``."""

    channel: str
    ts: str
    thread_ts: str | None


@dataclass(frozen=True)
class ShareText:
    """``/crosspost some text``."""

    text: str


Request = Help | ShareLink | ShareText


def parse_command(text: str) -> Request:
    """Help for an empty text or ``help``, a link when the text is one message link."""
    stripped = text.strip()
    if stripped.lower() in ("", "help", "-h", "--help", "?"):
        return Help()
    if match := LINK.match(stripped):
        ts = f"{match['sec']}.{match['micro']}"
        thread = THREAD_TS.search(match["query"] or "")
        return ShareLink(match["channel"], ts, thread.group(1) if thread else None)
    return ShareText(stripped)
