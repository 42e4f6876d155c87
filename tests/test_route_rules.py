"""Routes managed from Slack, who may change them, who may publish, privacy, approvals:
end to end, signed requests to the real app against the stand-ins."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender
from bridge_standins.slack_changes import view_submission_form
from bridge_standins.stack import NEWS, RANDOM, SIGNING_SECRET, TEAM, LocalStack, start_stack

from tests.e2e import MovableClock, find_job

ADMIN = "U0ADMIN01"  # a workspace admin
ALICE = "U0ALICE01"
BOB = "U0BOB0001"
CAROL = "U0CAROL01"  # listed in BRIDGE_ADMINS
PRIVATE = "G0PRIVATE1"
SHARED = "C0SHARED1"  # a Slack Connect channel
EDITORS = "S0EDITORS"
FORM = "application/x-www-form-urlencoded"
OTHER = "Q1VS4DkRZ9"  # a second community, found by name


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def stack(tmp_path: Path, clock: MovableClock) -> Iterator[LocalStack]:
    running = start_stack(tmp_path, clock=clock, BRIDGE_ADMINS=CAROL)
    running.slack.add_user(ADMIN, "Ada", is_admin=True)
    running.slack.add_user(CAROL, "Carol")
    running.slack.add_user("U0OUTSIDE", "Olga", team_id="T0OTHERORG")
    running.slack.add_channel(PRIVATE, "leadership", is_private=True)
    running.slack.add_channel(SHARED, "with-partner", is_ext_shared=True)
    running.slack.add_usergroup(EDITORS, "editors", "Editors", users=(ALICE,))
    running.amity.add_community(OTHER, "Partner News")
    yield running
    running.stop()


@pytest.fixture
def slack(stack: LocalStack) -> Iterator[SlackSender]:
    with SlackSender(stack.events_url, SIGNING_SECRET) as sender:
        yield sender


def command(stack: LocalStack, slack: SlackSender, text: str, user: str = ADMIN) -> str:
    """Run ``/crosspost <text>`` and return the answer that comes back by response_url."""
    before = len(stack.slack.responses)
    response = slack.command(
        text, channel_id=NEWS, user_id=user, response_url=stack.slack.response_url("r")
    )
    assert response.status_code == 200
    wait_for(lambda: len(stack.slack.responses) > before)
    return str(stack.slack.responses[before].body["text"])


def add(stack: LocalStack, slack: SlackSender, text: str) -> None:
    answer = command(stack, slack, "route add " + text)
    assert answer.startswith("Added route"), answer


def react(slack: SlackSender, ts: str, user: str, emoji: str, channel: str, author: str) -> None:
    response = slack.reaction(user=user, reaction=emoji, channel=channel, ts=ts, item_user=author)
    assert response.status_code == 200


def ephemeral_to(stack: LocalStack, user: str) -> str:
    wait_for(lambda: any(e.user == user for e in stack.slack.ephemerals))
    return next(e.text for e in stack.slack.ephemerals if e.user == user)


def test_admin_adds_lists_and_removes_a_route(stack: LocalStack, slack: SlackSender) -> None:
    """An admin's route works at once by emoji; removed, the emoji does nothing."""
    answer = command(stack, slack, f"route add <#{RANDOM}|random> :tada: Partner News")
    assert "Added route *partner-news*" in answer and f"`{OTHER}`" in answer
    listing = command(stack, slack, "routes", user=BOB)
    assert "*partner-news*: :tada: → community *Partner News*" in listing
    assert "*announcements* _(routes file, read-only)_: :mega: → community *Announcements*" in (
        listing
    )
    msg = stack.slack.add_message(RANDOM, {"user": ALICE, "text": "hello partners"})
    react(slack, msg["ts"], BOB, "tada", RANDOM, ALICE)
    wait_for(lambda: len(stack.amity.posts) == 1)
    assert stack.amity.posts[0]["targetId"] == OTHER
    assert command(stack, slack, "route remove partner-news") == "Removed route *partner-news*."
    later = stack.slack.add_message(RANDOM, {"user": ALICE, "text": "not anymore"})
    react(slack, later["ts"], BOB, "tada", RANDOM, ALICE)  # answered after intake decided
    assert find_job(stack, later["ts"]) is None


def test_non_admin_is_refused_and_nothing_changes(stack: LocalStack, slack: SlackSender) -> None:
    """Someone who is neither a workspace admin nor in BRIDGE_ADMINS cannot change routes."""
    answer = command(stack, slack, f"route add <#{RANDOM}|random> :tada: {OTHER}", user=BOB)
    assert "Only Slack workspace admins and owners" in answer
    assert "BRIDGE_ADMINS" in answer
    assert "partner" not in command(stack, slack, "routes", user=BOB)
    refused = command(stack, slack, "route remove announcements", user=BOB)
    assert "Only Slack workspace admins" in refused


def test_bridge_admins_may_change_routes_but_not_the_file(
    stack: LocalStack, slack: SlackSender
) -> None:
    """BRIDGE_ADMINS counts as admin; the routes file's routes stay read-only."""
    add_answer = command(stack, slack, f"route add <#{RANDOM}> :tada: {OTHER}", user=CAROL)
    assert add_answer.startswith("Added route")
    refused = command(stack, slack, "route remove announcements", user=CAROL)
    assert "comes from the routes file" in refused


def test_route_shows_what_check_shows_of_its_community(
    stack: LocalStack, slack: SlackSender
) -> None:
    """Adding and listing say when only admins may post or posts wait for a moderator."""
    stack.amity.add_community("c-mod", "Moderated", only_admin_can_post=True, need_approval=True)
    answer = command(stack, slack, f"route add <#{RANDOM}> :tada: Moderated")
    assert "only its admins may post" in answer and "wait for a moderator" in answer
    assert "wait for a moderator" in command(stack, slack, "routes")


def test_unknown_community_and_clashing_emoji_are_explained(
    stack: LocalStack, slack: SlackSender
) -> None:
    """A community that does not exist, or an emoji already used in the channel."""
    assert "no Amity community" in command(stack, slack, f"route add <#{RANDOM}> :x: Nowhere")
    clash = command(stack, slack, f"route add <#{NEWS}> :mega: {OTHER} name=again")
    assert ":mega:" in clash and "another emoji" in clash


def test_private_channel_refused_then_allowed_by_opt_in(
    stack: LocalStack, slack: SlackSender
) -> None:
    """A private channel's message is refused privately; with allow-private it is posted."""
    add(stack, slack, f"<#{PRIVATE}> :lock: {OTHER} name=board")
    msg = stack.slack.add_message(PRIVATE, {"user": ALICE, "text": "board notes"})
    react(slack, msg["ts"], ALICE, "lock", PRIVATE, ALICE)
    refusal = ephemeral_to(stack, ALICE)
    assert "does not publish from private channels" in refusal and "allow_private" in refusal
    command(stack, slack, "route remove board")
    add(stack, slack, f"<#{PRIVATE}> :lock: {OTHER} name=board allow-private")
    react(slack, msg["ts"], ALICE, "lock", PRIVATE, ALICE)
    wait_for(lambda: len(stack.amity.posts) == 1)
    assert stack.amity.posts[0]["data"]["text"] == "board notes"


def test_slack_connect_channel_and_outside_author_need_opt_in(
    stack: LocalStack, slack: SlackSender
) -> None:
    """A shared channel, and a message written by someone of another organisation."""
    add(stack, slack, f"everywhere :handshake: {OTHER} name=partners")
    shared = stack.slack.add_message(SHARED, {"user": ALICE, "text": "shared"})
    react(slack, shared["ts"], ALICE, "handshake", SHARED, ALICE)
    assert "shared with other organisations" in ephemeral_to(stack, ALICE)
    theirs = stack.slack.add_message(RANDOM, {"user": "U0OUTSIDE", "text": "theirs"})
    react(slack, theirs["ts"], BOB, "handshake", RANDOM, "U0OUTSIDE")
    assert "outside this workspace" in ephemeral_to(stack, BOB)
    assert stack.amity.posts == []


def test_workspace_wide_route_works_in_any_channel(stack: LocalStack, slack: SlackSender) -> None:
    """A route with `everywhere`: its emoji publishes from a channel it does not name."""
    add(stack, slack, f"everywhere :star: {OTHER}")
    msg = stack.slack.add_message(RANDOM, {"user": ALICE, "text": "starred"})
    react(slack, msg["ts"], BOB, "star", RANDOM, ALICE)
    wait_for(lambda: len(stack.amity.posts) == 1)


def test_user_group_members_may_publish(stack: LocalStack, slack: SlackSender) -> None:
    """Only members of the listed user group; others are told who can."""
    add(stack, slack, f"<#{RANDOM}> :tada: {OTHER} <!subteam^{EDITORS}|@editors>")
    msg = stack.slack.add_message(RANDOM, {"user": BOB, "text": "editor pick"})
    react(slack, msg["ts"], BOB, "tada", RANDOM, BOB)
    refusal = ephemeral_to(stack, BOB)
    assert f"<!subteam^{EDITORS}>" in refusal and "may publish" in refusal
    react(slack, msg["ts"], ALICE, "tada", RANDOM, BOB)
    wait_for(lambda: len(stack.amity.posts) == 1)
    assert [c.params["usergroup"] for c in stack.slack.calls_to("usergroups.users.list")] == [
        EDITORS
    ]  # the second check used the cached members


def test_author_only(stack: LocalStack, slack: SlackSender) -> None:
    """Only the message's author may publish it."""
    add(stack, slack, f"<#{RANDOM}> :tada: {OTHER} who=author")
    msg = stack.slack.add_message(RANDOM, {"user": ALICE, "text": "mine"})
    react(slack, msg["ts"], BOB, "tada", RANDOM, ALICE)
    assert "only the message's author" in ephemeral_to(stack, BOB)
    react(slack, msg["ts"], ALICE, "tada", RANDOM, ALICE)
    wait_for(lambda: len(stack.amity.posts) == 1)


def request_approval(stack: LocalStack, slack: SlackSender) -> str:
    add(stack, slack, f"<#{RANDOM}> :tada: {OTHER} who=approval <@{ADMIN}|ada> expires=2h")
    msg = stack.slack.add_message(RANDOM, {"user": BOB, "text": "please publish"})
    react(slack, msg["ts"], BOB, "tada", RANDOM, BOB)
    wait_for(lambda: any(p.thread_ts == msg["ts"] for p in stack.slack.posted))
    [request] = [p for p in stack.slack.posted if p.thread_ts == msg["ts"]]
    assert "asks to publish" in request.text and f"<@{ADMIN}>" in request.text
    assert "needs an approver" in ephemeral_to(stack, BOB)
    return str(msg["ts"])


def approval_id(stack: LocalStack, ts: str) -> str:
    [request] = [p for p in stack.slack.posted if p.thread_ts == ts and p.blocks]
    return str(request.blocks[1]["elements"][0]["value"])


def press(slack: SlackSender, action: str, value: str, user: str) -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "team_id": "T0FAKE"},
        "team": {"id": "T0FAKE"},
        "channel": {"id": RANDOM},
        "trigger_id": "1.2.3",
        "actions": [{"action_id": action, "value": value, "type": "button"}],
    }
    assert slack.interaction(payload).status_code == 200


def test_approval_by_emoji(stack: LocalStack, slack: SlackSender) -> None:
    """The post waits for the approver's emoji; someone else's emoji does not count."""
    ts = request_approval(stack, slack)
    react(slack, ts, CAROL, "heavy_check_mark", RANDOM, BOB)
    assert "may approve" in ephemeral_to(stack, CAROL)
    assert stack.amity.posts == []
    react(slack, ts, ADMIN, "heavy_check_mark", RANDOM, BOB)
    wait_for(lambda: len(stack.amity.posts) == 1)
    assert any("Approved by" in p.text for p in stack.slack.posted)


def test_approval_by_button_and_refusal(stack: LocalStack, slack: SlackSender) -> None:
    """A non-approver's Approve is refused privately; the approver's Refuse ends it."""
    ts = request_approval(stack, slack)
    value = approval_id(stack, ts)
    press(slack, "approval_approve", value, CAROL)
    assert "may approve" in ephemeral_to(stack, CAROL)
    press(slack, "approval_refuse", value, ADMIN)
    wait_for(lambda: any("Refused by" in p.text for p in stack.slack.posted))
    press(slack, "approval_approve", value, ADMIN)
    assert "already answered" in ephemeral_to(stack, ADMIN)
    assert stack.amity.posts == []


def test_approval_expires(stack: LocalStack, slack: SlackSender, clock: MovableClock) -> None:
    """Past its time the request expires, says so in the thread, and approving does nothing."""
    ts = request_approval(stack, slack)
    clock.advance(timedelta(hours=2, minutes=1))
    wait_for(lambda: any("expired" in p.text for p in stack.slack.posted))
    press(slack, "approval_approve", approval_id(stack, ts), ADMIN)
    assert "already answered, or it expired" in ephemeral_to(stack, ADMIN)
    assert stack.amity.posts == []


def test_command_from_a_private_channel_is_refused_in_its_answer(
    stack: LocalStack, slack: SlackSender
) -> None:
    """`/crosspost <text>` in a private channel without the opt-in: the answer says why."""
    add(stack, slack, f"<#{PRIVATE}> :lock: {OTHER} name=board")
    response = slack.command(
        "quarterly plan",
        channel_id=PRIVATE,
        user_id=ALICE,
        response_url=stack.slack.response_url("p"),
    )
    assert "does not publish from private channels" in response.json()["text"]
    assert stack.amity.posts == []


def test_slack_unavailable_during_the_check_asks_to_try_again(
    stack: LocalStack, slack: SlackSender
) -> None:
    """When Slack cannot say what a channel is, nothing is published and the person is told."""
    add(stack, slack, f"<#{RANDOM}> :tada: {OTHER}")
    stack.slack.fail_next("conversations.info", "internal_error", status=500, times=3)
    msg = stack.slack.add_message(RANDOM, {"user": ALICE, "text": "later"})
    react(slack, msg["ts"], ALICE, "tada", RANDOM, ALICE)
    assert "try again in a minute" in ephemeral_to(stack, ALICE)
    assert find_job(stack, msg["ts"]) is None


def test_shortcut_by_someone_not_listed_is_refused_privately(
    stack: LocalStack, slack: SlackSender
) -> None:
    """The message shortcut follows the same rules; the refusal goes to its response_url."""
    add(stack, slack, f"<#{RANDOM}> :tada: {OTHER} <@{ALICE}|alice>")
    msg = stack.slack.add_message(RANDOM, {"user": BOB, "text": "shortcut"})
    before = len(stack.slack.responses)
    url = stack.slack.response_url("s")
    assert slack.shortcut(channel=RANDOM, user=BOB, message=msg, response_url=url).is_success
    wait_for(lambda: len(stack.slack.responses) > before)
    assert f"only <@{ALICE}> may publish" in stack.slack.responses[before].body["text"]
    assert not stack.slack.modals  # Bob was never shown the preview
    assert slack.shortcut(channel=RANDOM, user=ALICE, message=msg, response_url=url).is_success
    wait_for(lambda: bool(stack.slack.modals))
    [view] = stack.slack.modals
    [route] = [
        option["value"]
        for block in view["blocks"]
        if block.get("block_id") == "community"
        for option in block["element"]["options"]
    ]
    state: dict[str, dict[str, Any]] = {
        "community": {"route": {"selected_option": {"value": route}}},
        "text": {"text": {"value": "shortcut"}},
    }
    form = view_submission_form(TEAM, ALICE, view, state)
    assert slack.post(form, "application/x-www-form-urlencoded").status_code == 200
    wait_for(lambda: len(stack.amity.posts) == 1)


def test_message_link_on_an_approval_route_opens_a_request(
    stack: LocalStack, slack: SlackSender
) -> None:
    """`/crosspost <link>` on an approval route asks in the linked message's thread."""
    add(stack, slack, f"<#{NEWS}> <#{RANDOM}> :tada: {OTHER} who=approval <@{ADMIN}|ada>")
    msg = stack.slack.add_message(RANDOM, {"user": BOB, "text": "linked"})
    link = f"https://fakeworkspace.slack.com/archives/{RANDOM}/p{msg['ts'].replace('.', '')}"
    response = slack.command(
        link, channel_id=NEWS, user_id=BOB, response_url=stack.slack.response_url("l")
    )
    assert "needs an approver's yes" in response.json()["text"]
    wait_for(lambda: any(p.thread_ts == msg["ts"] for p in stack.slack.posted))
    press(slack, "approval_approve", approval_id(stack, msg["ts"]), ADMIN)
    wait_for(lambda: len(stack.amity.posts) == 1)
    assert stack.amity.posts[0]["data"]["text"] == "linked"


def open_preview(stack: LocalStack, slack: SlackSender, user: str, msg: dict[str, Any]) -> Any:
    """The shortcut by ``user``; the preview modal it opens, and the route it offers."""
    url = stack.slack.response_url("p")
    assert slack.shortcut(channel=RANDOM, user=user, message=msg, response_url=url).is_success
    wait_for(lambda: bool(stack.slack.modals))
    view = stack.slack.modals[-1]
    [route] = [
        option["value"]
        for block in view["blocks"]
        if block.get("block_id") == "community"
        for option in block["element"]["options"]
    ]
    return view, route


def test_a_preview_submitted_by_someone_not_listed_is_refused_in_the_modal(
    stack: LocalStack, slack: SlackSender
) -> None:
    """The route's rules are checked again when the preview is submitted: a submission by
    someone who may not publish gets the reason under the community, and nothing posts."""
    add(stack, slack, f"<#{RANDOM}> :tada: {OTHER} <@{ALICE}|alice>")
    msg = stack.slack.add_message(RANDOM, {"user": BOB, "text": "shortcut"})
    view, route = open_preview(stack, slack, ALICE, msg)
    state: dict[str, dict[str, Any]] = {
        "community": {"route": {"selected_option": {"value": route}}},
        "text": {"text": {"value": "shortcut"}},
    }
    answer = slack.post(view_submission_form(TEAM, BOB, view, state), FORM)
    assert answer.json()["response_action"] == "errors"
    assert f"only <@{ALICE}> may publish" in answer.json()["errors"]["community"]
    assert stack.amity.posts == [] and find_job(stack, msg["ts"]) is None


def test_shortcut_on_an_approval_route_asks_instead_of_previewing(
    stack: LocalStack, slack: SlackSender
) -> None:
    """On an approval route the shortcut opens the approval request (said privately), not
    the preview; nothing posts until an approver says yes."""
    add(stack, slack, f"<#{RANDOM}> :tada: {OTHER} who=approval <@{ADMIN}|ada>")
    msg = stack.slack.add_message(RANDOM, {"user": BOB, "text": "needs a yes"})
    before = len(stack.slack.responses)
    url = stack.slack.response_url("a")
    assert slack.shortcut(channel=RANDOM, user=BOB, message=msg, response_url=url).is_success
    wait_for(lambda: len(stack.slack.responses) > before)
    assert "approver" in stack.slack.responses[before].body["text"]
    assert not stack.slack.modals and stack.amity.posts == []


def test_route_commands_explain_their_mistakes(stack: LocalStack, slack: SlackSender) -> None:
    """A route that cannot be built says why; help shows the usage; a second route to the
    same community gets a name of its own."""
    assert command(stack, slack, "route help").startswith("*Routes*")
    listed = command(stack, slack, f"route add <#{RANDOM}> :tada: {OTHER} who=listed")
    assert listed.startswith("Sorry,") and "needs people" in listed
    assert command(stack, slack, "route add nothing useful").startswith("Sorry,")
    add(stack, slack, f"<#{RANDOM}> :tada: {OTHER}")
    add(stack, slack, f"<#{NEWS}> :rocket: {OTHER}")
    names = sorted(r.name for r in stack.bridge.worker.routes().routes)
    assert len(names) == len(set(names)) == 3  # the file's route and two of their own
    assert any(name.endswith("-2") for name in names)
