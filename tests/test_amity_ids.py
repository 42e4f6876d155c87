"""Amity IDs are checked where routes come in (command, file, App Home) and quoted as one
path segment in every URL the Amity client builds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bridge_standins.amity import FakeAmity
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender
from bridge_standins.stack import NEWS, RANDOM, SIGNING_SECRET, TEAM, LocalStack, start_stack

from bridge.amity.client import AmityClient, AmityRejected
from bridge.amity.ratelimit import SlidingWindow
from bridge.ids import check_amity_id, is_amity_id, path_segment
from bridge.routes import ConfigError, load_routes

ADMIN = "U0ADMIN01"
EVIL = "../../v4/posts/xyz"
TOKEN = "amity-admin-token"


@pytest.mark.parametrize(
    "value",
    ["64be1f6cb9b4106b5a6bbf3f", "slack-" + "a" * 40, "alice@example.com", "a.b:c_d-e+f", "U0A"],
)
def test_ids_amity_and_the_bridge_use_are_accepted(value: str) -> None:
    """Amity's hex IDs, the bridge's post IDs, Slack IDs and emails pass the rule."""
    assert is_amity_id(value) and check_amity_id(value) == value


@pytest.mark.parametrize("value", [EVIL, "..", "a..b", "", "a/b", "a b", "a?b", "x" * 129, "é"])
def test_ids_that_could_leave_their_path_are_refused(value: str) -> None:
    """Slashes, dot segments, spaces, query characters, over 128: not an ID."""
    assert not is_amity_id(value)
    with pytest.raises(ValueError, match="is not an Amity ID"):
        check_amity_id(value)


def test_path_segment_quotes_everything_and_refuses_dot_segments() -> None:
    """Quoting keeps any ID in one segment; '.' and '..' cannot be quoted safe."""
    assert path_segment(EVIL) == "..%2F..%2Fv4%2Fposts%2Fxyz"
    assert path_segment("a b?c#d") == "a%20b%3Fc%23d"
    for bad in ("", ".", "..", "x" * 901):
        with pytest.raises(ValueError, match="not an Amity ID"):
            path_segment(bad)


def test_routes_file_with_a_path_as_community_is_refused(tmp_path: Path) -> None:
    """The routes file names the bad community ID and the rule."""
    path = tmp_path / "bridge.yml"
    path.write_text(
        f"routes:\n  - name: x\n    channels: [{NEWS}]\n    emoji: mega\n    community: {EVIL}\n"
    )
    with pytest.raises(ConfigError) as refused:
        load_routes(path)
    assert "community" in str(refused.value) and "is not an Amity ID" in str(refused.value)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    running = start_stack(tmp_path)
    running.slack.add_user(ADMIN, "Ada", is_admin=True)
    yield running
    running.stop()


def test_route_add_with_a_path_as_community_is_refused(stack: LocalStack) -> None:
    """``/crosspost route add`` with ``../../v4/posts/xyz``: a clear refusal, no route, and
    Amity is never asked for that path."""
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        slack.command(
            f"route add <#{RANDOM}> :tada: {EVIL}",
            channel_id=NEWS,
            user_id=ADMIN,
            response_url=stack.slack.response_url("r"),
        )
    wait_for(lambda: len(stack.slack.responses) == 1)
    answer = str(stack.slack.responses[0].body["text"])
    assert f"`{EVIL}` is not an Amity community ID" in answer
    assert "letters, digits" in answer
    assert stack.bridge.home is not None
    assert [r.name for r in stack.bridge.home.store.current().routes] == ["announcements"]
    assert not any(r.path.startswith("/api/v4/posts") for r in stack.amity.requests)


def test_a_stored_bad_id_reaches_amity_quoted_never_as_another_path() -> None:
    """Even an ID that slipped through is one quoted segment in every URL built."""
    with FakeAmity(token=TOKEN) as amity:
        client = AmityClient.create(amity.url, TOKEN, limiter=SlidingWindow(100, 1.0))
        try:
            assert client.get_community(EVIL) is None
            assert client.delete_post(EVIL) is False
            with pytest.raises(AmityRejected):
                client.update_post(EVIL, {"data": {"text": "x"}})
            assert client.user_exists(EVIL) is False
            with pytest.raises(AmityRejected, match="check the route's community ID"):
                client.get_community("..")
        finally:
            client.close()
        paths = [r.path for r in amity.requests]
    quoted = "..%2F..%2Fv4%2Fposts%2Fxyz"
    assert paths == [
        f"/api/v3/communities/{quoted}",
        f"/api/v4/posts/{quoted}",
        f"/api/v4/posts/{quoted}",
        f"/api/v3/users/{quoted}",
    ]
    assert all("/api/v4/posts/xyz" not in p for p in paths)


def test_route_form_with_a_path_as_community_shows_the_rule(stack: LocalStack) -> None:
    """The App Home's route form: the error sits under the community field."""

    def text(value: str) -> dict[str, Any]:
        return {"v": {"type": "plain_text_input", "value": value}}

    values = {
        "name": text("evil"),
        "channels": {
            "v": {"type": "multi_conversations_select", "selected_conversations": [RANDOM]}
        },
        "emoji": text(":tada:"),
        "community": text(EVIL),
        "who": {"v": {"type": "static_select", "selected_option": {"value": "anyone"}}},
        "people": {"v": {"type": "multi_users_select", "selected_users": []}},
        "groups": text(""),
        "approval_emoji": text(""),
        "approval_hours": text(""),
        "options": {"v": {"type": "checkboxes", "selected_options": []}},
    }
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": ADMIN, "team_id": TEAM},
        "view": {
            "id": "V0MODAL",
            "type": "modal",
            "callback_id": "route_form",
            "private_metadata": "",
            "state": {"values": values},
        },
    }
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        answer = slack.interaction(payload)
    assert answer.status_code == 200
    error = answer.json()["errors"]["community"]
    assert error.startswith(f"`{EVIL}` is not an Amity community ID") and "letters" in error
    assert not any(r.path.startswith("/api/v4/posts") for r in stack.amity.requests)
