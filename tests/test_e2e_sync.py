"""End to end: edits, deletions and take-backs of shared messages reach the post."""

from __future__ import annotations

import json
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
    reaction_removed_body,
)
from bridge_standins.stack import (
    COMMUNITY,
    NEWS,
    ROUTES,
    SIGNING_SECRET,
    TEAM,
    LocalStack,
    start_stack,
)

from bridge.app import build
from bridge.delivery.outbox import JobState
from bridge.routes import load_routes
from tests.e2e import find_job, job_state, posts

ALICE, BOB, CAROL = "U0ALICE01", "U0BOB0001", "U0CAROL01"


@pytest.fixture
def stack(tmp_path: Path, database_url: str) -> Iterator[LocalStack]:
    running = start_stack(tmp_path, database_url=database_url)
    running.slack.add_user(CAROL, "Carol")
    yield running
    running.stop()


@pytest.fixture
def slack(stack: LocalStack) -> Iterator[SlackSender]:
    with SlackSender(stack.events_url, SIGNING_SECRET) as sender:
        yield sender


def send(slack: SlackSender, body: bytes, content_type: str = JSON) -> None:
    assert slack.post(body, content_type).status_code == 200


def shared(stack: LocalStack, slack: SlackSender, text: str, **extra: Any) -> dict[str, Any]:
    """A message by Alice in NEWS, shared by Bob's reaction; returns it."""
    msg = stack.slack.add_message(NEWS, {"user": ALICE, "text": text, **extra})
    assert slack.reaction(user=BOB, reaction="mega", channel=NEWS, ts=msg["ts"]).status_code == 200
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    return msg


def edit(
    stack: LocalStack, slack: SlackSender, ts: str, editor: str | None = ALICE, **changes: Any
) -> None:
    previous, new = stack.slack.edit_message(NEWS, ts, changes, editor)
    send(slack, message_changed_body(TEAM, NEWS, previous, new))


def post_of(stack: LocalStack, ts: str) -> dict[str, Any]:
    job = find_job(stack, f"{ts}:{COMMUNITY}")
    assert job is not None
    post = stack.amity.get_post(job.post_id)
    assert post is not None
    return post


def settled(stack: LocalStack, key_part: str) -> None:
    wait_for(lambda: job_state(stack, key_part) in (JobState.done, JobState.cancelled))


def button(stack: LocalStack) -> dict[str, Any]:
    """The "Remove from community" button of the thread reply."""
    [reply] = stack.slack.posted
    found: dict[str, Any] = reply.blocks[1]["elements"][0]
    return found


def press(stack: LocalStack, slack: SlackSender, user: str, key: str) -> None:
    url = stack.slack.response_url(key)
    send(slack, block_action_form(TEAM, user, NEWS, button(stack), url), FORM)


def test_edit_updates_post_with_retranslated_text(stack: LocalStack, slack: SlackSender) -> None:
    """A real edit re-translates text and mentions and updates the post in place."""
    msg = shared(stack, slack, "Launch on Monday")
    edit(stack, slack, msg["ts"], text="Launch on Tuesday with <@U0ALICE01> :tada:")
    settled(stack, ":edit:")
    post = post_of(stack, msg["ts"])
    assert post["data"]["text"] == "Launch on Tuesday with @Alice 🎉"
    assert post["mentionees"] == [{"type": "user", "userIds": ["alice-amity"]}]
    assert post["metadata"]["mentioned"] == [
        {"type": "user", "userId": "alice-amity", "index": 23, "length": 5}
    ]
    assert len(posts(stack)) == 1  # updated, not posted again


def test_changes_without_new_content_are_ignored(stack: LocalStack, slack: SlackSender) -> None:
    """An unfurl, a reply count or renumbered block IDs change nothing; then a real edit does."""
    msg = shared(stack, slack, "See https://example.com")
    preview = {"from_url": "https://example.com", "title": "Example", "id": 1}
    edit(stack, slack, msg["ts"], editor=None, attachments=[preview])
    edit(stack, slack, msg["ts"], editor=None, reply_count=3, latest_reply="1.000000")
    edit(stack, slack, msg["ts"], text="See https://example.com now")
    settled(stack, ":edit:")
    assert [body["data"]["text"] for _, body in stack.amity.updates] == [
        "See https://example.com now"
    ]
    assert len([j for j in stack.bridge.outbox.recent(50) if j.kind == "edit"]) == 1


def test_edit_not_synced_when_route_says_so(tmp_path: Path, database_url: str) -> None:
    """``sync_edits: false`` keeps the post as it was shared."""
    routes = ROUTES.replace("    emoji: mega\n", "    emoji: mega\n    sync_edits: false\n")
    stack = start_stack(tmp_path, database_url=database_url, routes=routes)
    try:
        with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
            msg = shared(stack, slack, "First words")
            edit(stack, slack, msg["ts"], text="Second words")
            assert not [j for j in stack.bridge.outbox.recent(50) if j.kind == "edit"]
            assert post_of(stack, msg["ts"])["data"]["text"] == "First words"
    finally:
        stack.stop()


def test_deleted_message_deletes_post_and_home_lists_it(
    stack: LocalStack, slack: SlackSender
) -> None:
    """``message_deleted`` deletes the post (default policy); the App Home says so."""
    msg = shared(stack, slack, "Oops, not for the community")
    previous, _ = stack.slack.delete_message(NEWS, msg["ts"])
    send(slack, message_deleted_body(TEAM, NEWS, previous))
    settled(stack, ":delete")
    post_id = post_of(stack, msg["ts"])["postId"]
    assert stack.amity.deleted == [post_id]
    assert post_of(stack, msg["ts"])["isDeleted"] is True
    event = {"type": "app_home_opened", "user": BOB, "tab": "home", "channel": "D0BOB"}
    send(
        slack,
        json.dumps(
            {
                "type": "event_callback",
                "team_id": TEAM,
                "event": event,
                "event_id": "Ev1",
                "event_time": 1,
            }
        ).encode(),
    )
    wait_for(lambda: bool(stack.slack.calls_to("views.publish")))
    view = stack.slack.calls_to("views.publish")[0].params["view"]
    assert post_id in view and "message deleted in Slack" in view


def test_tombstone_of_thread_parent_deletes_post(stack: LocalStack, slack: SlackSender) -> None:
    """A thread parent replaced by "This message was deleted." deletes its post."""
    msg = shared(stack, slack, "Parent with replies")
    stack.slack.add_message(NEWS, {"user": BOB, "text": "a reply", "thread_ts": msg["ts"]})
    previous, tombstone = stack.slack.delete_message(NEWS, msg["ts"])
    assert tombstone is not None
    send(slack, message_changed_body(TEAM, NEWS, previous, tombstone))
    settled(stack, ":delete")
    assert stack.amity.deleted == [post_of(stack, msg["ts"])["postId"]]


def test_keep_policy_leaves_post(tmp_path: Path, database_url: str) -> None:
    """``sync_deletes: keep`` leaves the post when the message is deleted."""
    routes = ROUTES.replace("    emoji: mega\n", "    emoji: mega\n    sync_deletes: keep\n")
    stack = start_stack(tmp_path, database_url=database_url, routes=routes)
    try:
        with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
            msg = shared(stack, slack, "Stays public")
            previous, _ = stack.slack.delete_message(NEWS, msg["ts"])
            send(slack, message_deleted_body(TEAM, NEWS, previous))
            assert find_job(stack, ":delete") is None
            assert stack.amity.deleted == []
    finally:
        stack.stop()


def test_take_back_by_button_for_sharer(stack: LocalStack, slack: SlackSender) -> None:
    """The sharer's button (with a confirmation) removes the post and says so in the thread."""
    msg = shared(stack, slack, "Shared too soon")
    assert button(stack)["confirm"]["confirm"]["text"] == "Remove"
    press(stack, slack, BOB, "bob")
    settled(stack, ":delete")
    assert stack.amity.deleted == [post_of(stack, msg["ts"])["postId"]]
    assert f"by <@{BOB}>" in stack.slack.posted[-1].text
    assert stack.slack.posted[-1].thread_ts == msg["ts"]


def test_take_back_refused_for_others_allowed_for_admins(
    stack: LocalStack, slack: SlackSender
) -> None:
    """Carol (not the sharer, not an admin) is refused; a workspace admin is not."""
    msg = shared(stack, slack, "Careful")
    press(stack, slack, CAROL, "carol")
    wait_for(lambda: bool(stack.slack.responses))
    assert "Only the person who shared" in str(stack.slack.responses[0].body)
    assert find_job(stack, ":delete") is None and stack.amity.deleted == []
    stack.slack.make_admin(CAROL)
    press(stack, slack, CAROL, "carol2")
    settled(stack, ":delete")
    assert stack.amity.deleted == [post_of(stack, msg["ts"])["postId"]]


def test_take_back_by_removing_emoji(stack: LocalStack, slack: SlackSender) -> None:
    """The sharer removing the emoji is asked privately, with the button; others are not."""
    msg = shared(stack, slack, "Changed my mind")
    send(slack, reaction_removed_body(TEAM, CAROL, "mega", NEWS, msg["ts"]))
    send(slack, reaction_removed_body(TEAM, BOB, "mega", NEWS, msg["ts"]))
    wait_for(lambda: bool(stack.slack.ephemerals))
    [asked] = stack.slack.ephemerals
    assert asked.user == BOB and asked.thread_ts == msg["ts"]
    offered = asked.blocks[1]["elements"][0]
    assert offered["confirm"] and offered["value"] == post_of(stack, msg["ts"])["postId"]
    url = stack.slack.response_url("emoji")
    send(slack, block_action_form(TEAM, BOB, NEWS, offered, url), FORM)
    settled(stack, ":delete")
    assert len(stack.amity.deleted) == 1


def test_edit_racing_creation_is_applied_after(stack: LocalStack, slack: SlackSender) -> None:
    """An edit that arrives while the post is being created updates it once it exists."""
    stack.amity.fail_next(500, 500000, "Unexpected error")
    msg = stack.slack.add_message(NEWS, {"user": ALICE, "text": "Draft one"})
    assert slack.reaction(user=BOB, reaction="mega", channel=NEWS, ts=msg["ts"]).status_code == 200
    wait_for(
        lambda: (
            (job := find_job(stack, f"{msg['ts']}:{COMMUNITY}")) is not None and job.attempts >= 1
        )
    )
    edit(stack, slack, msg["ts"], text="Draft two")
    settled(stack, ":edit:")
    edit_job = find_job(stack, ":edit:")
    assert edit_job is not None and edit_job.state is JobState.done
    assert post_of(stack, msg["ts"])["data"]["text"] == "Draft two"


def test_sync_jobs_survive_a_restart(stack: LocalStack, slack: SlackSender) -> None:
    """An edit and a take-back stored while the worker is down are carried out, in that
    order, by the next process on the same store."""
    msg = shared(stack, slack, "Before the restart")
    stack.bridge.worker.stopping.set()  # the worker is gone; the HTTP edge still stores
    stack.bridge.scheduler.shutdown()
    edit(stack, slack, msg["ts"], text="Edited while down")
    press(stack, slack, BOB, "bob")
    assert job_state(stack, ":edit:") is JobState.pending
    assert job_state(stack, ":delete") is JobState.pending
    routes = load_routes(stack.settings.BRIDGE_CONFIG)
    second = build(stack.settings, routes)
    second.start_worker()
    try:
        settled(stack, ":delete")
        post_id = post_of(stack, msg["ts"])["postId"]
        assert [(pid, body["data"]["text"]) for pid, body in stack.amity.updates] == [
            (post_id, "Edited while down")
        ]
        assert stack.amity.deleted == [post_id]
    finally:
        second.stop(timeout=10)
        second.outbox.engine.dispose()


def test_two_instances_apply_each_edit_once_in_order(stack: LocalStack, slack: SlackSender) -> None:
    """With a second bridge on the same store, edits of several posts are applied once
    each and in the order they were made, and a take-back pressed twice happens once,
    after the edits that came before it."""
    second = build(stack.settings, load_routes(stack.settings.BRIDGE_CONFIG))
    second.start_worker()
    try:
        messages = [shared(stack, slack, f"Message {n}") for n in range(3)]
        for round_ in range(3):
            for n, msg in enumerate(messages):
                edit(stack, slack, msg["ts"], text=f"Message {n}, edit {round_}")
        press_first = stack.slack.posted[0]
        url = stack.slack.response_url("two")
        action = press_first.blocks[1]["elements"][0]
        send(slack, block_action_form(TEAM, BOB, NEWS, action, url), FORM)
        send(slack, block_action_form(TEAM, BOB, NEWS, action, url), FORM)

        def finished() -> bool:
            open_jobs = [
                j
                for j in stack.bridge.outbox.recent(100)
                if j.kind in ("edit", "delete") and j.state in (JobState.pending, JobState.running)
            ]
            return not open_jobs and len(stack.amity.deleted) == 1

        wait_for(finished, timeout=20)
        for n, msg in enumerate(messages):
            post_id = post_of(stack, msg["ts"])["postId"]
            texts = [b["data"]["text"] for pid, b in stack.amity.updates if pid == post_id]
            assert texts == [f"Message {n}, edit {r}" for r in range(3)]  # the delete waits
        assert stack.amity.deleted == [post_of(stack, messages[0]["ts"])["postId"]]
    finally:
        second.stop(timeout=10)
        second.outbox.engine.dispose()


def test_edit_retried_after_amity_error_and_refusal_told(
    stack: LocalStack, slack: SlackSender
) -> None:
    """Amity's 500 on an update is retried (applied once); a 403 on a take-back fails it and
    tells the person who pressed the button, privately."""
    msg = shared(stack, slack, "Original")
    stack.amity.fail_next(500, 500000, "Unexpected error", path_prefix="/api/v4/posts/")
    edit(stack, slack, msg["ts"], text="Fixed typo")
    wait_for(lambda: job_state(stack, ":edit:") is JobState.done, timeout=10)
    edit_job = find_job(stack, ":edit:")
    assert edit_job is not None and edit_job.attempts == 2
    assert [b["data"]["text"] for _, b in stack.amity.updates] == ["Fixed typo"]
    stack.amity.forbidden.add(post_of(stack, msg["ts"])["postId"])
    press(stack, slack, BOB, "bob")
    wait_for(lambda: job_state(stack, ":delete") is JobState.failed)
    wait_for(lambda: bool(stack.slack.ephemerals))
    [told] = stack.slack.ephemerals
    assert told.user == BOB and "Could not remove the post from *announcements*" in told.text
    assert stack.amity.deleted == []
