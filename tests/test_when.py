"""Reading the time of a scheduled post."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bridge.delivery.when import WhenError, parse_when, resolve, zone

# Wednesday 25 Nov 2026, 08:00 UTC = 09:00 in Paris (CET, UTC+1).
NOW = datetime(2026, 11, 25, 8, 0)
PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("text", "expected_utc", "rest"),
    [
        ("in 2h Launch!", datetime(2026, 11, 25, 10, 0), "Launch!"),
        ("in 30 min hello", datetime(2026, 11, 25, 8, 30), "hello"),
        ("in 1 day x", datetime(2026, 11, 26, 8, 0), "x"),
        ("2026-12-01 09:00 Big news", datetime(2026, 12, 1, 8, 0), "Big news"),
        ("2027-07-01 09:00 summer", datetime(2027, 7, 1, 7, 0), "summer"),  # CEST, UTC+2
        ("tomorrow 9am Stand-up", datetime(2026, 11, 26, 8, 0), "Stand-up"),
        ("Tomorrow at 9:15pm late", datetime(2026, 11, 26, 20, 15), "late"),
        ("today 17:30 evening", datetime(2026, 11, 25, 16, 30), "evening"),
        ("friday 10:00 weekly", datetime(2026, 11, 27, 9, 0), "weekly"),
        ("wednesday 8am next week", datetime(2026, 12, 2, 7, 0), "next week"),
        ("tomorrow 12am midnight", datetime(2026, 11, 25, 23, 0), "midnight"),
    ],
)
def test_phrases_in_the_persons_time_zone(text: str, expected_utc: datetime, rest: str) -> None:
    """Each phrase lands at the right UTC time; the rest is what to post."""
    when, remainder = parse_when(text)
    assert remainder == rest
    assert resolve(when, NOW, PARIS) == expected_utc


def test_relative_time_ignores_the_time_zone() -> None:
    """'in 2h' is two hours from now wherever the person is."""
    when, _ = parse_when("in 2h x")
    assert resolve(when, NOW, ZoneInfo("Asia/Tokyo")) == NOW + timedelta(hours=2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("next week hello", "could not read a time"),
        ("in 3 fortnights x", "unknown unit"),
        ("tomorrow 25:00 x", "is not a time"),
        ("tomorrow 13pm x", "is not a time"),
        ("2026-02-30 10:00 x", "is not a date"),
    ],
)
def test_unreadable_times(text: str, message: str) -> None:
    """What cannot be read is refused with a reason and examples."""
    with pytest.raises(WhenError, match=message):
        parse_when(text)


def test_past_time_is_refused() -> None:
    """A time already gone is refused, not posted at once."""
    when, _ = parse_when("today 8am x")
    with pytest.raises(WhenError, match="in the past"):
        resolve(when, NOW, PARIS)


def test_unknown_zone_falls_back_to_utc() -> None:
    """A missing or unknown tz is UTC."""
    assert zone(None) == ZoneInfo("UTC")
    assert zone("Mars/Olympus") == ZoneInfo("UTC")
    assert zone("Europe/Paris") == PARIS
