"""End to end: the "Share to community" preview modal, from the shortcut to the post."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bridge_standins.server import wait_for
from bridge_standins.signed import FORM, JSON, SlackSender
from bridge_standins.slack_changes import message_changed_body, view_submission_form
from bridge_standins.stack import COMMUNITY, NEWS, SIGNING_SECRET, TEAM, LocalStack, start_stack

from bridge.delivery.outbox import JobState
from tests.e2e import find_job, job_state, posts

ALICE, BOB = "U0ALICE01", "U0BOB0001"


@pytest.fixture
def stack(tmp_path: Path, database_url: str) -> Iterator[LocalStack]:
    running = start_stack(tmp_path, database_url=database_url)
    yield running
    running.stop()


@pytest.fixture
def slack(stack: LocalStack) -> Iterator[SlackSender]:
    with SlackSender(stack.events_url, SIGNING_SECRET) as sender:
        yield sender


def open_preview(stack: LocalStack, slack: SlackSender, message: dict[str, Any]) -> dict[str, Any]:
    """Send the shortcut for ``message``; return the modal it opened."""
    url = stack.slack.response_url("sc")
    answer = slack.shortcut(channel=NEWS, user=BOB, message=message, response_url=url)
    assert answer.status_code == 200
    wait_for(lambda: bool(stack.slack.modals))
    return stack.slack.modals[-1]


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    return found


def values(
    view: dict[str, Any],
    *,
    text: str | None = None,
    route: str | None = "announcements",
    tags: str = "",
    discoverable: bool = True,
) -> dict[str, dict[str, Any]]:
    """What Slack sends for the modal's inputs (the text as shown unless ``text``)."""
    shown = block(view, "text")["element"].get("initial_value", "")
    option = {"text": {"type": "plain_text", "text": route}, "value": route} if route else None
    yes = block(view, "discoverable")["element"]["options"]
    return {
        "community": {"route": {"type": "static_select", "selected_option": option}},
        "text": {"text": {"type": "plain_text_input", "value": shown if text is None else text}},
        "tags": {"tags": {"type": "plain_text_input", "value": tags}},
        "discoverable": {
            "discoverable": {"type": "checkboxes", "selected_options": yes if discoverable else []}
        },
    }


def submit(slack: SlackSender, view: dict[str, Any], state: dict[str, Any]) -> httpx.Response:
    answer = slack.post(view_submission_form(TEAM, BOB, view, state), FORM)
    assert answer.status_code == 200
    return answer


def test_shortcut_opens_preview_then_posts_once(stack: LocalStack, slack: SlackSender) -> None:
    """The modal shows the translated text, the community, files with reasons; submitting
    posts once, replies in the thread with ✅; a second submission is refused in the modal."""
    msg = stack.slack.add_message(
        NEWS,
        {
            "user": ALICE,
            "text": "Hello <@U0ALICE01> :tada:",
            "files": [{"id": "F1", "name": "old.png", "mode": "tombstone"}],
        },
    )
    view = open_preview(stack, slack, msg)
    assert block(view, "text")["element"]["initial_value"] == "Hello @Alice 🎉"
    assert block(view, "community")["element"]["initial_option"]["value"] == "announcements"
    files = next(b for b in view["blocks"] if b["type"] == "context")["elements"][0]["text"]
    assert "Not attached: old.png (deleted in Slack)" in files
    assert posts(stack) == []  # nothing is posted before the submission
    assert submit(slack, view, values(view)).content in (b"", b"{}")
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    [body] = posts(stack)
    assert body["data"]["text"] == "Hello @Alice 🎉" and body["isDiscoverable"] is True
    assert body["mentionees"] == [{"type": "user", "userIds": ["alice-amity"]}]
    [reply] = stack.slack.posted
    assert reply.thread_ts == msg["ts"] and f"<@{BOB}>" in reply.text
    assert [r.name for r in stack.slack.reactions_added] == ["white_check_mark"]
    again = submit(slack, view, values(view)).json()
    assert again["response_action"] == "errors" and "Already shared" in again["errors"]["community"]
    assert len(posts(stack)) == 1


@pytest.mark.parametrize(
    ("message", "state", "block_id", "words"),
    [
        ({"text": "fine"}, {"route": None}, "community", "Choose the community"),
        ({"text": "fine"}, {"text": "   "}, "text", "nothing to post"),
        ({"text": "fine"}, {"tags": "a,b,c,d,e,f"}, "tags", "At most 5 tags"),
        ({"text": "word " * 4100}, {"text": ""}, "text", "Amity takes 20000"),
    ],
)
def test_mistakes_come_back_in_the_modal(
    stack: LocalStack,
    slack: SlackSender,
    message: dict[str, str],
    state: dict[str, Any],
    block_id: str,
    words: str,
) -> None:
    """No community, nothing to post, too many tags, too long: errors in the modal, no job."""
    msg = stack.slack.add_message(NEWS, {"user": ALICE, **message})
    view = open_preview(stack, slack, msg)
    answer = submit(slack, view, values(view, **state)).json()
    assert answer["response_action"] == "errors"
    assert words in answer["errors"][block_id]
    assert stack.bridge.outbox.recent() == []


def test_text_edited_in_preview_wins_over_later_slack_edits(
    stack: LocalStack, slack: SlackSender
) -> None:
    """An edited preview text, tags and discoverability go in the post; a later Slack edit
    does not overwrite that text."""
    msg = stack.slack.add_message(NEWS, {"user": ALICE, "text": "Raw notes"})
    view = open_preview(stack, slack, msg)
    state = values(view, text="Polished #launch text", tags="news, slack", discoverable=False)
    submit(slack, view, state)
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    [body] = posts(stack)
    assert body["data"]["text"] == "Polished #launch text"
    assert body["hashtags"] == ["launch"] and body["tags"] == ["news", "slack"]
    assert body["isDiscoverable"] is False
    previous, new = stack.slack.edit_message(NEWS, msg["ts"], {"text": "Raw notes, edited"})
    assert slack.post(message_changed_body(TEAM, NEWS, previous, new), JSON).status_code == 200
    wait_for(lambda: job_state(stack, ":edit:") is JobState.cancelled)
    assert stack.amity.updates == []
    job = find_job(stack, f"{msg['ts']}:{COMMUNITY}")
    assert job is not None
    post = stack.amity.get_post(job.post_id)
    assert post is not None and post["data"]["text"] == "Polished #launch text"


def test_the_preview_says_a_file_from_another_host_will_not_be_attached(
    stack: LocalStack, slack: SlackSender
) -> None:
    """A file whose link is not a Slack file URL is listed as not attached, with the reason
    the post's reply would give, and the other host is never contacted."""
    file = stack.slack.add_file({"name": "report.pdf", "mimetype": "application/pdf"}, b"%PDF-1")
    path = file["url_private_download"].removeprefix(stack.slack.url)
    elsewhere = file | {
        "url_private_download": stack.slack.foreign.url + path,
        "url_private": stack.slack.foreign.url + path,
    }
    msg = stack.slack.add_message(NEWS, {"user": ALICE, "text": "see", "files": [elsewhere]})
    view = open_preview(stack, slack, msg)
    files = next(b for b in view["blocks"] if b["type"] == "context")["elements"][0]["text"]
    assert "Not attached: report.pdf (not a Slack file URL)" in files
    assert "Attached: report.pdf" not in files
    assert stack.slack.foreign.requests == []
