"""Route editing in the App Home: buttons (block_actions) and the modal (view_submission),
signed requests to the real app against the stand-ins."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender
from bridge_standins.stack import RANDOM, SIGNING_SECRET, TEAM, LocalStack, start_stack

ADMIN = "U0ADMIN01"
BOB = "U0BOB0001"
OTHER = "Q1VS4DkRZ9"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    running = start_stack(tmp_path)
    running.slack.add_user(ADMIN, "Ada", is_owner=True)
    running.slack.add_usergroup("S0EDITORS", "editors", "Editors", users=(BOB,))
    running.amity.add_community(OTHER, "Partner News")
    yield running
    running.stop()


@pytest.fixture
def slack(stack: LocalStack) -> Iterator[SlackSender]:
    with SlackSender(stack.events_url, SIGNING_SECRET) as sender:
        yield sender


def open_home(slack: SlackSender, user: str) -> None:
    event = {
        "type": "event_callback",
        "team_id": TEAM,
        "api_app_id": "A0BRIDGE",
        "event_id": f"Ev{time.time_ns()}",
        "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"},
        "authorizations": [{"team_id": TEAM, "user_id": "UBRIDGEBOT", "is_bot": True}],
    }
    assert slack.post(json.dumps(event).encode(), "application/json").status_code == 200


def press(slack: SlackSender, user: str, action: str, value: str = "") -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "team_id": TEAM},
        "team": {"id": TEAM},
        "trigger_id": f"1.{time.time_ns()}",
        "view": {"type": "home", "id": "V0HOME"},
        "actions": [{"action_id": action, "value": value or action, "type": "button"}],
    }
    assert slack.interaction(payload).status_code == 200


def text(value: str) -> dict[str, Any]:
    return {"v": {"type": "plain_text_input", "value": value}}


def form(**fields: Any) -> dict[str, Any]:
    return {
        "name": text(fields.get("name", "partners")),
        "channels": {
            "v": {"type": "multi_conversations_select", "selected_conversations": [RANDOM]}
        },
        "emoji": text(fields.get("emoji", ":tada:")),
        "community": text(fields.get("community", "Partner News")),
        "who": {"v": {"type": "static_select", "selected_option": {"value": "listed"}}},
        "people": {"v": {"type": "multi_users_select", "selected_users": []}},
        "groups": text(fields.get("groups", "@editors")),
        "approval_emoji": text(""),
        "approval_hours": text(""),
        "options": {"v": {"type": "checkboxes", "selected_options": []}},
    }


def save(slack: SlackSender, user: str, values: dict[str, Any], replacing: str = "") -> Any:
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": user, "team_id": TEAM},
        "view": {
            "id": "V0MODAL",
            "type": "modal",
            "callback_id": "route_form",
            "private_metadata": replacing,
            "state": {"values": values},
        },
    }
    response = slack.interaction(payload)
    assert response.status_code == 200
    return response.json() if response.content else None


def test_admin_adds_a_route_from_the_home_tab(stack: LocalStack, slack: SlackSender) -> None:
    """Home shows the routes with buttons; Add opens the modal; Save adds the route."""
    open_home(slack, ADMIN)
    wait_for(lambda: len(stack.slack.views) == 1)
    home = json.dumps(stack.slack.views[0].view)
    assert "Add a route" in home and "routes file, read-only" in home
    press(slack, ADMIN, "route_add")
    wait_for(lambda: len(stack.slack.views) == 2)
    modal = stack.slack.views[1].view
    assert modal["callback_id"] == "route_form" and stack.slack.views[1].trigger_id
    assert save(slack, ADMIN, form()) is None  # accepted: the modal closes
    wait_for(lambda: len(stack.slack.views) == 3)  # Home published again, with the route
    refreshed = json.dumps(stack.slack.views[2].view)
    assert "*partners*" in refreshed and "route_remove" in refreshed
    assert f"community *Partner News* (`{OTHER}`)" in refreshed
    msg = stack.slack.add_message(RANDOM, {"user": BOB, "text": "from the modal"})
    slack.reaction(user=BOB, reaction="tada", channel=RANDOM, ts=msg["ts"], item_user=BOB)
    wait_for(lambda: len(stack.amity.posts) == 1)
    assert stack.amity.posts[0]["targetId"] == OTHER


def test_modal_field_errors(stack: LocalStack, slack: SlackSender) -> None:
    """Wrong fields come back as errors under them; nothing is saved."""
    assert save(slack, ADMIN, form(community="Nowhere")) == {
        "response_action": "errors",
        "errors": {"community": "No Amity community has the ID or name `Nowhere`"},
    }
    answer = save(slack, ADMIN, form(groups="@nobody"))
    assert answer["errors"] == {"groups": "no user group is called @nobody"}
    answer = save(slack, ADMIN, form(emoji="not an emoji"))
    assert list(answer["errors"]) == ["emoji"]
    clash = save(slack, ADMIN, form(name="announcements"))
    assert "routes file" in clash["errors"]["name"]
    assert stack.bridge.home is not None
    assert [r.name for r in stack.bridge.home.store.stored()] == []


def test_change_and_remove_from_the_home_tab(stack: LocalStack, slack: SlackSender) -> None:
    """Change opens the modal filled in; Remove deletes the route."""
    assert save(slack, ADMIN, form()) is None
    press(slack, ADMIN, "route_edit", "partners")
    wait_for(lambda: any(v.trigger_id for v in stack.slack.views))
    modal = next(v.view for v in stack.slack.views if v.trigger_id)
    assert modal["private_metadata"] == "partners"
    assert json.dumps(modal).count("S0EDITORS") == 1
    assert save(slack, ADMIN, form(name="partner-news", emoji=":star:"), "partners") is None
    assert stack.bridge.home is not None
    assert [r.emoji for r in stack.bridge.home.store.stored()] == ["star"]
    press(slack, ADMIN, "route_remove", "partner-news")
    assert stack.bridge.home.store.stored() == []


def test_non_admin_cannot_edit_from_the_home_tab(stack: LocalStack, slack: SlackSender) -> None:
    """A non-admin's button opens a refusal; their submission is refused too."""
    press(slack, BOB, "route_add")
    wait_for(lambda: len(stack.slack.views) == 1)
    assert "Only Slack workspace admins" in json.dumps(stack.slack.views[0].view)
    answer = save(slack, BOB, form())
    assert "Only Slack workspace admins" in answer["errors"]["name"]
    assert stack.bridge.home is not None
    assert stack.bridge.home.store.stored() == []
