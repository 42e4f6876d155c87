"""Parsing what follows /crosspost."""

from __future__ import annotations

import pytest

from bridge.commands import Help, ShareLink, ShareText, parse_command


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
