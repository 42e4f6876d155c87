"""Parsing what follows /crosspost."""

from __future__ import annotations

import pytest

from bridge.listeners.commands import (
    Cancel,
    Help,
    Invalid,
    ListScheduled,
    Schedule,
    ShareLink,
    ShareText,
    parse_command,
)


@pytest.mark.parametrize("text", ["", "  ", "help", "HELP", "--help"])
def test_help(text: str) -> None:
    """Empty text and help ask for the usage."""
    assert parse_command(text) == Help()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "https://acme.slack.com/archives/C0123ABCD/p1700000000123456",
            ShareLink("C0123ABCD", "1700000000.123456", None),
        ),
        (
            "<https://acme.slack.com/archives/C0123ABCD/p1700000000123456>",
            ShareLink("C0123ABCD", "1700000000.123456", None),
        ),
        (
            "https://acme.slack.com/archives/C0123ABCD/p1700000001000200"
            "?thread_ts=1700000000.000100&cid=C0123ABCD",
            ShareLink("C0123ABCD", "1700000001.000200", "1700000000.000100"),
        ),
        (
            "<https://acme.enterprise.slack.com/archives/G0PRIV/p1700000000123456"
            "?cid=G0PRIV&thread_ts=1699999999.000001|link>",
            ShareLink("G0PRIV", "1700000000.123456", "1699999999.000001"),
        ),
    ],
)
def test_message_links(text: str, expected: ShareLink) -> None:
    """A permalink (escaped or not, with or without thread_ts) names one message."""
    assert parse_command(text) == expected


def test_text_with_a_link_inside_is_text() -> None:
    """Text that merely contains a link is posted as text."""
    text = "read https://acme.slack.com/archives/C0123ABCD/p1700000000123456 please"
    assert parse_command(text) == ShareText(text)


def test_schedule_with_text_and_link() -> None:
    """schedule <when> <text|link> keeps the phrase and what to post."""
    request = parse_command("schedule tomorrow 9am Doors open at 10")
    assert isinstance(request, Schedule)
    assert request.when.phrase == "tomorrow 9am"
    assert request.what == ShareText("Doors open at 10")
    link = parse_command(
        "schedule in 2h https://acme.slack.com/archives/C0123ABCD/p1700000000123456"
    )
    assert isinstance(link, Schedule)
    assert link.what == ShareLink("C0123ABCD", "1700000000.123456", None)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("schedule whenever hello", "could not read a time"),
        ("schedule in 2h", "say what to post"),
        ("cancel", "say which scheduled post"),
        ("cancel abc", "say which scheduled post"),
    ],
)
def test_invalid_requests_say_why(text: str, reason: str) -> None:
    """Unreadable schedule/cancel requests come back with the reason."""
    request = parse_command(text)
    assert isinstance(request, Invalid) and reason in request.reason


def test_scheduled_and_cancel() -> None:
    """scheduled lists, cancel takes a job number (with or without #)."""
    assert parse_command("scheduled") == ListScheduled()
    assert parse_command("cancel #12") == Cancel(12)
    assert parse_command("scheduled posts are great") == ShareText("scheduled posts are great")
