"""When a scheduled post should go out: ``/crosspost schedule <when> <what>``.

Understood, case-insensitively, at the start of the command's text:
``2026-12-01 09:00``, ``today 17:30``, ``tomorrow 9am``, ``monday at 9:15pm``,
``in 2h`` / ``in 30 min`` / ``in 1 day``. Clock times are read in the person's Slack
time zone; ``parse_when`` needs no time zone, ``resolve`` applies it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bridge.failures import Permanent

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
UNITS = {
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
}
CLOCK = r"(?:at\s+)?(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<ampm>am|pm)?"
RELATIVE = re.compile(r"in\s+(?P<n>\d{1,4})\s*(?P<unit>[a-z]+)(?=\s|$)", re.I)
ABSOLUTE = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2})(?:[ T]|\s+at\s+)" + CLOCK + r"(?=\s|$)", re.I)
NAMED = re.compile(
    r"(?P<day>today|tomorrow|" + "|".join(DAYS) + r")\s+" + CLOCK + r"(?=\s|$)", re.I
)
USAGE = (
    "say when like `2026-12-01 09:00`, `tomorrow 9am`, `monday 14:30` or `in 2h`, "
    "then the text or message link"
)


MAX_AHEAD = timedelta(days=365)  # a post is scheduled at most a year ahead
GRACE = timedelta(minutes=5)  # a time gone by less than this posts at once (typed late)
ZONES = timedelta(hours=14)  # how far any time zone's clock is from UTC, at most
TOO_FAR = "is more than a year ahead: schedule at most 365 days ahead"
PAST = "is in the past: say a time to come, e.g. `tomorrow 9am` or `in 2h`"


class WhenError(Permanent, ValueError):
    """The time could not be understood or lies in the past; the message says why."""


@dataclass(frozen=True)
class When:
    """A parsed time: ``delay`` (relative) or a day (date or name) and a clock time."""

    phrase: str
    delay: timedelta | None = None
    day: date | str | None = None
    at: time | None = None


def _clock(match: re.Match[str]) -> time:
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            raise WhenError(f"{hour}{match['ampm']} is not a time")
        hour = hour % 12 + (12 if match["ampm"].lower() == "pm" else 0)
    if hour > 23 or minute > 59:
        raise WhenError(f"{match.group(0).strip()} is not a time")
    return time(hour, minute)


def parse_when(text: str) -> tuple[When, str]:
    """The leading time phrase of ``text`` and the rest; WhenError when there is none."""
    text = text.strip()
    if match := RELATIVE.match(text):
        unit = UNITS.get(match["unit"].lower())
        if unit is None:
            raise WhenError(f"unknown unit '{match['unit']}': use min, h or days")
        when = When(match.group(0), delay=timedelta(seconds=int(match["n"]) * unit))
    elif match := ABSOLUTE.match(text):
        try:
            day = date.fromisoformat(match["date"])
        except ValueError:
            raise WhenError(f"{match['date']} is not a date") from None
        when = When(match.group(0), day=day, at=_clock(match))
    elif match := NAMED.match(text):
        when = When(match.group(0), day=match["day"].lower(), at=_clock(match))
    else:
        raise WhenError(f"I could not read a time at the start of '{text[:40]}': {USAGE}")
    return when, text[match.end() :].strip()


def zone(name: str | None) -> ZoneInfo:
    """The person's time zone, UTC when Slack gave none or an unknown one."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def resolve(when: When, now: datetime, tz: ZoneInfo) -> datetime:
    """The UTC time (naive, like the store) for ``when``, seen from ``now`` (naive UTC)."""
    if when.delay is not None:
        return _in_range(when, now + when.delay, now)
    assert when.at is not None
    local_now = now.replace(tzinfo=UTC).astimezone(tz)
    if isinstance(when.day, date):
        day = when.day
    elif when.day == "today":
        day = local_now.date()
    elif when.day == "tomorrow":
        day = local_now.date() + timedelta(days=1)
    else:
        ahead = (DAYS.index(str(when.day)) - local_now.weekday()) % 7
        day = local_now.date() + timedelta(days=ahead)
        if ahead == 0 and when.at <= local_now.time():
            day += timedelta(days=7)
    try:
        target = datetime.combine(day, when.at, tzinfo=tz).astimezone(UTC).replace(tzinfo=None)
    except (OverflowError, ValueError):  # beyond year 1 or 9999 once in UTC
        raise WhenError(f"{when.phrase} {PAST if day.year < 2 else TOO_FAR}") from None
    return _in_range(when, target, now)


def _in_range(when: When, target: datetime, now: datetime) -> datetime:
    if target < now - GRACE:
        raise WhenError(f"{when.phrase} {PAST}")
    if target > now + MAX_AHEAD:
        raise WhenError(f"{when.phrase} {TOO_FAR}")
    return max(target, now)


def check_range(when: When, now: datetime) -> None:
    """Refuse at once, before the person's time zone is known, a time that is more than
    a year ahead or long gone in every time zone (``now``: naive UTC)."""
    if when.delay is not None:
        if when.delay > MAX_AHEAD:
            raise WhenError(f"{when.phrase} {TOO_FAR}")
        return
    if isinstance(when.day, date) and when.at is not None:
        local = datetime.combine(when.day, when.at)  # naive: the same clock in any zone
        if local < now - GRACE - ZONES:
            raise WhenError(f"{when.phrase} {PAST}")
        if local > now + MAX_AHEAD + ZONES:
            raise WhenError(f"{when.phrase} {TOO_FAR}")
