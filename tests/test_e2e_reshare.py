"""End to end: a share that made no post never blocks a later one, a scheduled post can be
replaced by sharing now, and a private conversation's messages are shared only by its
members (checked when the share is asked for, approved, and submitted from the preview)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bridge_standins.server import wait_for
from bridge_standins.signed import FORM, JSON, SlackSender
from bridge_standins.slack_changes import message_changed_body, view_submission_form
from bridge_standins.stack import (
    COMMUNITY,
    NEWS,
    ROUTES,
    SIGNING_SECRET,
    TEAM,
    LocalStack,
    start_stack,
)
from sqlalchemy import select

from bridge.delivery.jobs import approvals
from bridge.delivery.outbox import JobState
from tests.e2e import MovableClock, find_job, job_state
from tests.test_e2e_preview import values

ALICE, BOB, ADMIN = "U0ALICE01", "U0BOB0001", "U0ADMIN01"
PRIVATE = "G0PRIVATE1"
OTHER = "Q1VS4DkRZ9"  # a second community, found by name


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def members() -> set[str]:
    """Who is in the private channel (the stand-in's ``conversations.members``)."""
    return {ALICE}


@pytest.fixture
def stack(
    tmp_path: Path, database_url: str, clock: MovableClock, members: set[str]
) -> Iterator[LocalStack]:
    opted_in = f"channels: [{NEWS}, {PRIVATE}]\n    allow_private: true"
    running = start_stack(
        tmp_path,
        database_url=database_url,
        clock=clock,
        routes=ROUTES.replace(f"channels: [{NEWS}]", opted_in),
    )
    running.slack.add_user(ADMIN, "Ada", is_admin=True)
    running.slack.add_channel(PRIVATE, "leadership", is_private=True)
    running.amity.add_community(OTHER, "Partner News")

    def listed(params: dict[str, Any]) -> dict[str, Any]:
        assert params["channel"] == PRIVATE
        return {"ok": True, "members": sorted(members), "response_metadata": {"next_cursor": ""}}

    running.slack.add_method("conversations.members", listed)
    yield running
    running.stop()


@pytest.fixture
def slack(stack: LocalStack) -> Iterator[SlackSender]:
    with SlackSender(stack.events_url, SIGNING_SECRET) as sender:
        yield sender


def link(ts: str, channel: str = PRIVATE) -> str:
    return f"https://fakeworkspace.slack.com/archives/{channel}/p{ts.replace('.', '')}"


def crosspost(stack: LocalStack, slack: SlackSender, text: str, user: str) -> str:
    """``/crosspost <text>`` by ``user`` in NEWS; the answer Slack shows at once."""
    url = stack.slack.response_url(f"cmd-{user}")
    answer = slack.command(text, channel_id=NEWS, user_id=user, response_url=url)
    assert answer.status_code == 200
    return str(answer.json()["text"])


def later_answer(stack: LocalStack, slack: SlackSender, text: str, user: str = ADMIN) -> str:
    """A route command's answer, which comes by the response URL."""
    before = len(stack.slack.responses)
    crosspost(stack, slack, text, user)
    wait_for(lambda: len(stack.slack.responses) > before)
    return str(stack.slack.responses[before].body["text"])


def told(stack: LocalStack, user: str, words: str) -> str:
    """The private message to ``user`` containing ``words``."""

    def found() -> str | None:
        return next(
            (e.text for e in stack.slack.ephemerals if e.user == user and words in e.text), None
        )

    wait_for(lambda: found() is not None, message=f"{user} to be told {words!r}")
    return found() or ""


def react(slack: SlackSender, channel: str, ts: str, user: str, emoji: str = "mega") -> None:
    answer = slack.reaction(user=user, reaction=emoji, channel=channel, ts=ts)
    assert answer.status_code == 200


def test_a_non_members_private_link_is_refused_at_once(
    stack: LocalStack, slack: SlackSender
) -> None:
    """Bob, not in the private channel, is refused in the command's answer: nothing stored,
    nothing read; Alice, a member, then shares it."""
    msg = stack.slack.add_message(PRIVATE, {"user": ALICE, "text": "board notes"})
    answer = crosspost(stack, slack, link(msg["ts"]), BOB)
    assert "not a member of the private conversation" in answer
    assert stack.bridge.outbox.recent() == []
    assert stack.slack.calls_to("conversations.history") == []
    assert "On its way" in crosspost(stack, slack, link(msg["ts"]), ALICE)
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    assert [p["data"]["text"] for p in stack.amity.posts] == ["board notes"]


def test_a_non_member_asks_nothing_in_a_private_thread(
    stack: LocalStack, slack: SlackSender
) -> None:
    """On an approval route, a non-member's link is refused: no "asks to publish" in the
    private channel's thread, no request stored."""
    route = f"<#{PRIVATE}> :tada: {OTHER} who=approval <@{ADMIN}|ada> allow-private"
    assert later_answer(stack, slack, f"route add {route}").startswith("Added route")
    msg = stack.slack.add_message(PRIVATE, {"user": ALICE, "text": "secret plans"})
    answer = crosspost(stack, slack, link(msg["ts"]), BOB)
    assert "not a member of the private conversation" in answer
    assert not [p for p in stack.slack.posted if "asks to publish" in p.text]
    with stack.bridge.outbox.transaction() as conn:
        assert conn.execute(select(approvals)).all() == []


def test_an_approval_is_not_published_for_a_requester_who_left(
    stack: LocalStack, slack: SlackSender, members: set[str]
) -> None:
    """Alice asks, then leaves the private channel; the approver's yes publishes nothing
    and the thread says why."""
    route = f"<#{PRIVATE}> :tada: {OTHER} who=approval <@{ADMIN}|ada> allow-private"
    assert later_answer(stack, slack, f"route add {route}").startswith("Added route")
    msg = stack.slack.add_message(PRIVATE, {"user": ALICE, "text": "before I left"})
    assert "needs an approver" in crosspost(stack, slack, link(msg["ts"]), ALICE)
    wait_for(lambda: any("asks to publish" in p.text for p in stack.slack.posted))
    members.discard(ALICE)
    react(slack, PRIVATE, msg["ts"], ADMIN, "heavy_check_mark")
    wait_for(lambda: any("Not published" in p.text for p in stack.slack.posted))
    [said] = [p for p in stack.slack.posted if "Not published" in p.text]
    assert f"<@{ALICE}>, who asked, cannot read this conversation" in said.text
    assert find_job(stack, f"{msg['ts']}:{OTHER}") is None  # (the routes file's route posts)
    assert [p for p in stack.amity.posts if p["targetId"] == OTHER] == []


def test_the_preview_submission_checks_who_can_read(stack: LocalStack, slack: SlackSender) -> None:
    """A preview of a private message submitted by someone not in it is refused in the
    modal, and nothing is stored."""
    msg = stack.slack.add_message(PRIVATE, {"user": ALICE, "text": "inside only"})
    url = stack.slack.response_url("sc")
    assert slack.shortcut(channel=PRIVATE, user=ALICE, message=msg, response_url=url)
    wait_for(lambda: bool(stack.slack.modals))
    view = stack.slack.modals[-1]
    answer = slack.post(view_submission_form(TEAM, BOB, view, values(view)), FORM).json()
    assert answer["response_action"] == "errors"
    assert "not a member of the private conversation" in answer["errors"]["community"]
    assert stack.bridge.outbox.recent() == []


def scheduled(stack: LocalStack, slack: SlackSender, ts: str, user: str) -> int:
    """``user`` schedules NEWS's message ``ts`` in two hours; its job id once it waits."""
    answer = crosspost(stack, slack, f"schedule in 2h {link(ts, NEWS)}", user)
    assert "Scheduling a post" in answer

    def waiting() -> bool:
        job = find_job(stack, ts)
        return job is not None and job.state is JobState.pending and job.scheduled_for is not None

    wait_for(waiting)
    job = find_job(stack, ts)
    assert job is not None
    return job.id


def test_a_cancelled_schedule_does_not_block_a_later_share(
    stack: LocalStack, slack: SlackSender
) -> None:
    """Alice schedules then cancels; Bob's reaction later shares the message now."""
    msg = stack.slack.add_message(NEWS, {"user": ALICE, "text": "changed plans"})
    job_id = scheduled(stack, slack, msg["ts"], ALICE)
    assert crosspost(stack, slack, f"cancel {job_id}", ALICE).startswith("Cancelled")
    react(slack, NEWS, msg["ts"], BOB)
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    assert [p["data"]["text"] for p in stack.amity.posts] == ["changed plans"]
    job = find_job(stack, msg["ts"])
    assert job is not None and job.requested_by == BOB and job.id == job_id


def test_sharing_now_replaces_a_schedule_and_tells_whoever_scheduled_it(
    stack: LocalStack, slack: SlackSender
) -> None:
    """Alice scheduled the message; Bob reacts: it is posted now, once, and both are told
    the schedule is cancelled."""
    msg = stack.slack.add_message(NEWS, {"user": ALICE, "text": "news now"})
    job_id = scheduled(stack, slack, msg["ts"], ALICE)
    react(slack, NEWS, msg["ts"], BOB)
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    assert len(stack.amity.posts) == 1
    alice = told(stack, ALICE, f"#{job_id}")
    assert alice == (
        f"Your scheduled post #{job_id} to *announcements* is cancelled: "
        f"<@{BOB}> shared the message now."
    )
    bob = told(stack, BOB, f"#{job_id}")
    assert "is cancelled: it is shared now instead" in bob


def test_a_refused_post_is_shared_after_the_author_fixes_it(
    stack: LocalStack, slack: SlackSender
) -> None:
    """Amity refuses the text (422, a blocked word); Alice fixes it and Bob reacts again:
    it is posted with the new text, and Bob is told what happened the first time."""
    stack.amity.fail_next(422, 500000, "Text contains a blocked word")
    msg = stack.slack.add_message(NEWS, {"user": ALICE, "text": "darn launch"})
    react(slack, NEWS, msg["ts"], BOB)
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.failed)
    previous, new = stack.slack.edit_message(NEWS, msg["ts"], {"text": "great launch"}, ALICE)
    assert slack.post(message_changed_body(TEAM, NEWS, previous, new), JSON).status_code == 200
    react(slack, NEWS, msg["ts"], BOB)
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    assert [p["data"]["text"] for p in stack.amity.posts] == ["great launch"]
    again = told(stack, BOB, "An earlier share")
    assert again.startswith("An earlier share of this message to *announcements* failed: ")
    assert again.endswith("; trying again.")
    job = find_job(stack, f"{msg['ts']}:{COMMUNITY}")
    assert job is not None and job.attempts == 1 and job.last_error is None
