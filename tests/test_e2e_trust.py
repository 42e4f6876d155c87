"""End to end: nobody's words go out under someone else's name, and a post keeps its sync
with its message after its route is gone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bridge_standins.server import wait_for
from bridge_standins.signed import FORM, JSON, SlackSender
from bridge_standins.slack_changes import (
    block_action_form,
    message_changed_body,
    message_deleted_body,
    view_submission_form,
)
from bridge_standins.stack import (
    AMITY_TOKEN,
    COMMUNITY,
    NEWS,
    RANDOM,
    SIGNING_SECRET,
    TEAM,
    LocalStack,
    start_stack,
)
from cryptography.fernet import Fernet

from bridge.delivery.jobs import utc_now
from bridge.delivery.outbox import JobState
from bridge.delivery.routestore import RouteStore
from bridge.routes import PostDefaults, Route, RoutesConfig
from tests.e2e import find_job, job_state
from tests.test_e2e_preview import block, values

ALICE, BOB = "U0ALICE01", "U0BOB0001"
ALICE_AMITY = "alice-amity"
OTHER = "Q1VS4DkRZ9"  # a second community, found by name


@pytest.fixture
def stack(tmp_path: Path, database_url: str) -> Iterator[LocalStack]:
    running = start_stack(
        tmp_path,
        database_url=database_url,
        AMITY_API_KEY="amity-api-key",
        BRIDGE_SECRET_KEY=Fernet.generate_key().decode(),
    )
    running.amity.sessions.add_user(ALICE_AMITY, "Alice M.")
    running.amity.sessions.add_member(COMMUNITY, ALICE_AMITY)
    yield running
    running.stop()


@pytest.fixture
def slack(stack: LocalStack) -> Iterator[SlackSender]:
    with SlackSender(stack.events_url, SIGNING_SECRET) as sender:
        yield sender


def preview_as(
    stack: LocalStack, slack: SlackSender, user: str, message: dict[str, Any]
) -> dict[str, Any]:
    """``user`` opens the preview of ``message``; the modal."""
    before = len(stack.slack.modals)
    url = stack.slack.response_url(f"sc-{user}")
    assert slack.shortcut(channel=NEWS, user=user, message=message, response_url=url)
    wait_for(lambda: len(stack.slack.modals) > before)
    return stack.slack.modals[-1]


def submit_as(
    slack: SlackSender, user: str, view: dict[str, Any], state: dict[str, Any]
) -> dict[str, Any]:
    answer = slack.post(view_submission_form(TEAM, user, view, state), FORM)
    assert answer.status_code == 200
    return answer.json() if answer.content not in (b"", b"{}") else {}


def post_of(stack: LocalStack, ts: str) -> dict[str, Any]:
    job = find_job(stack, f"{ts}:{COMMUNITY}")
    assert job is not None
    post = stack.amity.get_post(job.post_id)
    assert post is not None
    return post


def take_back(stack: LocalStack, slack: SlackSender, user: str) -> None:
    [reply] = [p for p in stack.slack.posted if p.blocks]
    action = reply.blocks[1]["elements"][0]
    url = stack.slack.response_url(f"tb-{user}")
    answer = slack.post(block_action_form(TEAM, user, NEWS, action, url), FORM)
    assert answer.status_code == 200


def test_someone_elses_edited_text_goes_out_under_the_admin(
    stack: LocalStack, slack: SlackSender
) -> None:
    """Bob edits the preview of Alice's message: the modal says beforehand that the admin
    posts it with "shared by"; Amity gets the create with the admin token (no session of
    Alice's), ending with "— shared by" Bob; Alice's later edit does not replace Bob's
    words; Alice, the author, can take the post back."""
    msg = stack.slack.add_message(NEWS, {"user": ALICE, "text": "Quarterly numbers"})
    view = preview_as(stack, slack, BOB, msg)
    note = block(view, "note")["elements"][0]["text"]
    assert "posted by the community admin with “— shared by <you>”" in note
    assert submit_as(slack, BOB, view, values(view, text="Numbers are terrible")) == {}
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    post = post_of(stack, msg["ts"])
    assert post["postedUserId"] == "bridge-admin"
    assert stack.amity.post_token(post["postId"]) == AMITY_TOKEN
    assert post["data"]["text"] == "Numbers are terrible\n\n— shared by Bob Stone"
    assert stack.amity.sessions.created == []  # Alice's identity was never used
    previous, new = stack.slack.edit_message(NEWS, msg["ts"], {"text": "Numbers, v2"}, ALICE)
    assert slack.post(message_changed_body(TEAM, NEWS, previous, new), JSON).status_code == 200
    wait_for(lambda: job_state(stack, ":edit:") is JobState.cancelled)
    assert post_of(stack, msg["ts"])["data"]["text"].startswith("Numbers are terrible")
    take_back(stack, slack, ALICE)
    wait_for(lambda: job_state(stack, ":delete") is JobState.done)
    assert stack.amity.deleted == [post["postId"]]


def test_the_author_editing_their_own_preview_posts_as_themselves(
    stack: LocalStack, slack: SlackSender
) -> None:
    """Alice edits her own message's preview: no note, the post is hers, no "shared by"."""
    msg = stack.slack.add_message(NEWS, {"user": ALICE, "text": "Draft"})
    view = preview_as(stack, slack, ALICE, msg)
    assert not [b for b in view["blocks"] if b.get("block_id") == "note"]
    submit_as(slack, ALICE, view, values(view, text="Final words"))
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    post = post_of(stack, msg["ts"])
    assert post["postedUserId"] == ALICE_AMITY
    assert post["data"]["text"] == "Final words"


def test_a_removed_route_still_deletes_what_it_shared(tmp_path: Path, database_url: str) -> None:
    """Share through a route added from Slack, remove the route, edit then delete the
    Slack message: Amity gets the update and the delete (the post kept its sync options)."""
    stack = start_stack(tmp_path, database_url=database_url, BRIDGE_ADMINS=BOB)
    stack.amity.add_community(OTHER, "Partner News")
    try:
        with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
            added = command(stack, slack, f"route add <#{RANDOM}|random> :tada: Partner News")
            assert added.startswith("Added route"), added
            msg = stack.slack.add_message(RANDOM, {"user": ALICE, "text": "Soon gone"})
            reacted = slack.reaction(user=BOB, reaction="tada", channel=RANDOM, ts=msg["ts"])
            assert reacted.status_code == 200
            wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
            [created] = stack.amity.posts
            removed = command(stack, slack, "route remove partner-news")
            assert removed == "Removed route *partner-news*."
            previous, new = stack.slack.edit_message(RANDOM, msg["ts"], {"text": "Gone soon"})
            edited = slack.post(message_changed_body(TEAM, RANDOM, previous, new), JSON)
            assert edited.status_code == 200
            wait_for(lambda: job_state(stack, ":edit:") is JobState.done)
            assert [b["data"]["text"] for _, b in stack.amity.updates] == ["Gone soon"]
            previous, _ = stack.slack.delete_message(RANDOM, msg["ts"])
            answer = slack.post(message_deleted_body(TEAM, RANDOM, previous), JSON)
            assert answer.status_code == 200
            wait_for(lambda: job_state(stack, ":delete") is JobState.done)
            assert stack.amity.deleted == [created["postId"]]
    finally:
        stack.stop()


def test_an_edit_keeps_the_attribution_its_post_was_made_with(
    tmp_path: Path, database_url: str
) -> None:
    """A stored route with an attribution line shares a message, then the route is removed:
    the message's edit reaches the post with the same attribution line, as it was made."""
    stack = start_stack(
        tmp_path, database_url=database_url, BRIDGE_ADMINS=BOB, BRIDGE_ROUTES_CACHE_SECONDS=0
    )
    stack.amity.add_community(OTHER, "Partner News")
    try:
        store = RouteStore(stack.bridge.outbox.engine, RoutesConfig.empty(), utc_now, ttl=0)
        made = PostDefaults(attribution="— from Slack by {author}")
        route = Route(name="partner", channels=[RANDOM], emoji="tada", community=OTHER, post=made)
        store.save(route, BOB)
        with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
            msg = stack.slack.add_message(RANDOM, {"user": ALICE, "text": "First words"})
            reacted = slack.reaction(user=BOB, reaction="tada", channel=RANDOM, ts=msg["ts"])
            assert reacted.status_code == 200
            wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
            [created] = stack.amity.posts
            assert created["data"]["text"] == "First words\n\n— from Slack by Alice"
            assert command(stack, slack, "route remove partner") == "Removed route *partner*."
            previous, new = stack.slack.edit_message(RANDOM, msg["ts"], {"text": "Better words"})
            edited = slack.post(message_changed_body(TEAM, RANDOM, previous, new), JSON)
            assert edited.status_code == 200
            wait_for(lambda: job_state(stack, ":edit:") is JobState.done)
            [(_, update)] = stack.amity.updates
            assert update["data"]["text"] == "Better words\n\n— from Slack by Alice"
    finally:
        stack.stop()


def command(stack: LocalStack, slack: SlackSender, text: str) -> str:
    """Bob runs ``/crosspost <text>``; the answer sent to the response URL."""
    before = len(stack.slack.responses)
    url = stack.slack.response_url("cmd")
    answer = slack.command(text, channel_id=NEWS, user_id=BOB, response_url=url)
    assert answer.status_code == 200
    wait_for(lambda: len(stack.slack.responses) > before)
    return str(stack.slack.responses[before].body["text"])
