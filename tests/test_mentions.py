"""Mention strategies end to end: who becomes a real Amity mention, at which UTF-16 offset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender
from bridge_standins.stack import NEWS, SIGNING_SECRET, LocalStack, start_stack

from bridge.delivery.outbox import JobState
from tests.e2e import job_state

# "🎉 hi @Zoë 🦊 and @Bob Stone 👍": 🎉 and 🦊 are outside the BMP (2 UTF-16 units each).
TEXT = "🎉 hi <@U0ALICE01> and <@U0BOB0001> 👍"
POSTED = "🎉 hi @Zoë 🦊 and @Bob Stone 👍"
ALICE_AT, ALICE_LEN = 6, 6  # "🎉 hi " is 6 units; "Zoë 🦊" is 6 units
BOB_AT, BOB_LEN = 18, 9  # + "@Zoë 🦊" (7) + " and " (5); "Bob Stone"


@pytest.fixture
def start(tmp_path: Path, database_url: str) -> Iterator[Any]:
    stacks: list[LocalStack] = []

    def started(mentions: str = "map") -> LocalStack:
        stack = start_stack(tmp_path, database_url=database_url, BRIDGE_MENTIONS=mentions)
        stacks.append(stack)
        stack.slack.add_user("U0ALICE01", "Zoë 🦊", email="zoe@example.com")
        return stack

    yield started
    for stack in stacks:
        stack.stop()


def post_of(stack: LocalStack, text: str = TEXT) -> dict[str, Any]:
    """React to a message with ``text`` and return the create-post body Amity accepted."""
    msg = stack.slack.add_message(NEWS, {"user": "U0BOB0001", "text": text})
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        response = slack.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
    assert response.status_code == 200
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    [body] = stack.amity.posts
    assert body["data"]["text"] == POSTED
    return body


def mentions(body: dict[str, Any]) -> list[tuple[str, int, int]]:
    return [(m["userId"], m["index"], m["length"]) for m in body["metadata"].get("mentioned", [])]


def notified(body: dict[str, Any]) -> list[str]:
    return [user for group in body.get("mentionees", []) for user in group["userIds"]]


def test_map_uses_the_routes_files_table(start: Any) -> None:
    """map: Alice is in the routes file's users: table, Bob is not and stays plain text."""
    body = post_of(start())
    assert mentions(body) == [("alice-amity", ALICE_AT, ALICE_LEN)]
    assert notified(body) == ["alice-amity"]


def test_email_uses_the_slack_email(start: Any) -> None:
    """email: Alice's Slack email is her Amity ID; Bob has no email and is not notified."""
    stack = start("email")
    body = post_of(stack)
    assert mentions(body) == [("zoe@example.com", ALICE_AT, ALICE_LEN)]
    assert notified(body) == ["zoe@example.com"]
    looked_up = [call.params.get("user") for call in stack.slack.calls_to("users.info")]
    mentioned = sorted(u for u in looked_up if u in {"U0ALICE01", "U0BOB0001"})
    assert mentioned == ["U0ALICE01", "U0BOB0001"]  # name and email in one call each


def test_email_without_the_scope_notifies_nobody(start: Any) -> None:
    """email, but Slack gives no email without users:read.email: every mention is text."""
    stack = start("email")
    stack.slack.scopes.remove("users:read.email")
    body = post_of(stack)
    assert mentions(body) == []
    assert "mentionees" not in body


def test_slack_id_maps_everyone(start: Any) -> None:
    """slack_id: each mentioned Slack user ID is the Amity user ID."""
    body = post_of(start("slack_id"))
    assert mentions(body) == [("U0ALICE01", ALICE_AT, ALICE_LEN), ("U0BOB0001", BOB_AT, BOB_LEN)]
    assert notified(body) == ["U0ALICE01", "U0BOB0001"]


def test_none_notifies_nobody(start: Any) -> None:
    """none: even people in the users: table stay plain text."""
    body = post_of(start("none"))
    assert mentions(body) == []
    assert "mentionees" not in body


def test_offsets_point_at_the_names(start: Any) -> None:
    """The offsets, read as JavaScript reads a string (UTF-16), land on '@' + the name."""
    body = post_of(start("slack_id"))
    units = body["data"]["text"].encode("utf-16-le")
    seen = [
        units[2 * index : 2 * (index + 1 + length)].decode("utf-16-le")
        for _, index, length in mentions(body)
    ]
    assert seen == ["@Zoë 🦊", "@Bob Stone"]
