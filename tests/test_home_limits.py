"""The App Home stays inside Slack's view limits whatever the data, every route can be
reached and edited, and private-channel activity is shown only to members and admins.
End to end: signed events and actions, the stand-in Slack refusing invalid views."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender
from bridge_standins.stack import (
    COMMUNITY,
    NEWS,
    ROUTES,
    SIGNING_SECRET,
    TEAM,
    LocalStack,
    start_stack,
)

from bridge.delivery.jobs import NewJob
from bridge.delivery.outbox import JobState
from bridge.delivery.routestore import RouteStore
from bridge.listeners.home import PAGES, PER_PAGE
from bridge.routes import Route
from tests.e2e import job_state

ADMIN = "U0ADMIN01"
ALICE = "U0ALICE01"  # a member of the private channel
BOB = "U0BOB0001"  # not a member
PRIVATE = "G0PRIVATE1"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    opted_in = f"channels: [{NEWS}, {PRIVATE}]\n    allow_private: true"
    running = start_stack(tmp_path, routes=ROUTES.replace(f"channels: [{NEWS}]", opted_in))
    running.slack.add_user(ADMIN, "Ada", is_admin=True)
    running.slack.add_channel(PRIVATE, "leadership", is_private=True)

    def members(params: dict[str, Any]) -> dict[str, Any]:
        found = [ALICE] if params["channel"] == PRIVATE else []
        return {"ok": True, "members": found, "response_metadata": {"next_cursor": ""}}

    running.slack.add_method("conversations.members", members)
    yield running
    running.stop()


@pytest.fixture
def slack(stack: LocalStack) -> Iterator[SlackSender]:
    with SlackSender(stack.events_url, SIGNING_SECRET) as sender:
        yield sender


def store(stack: LocalStack) -> RouteStore:
    assert stack.bridge.home is not None
    return stack.bridge.home.store


def homes(stack: LocalStack, user: str) -> list[dict[str, Any]]:
    return [v.view for v in stack.slack.views if v.user_id == user]


def open_home(stack: LocalStack, slack: SlackSender, user: str) -> dict[str, Any]:
    """Send app_home_opened for ``user``; the Home view Slack accepted for them."""
    before = len(homes(stack, user))
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
    wait_for(lambda: len(homes(stack, user)) > before, message="the Home to be published")
    return homes(stack, user)[-1]


def press(slack: SlackSender, user: str, action: str, value: str) -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "team_id": TEAM},
        "team": {"id": TEAM},
        "trigger_id": f"1.{time.time_ns()}",
        "view": {"type": "home", "id": "V0HOME"},
        "actions": [{"action_id": action, "value": value, "type": "button"}],
    }
    assert slack.interaction(payload).status_code == 200


def buttons(view: dict[str, Any]) -> list[dict[str, Any]]:
    found = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    return found + [b["accessory"] for b in view["blocks"] if "accessory" in b]


def texts(view: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]


def assert_within_limits(view: dict[str, Any]) -> None:
    """What the stand-in checked, asserted again on what was accepted."""
    assert len(view["blocks"]) <= 100
    assert all(len(t) <= 3000 for t in texts(view))


def test_a_failure_naming_ten_long_files_still_shows_the_home(
    stack: LocalStack, slack: SlackSender
) -> None:
    """A failure reason of 10 file names of 300 characters: the Home is published, the
    reason cut with "…", the route editor still there."""
    names = ", ".join(f"{n}-{'x' * 300}.pdf (Amity refused the file)" for n in range(10))
    new = NewJob(
        key=f"{TEAM}:{NEWS}:1.000001:{COMMUNITY}",
        kind="message",
        team_id=TEAM,
        channel_id=NEWS,
        route_name="announcements",
        community_id=COMMUNITY,
        post_id="slack-files",
        requested_by=BOB,
        message_ts="1.000001",
    )
    outbox = stack.bridge.outbox
    job, _ = outbox.enqueue(new, run_at=outbox.clock() + timedelta(days=1))
    outbox.finish(job.id, JobState.failed, error=f"files not posted: {names}")
    view = open_home(stack, slack, ADMIN)
    assert_within_limits(view)
    [failures] = [t for t in texts(view) if t.startswith("*Last failures*")]
    assert "0-xxx" in failures and "…" in failures and "9-xxx" not in failures
    assert any(b["action_id"] == "route_add" for b in buttons(view))


def test_a_route_with_260_people_still_shows_the_home_and_its_form(
    stack: LocalStack, slack: SlackSender
) -> None:
    """260 listed people: the route's text is cut with "…"; Change opens its form."""
    people = [f"U9{n:07d}" for n in range(260)]
    route = Route(name="big", channels=[NEWS], emoji="tada", community=COMMUNITY)
    store(stack).save(route.model_copy(update={"who": "listed", "people": people}), ADMIN)
    view = open_home(stack, slack, ADMIN)
    assert_within_limits(view)
    [big] = [t for t in texts(view) if t.startswith("*big*")]
    assert big.endswith("…") and f"<@{people[0]}>" in big
    press(slack, ADMIN, "route_edit", "big")
    wait_for(lambda: bool(stack.slack.modals))
    modal = stack.slack.modals[-1]
    assert modal["private_metadata"] == "big"
    people_block = next(b for b in modal["blocks"] if b.get("block_id") == "people")
    assert people_block["element"]["initial_users"] == people


def test_45_routes_are_all_reachable_by_page_and_editable(
    stack: LocalStack, slack: SlackSender
) -> None:
    """45 stored routes: Next and Previous page through all of them, 20 at a time, and
    each one's Change button opens its form."""
    names = [f"route-{n:02d}" for n in range(45)]
    for n, name in enumerate(names):
        channel = f"C0R{n:06d}"
        store(stack).save(
            Route(name=name, channels=[channel], emoji="tada", community=COMMUNITY), ADMIN
        )
    view = open_home(stack, slack, ADMIN)
    seen: list[str] = []
    pages = 0
    while True:
        pages += 1
        assert_within_limits(view)
        seen += [b["value"] for b in buttons(view) if b["action_id"] == "route_edit"]
        nexts = [b for b in buttons(view) if b["action_id"] == PAGES[1]]
        if not nexts:
            break
        before = len(homes(stack, ADMIN))
        press(slack, ADMIN, PAGES[1], nexts[0]["value"])
        wait_for(lambda: len(homes(stack, ADMIN)) > before)  # noqa: B023 - waited here
        view = homes(stack, ADMIN)[-1]
    assert pages == 3 and sorted(seen) == names
    assert f"*Routes* ({2 * PER_PAGE + 1}–46 of 46)" in texts(view)  # with the file's route
    previous = next(b for b in buttons(view) if b["action_id"] == PAGES[0])
    press(slack, ADMIN, PAGES[0], previous["value"])
    wait_for(lambda: "*Routes* (21–40 of 46)" in texts(homes(stack, ADMIN)[-1]))
    for name in names:
        press(slack, ADMIN, "route_edit", name)
    wait_for(lambda: len(stack.slack.modals) == len(names))
    assert [m["private_metadata"] for m in stack.slack.modals] == names


def test_private_channel_activity_is_shown_to_members_and_admins_only(
    stack: LocalStack, slack: SlackSender
) -> None:
    """A post and a failure from a private channel: a non-member sees neither (only a
    count); the member and an admin see both, channel, link and reason."""
    stack.amity.blocked_words.add("forbidden")
    good = stack.slack.add_message(PRIVATE, {"user": ALICE, "text": "board notes"})
    bad = stack.slack.add_message(PRIVATE, {"user": ALICE, "text": "forbidden notes"})
    for msg in (good, bad):
        slack.reaction(user=ALICE, reaction="mega", channel=PRIVATE, ts=msg["ts"], item_user=ALICE)
    wait_for(
        lambda: (
            job_state(stack, good["ts"]) is JobState.done
            and job_state(stack, bad["ts"]) is JobState.failed
        )
    )
    post_id = stack.amity.posts[0]["postId"]
    outsider = "\n".join(activity(open_home(stack, slack, BOB)))
    assert PRIVATE not in outsider and post_id not in outsider and "400308" not in outsider
    assert outsider.count("1 more in private channels you are not a member of") == 2
    for user in (ALICE, ADMIN):
        shown = "\n".join(activity(open_home(stack, slack, user)))
        assert f"<#{PRIVATE}>" in shown and post_id in shown and "400308" in shown
        assert "not a member of" not in shown


def activity(view: dict[str, Any]) -> list[str]:
    """The "Last cross-posts" and "Last failures" sections (routes are not activity)."""
    return [t for t in texts(view) if t.startswith(("*Last cross-posts*", "*Last failures*"))]
