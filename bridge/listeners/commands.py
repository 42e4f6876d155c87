"""What ``/crosspost`` was asked to do, parsed from the command's text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from bridge.delivery.when import When, WhenError, check_range, parse_when

USAGE = """*Share Slack messages with your community*
• `/crosspost <text>`: post the text to this channel's community
• `/crosspost <message link>`: post an existing message (More actions › Copy link)
• React with a route's emoji (for example :mega:) on any message in a routed channel
• `/crosspost schedule <when> <text or message link>`: post later, e.g. `tomorrow 9am`,
  `2026-12-01 09:00`, `monday 14:30`, `in 2h` (your Slack time zone, at most a year ahead)
• `/crosspost scheduled`: your posts waiting to go out; `/crosspost cancel <id>` cancels one
• `/crosspost routes`, `/crosspost route add|remove ...`: the routes (admins change them)
• `/crosspost help`: this text
The link to the post comes back in Slack when it is published."""

LINK = re.compile(
    r"^<?(?P<url>https://[A-Za-z0-9.-]+/archives/(?P<channel>[CGD][A-Z0-9]+)/"
    r"p(?P<sec>\d{10})(?P<micro>\d{6})(?P<query>\?[^\s|>]*)?)(?:\|[^>]*)?>?$"
)
MAX_JOB_ID = 2**31 - 1  # job numbers are PostgreSQL INTEGERs: none is larger
SEE_LIST = "`/crosspost scheduled` lists yours"
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


@dataclass(frozen=True)
class Schedule:
    """``/crosspost schedule <when> <text or link>``."""

    when: When
    what: ShareLink | ShareText


@dataclass(frozen=True)
class ListScheduled:
    """``/crosspost scheduled``."""


@dataclass(frozen=True)
class Cancel:
    """``/crosspost cancel <id>``."""

    job_id: int


@dataclass(frozen=True)
class Invalid:
    """Something the bridge could not understand; ``reason`` says what to type instead."""

    reason: str


@dataclass(frozen=True)
class Routes:
    """``/crosspost routes``, ``/crosspost route add ...``, ``/crosspost route remove <name>``."""

    action: str  # "list", "add", "remove" or "help"
    rest: str = ""


Request = Help | ShareLink | ShareText | Schedule | ListScheduled | Cancel | Routes | Invalid


def parse_command(text: str, now: datetime | None = None) -> Request:
    """What ``/crosspost <text>`` asks for (a schedule is checked against ``now``, naive
    UTC, by default the current time)."""
    stripped = text.strip()
    word, _, rest = stripped.partition(" ")
    word = word.lower()
    if word in ("", "help", "-h", "--help", "?"):
        return Help()
    if word == "scheduled" and not rest:
        return ListScheduled()
    if word == "routes" and not rest:
        return Routes("list")
    if word == "route":
        action, _, args = rest.strip().partition(" ")
        action = action.lower()
        return Routes(action if action in ("add", "remove", "list") else "help", args.strip())
    if word == "cancel":
        number = rest.strip().lstrip("#")
        if number.isascii() and number.isdigit() and int(number) > MAX_JOB_ID:
            return Invalid(f"there is no scheduled post #{number[:24]}: {SEE_LIST}")
        return (
            Cancel(int(number))
            if number.isascii() and number.isdigit()
            else Invalid(
                "say which scheduled post to cancel, e.g. `/crosspost cancel 12` "
                "(`/crosspost scheduled` lists them)"
            )
        )
    if word == "schedule":
        try:
            when, what = parse_when(rest)
            check_range(when, now or datetime.now(UTC).replace(tzinfo=None))
        except WhenError as error:
            return Invalid(str(error))
        if not what:
            return Invalid("say what to post after the time: some text or a message link")
        return Schedule(when, to_share(what))
    return to_share(stripped)


def to_share(text: str) -> ShareLink | ShareText:
    """A message link when ``text`` is one, else text to post."""
    if match := LINK.match(text):
        ts = f"{match['sec']}.{match['micro']}"
        thread = THREAD_TS.search(match["query"] or "")
        return ShareLink(match["channel"], ts, thread.group(1) if thread else None)
    return ShareText(text)
