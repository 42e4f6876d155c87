"""Intake at its seams: the listeners called as Bolt calls them, on the real outbox
(SQLite and PostgreSQL); waking the worker and the notices are recorded callables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from slack_bolt import Ack, BoltContext, BoltRequest

from bridge.delivery.approvals import Approvals
from bridge.delivery.outbox import Job, JobState, Outbox
from bridge.delivery.routestore import RouteStore
from bridge.listeners.gate import Gate
from bridge.listeners.intake import Intake
from bridge.routes import Route, RoutesConfig
from bridge.slack.directory import Directory
from tests.slack_double import SlackDouble

NEWS, OTHER = "C0NEWS0001", "C0OTHER001"
ROUTES = RoutesConfig(routes=[Route(name="news", channels=[NEWS], emoji="mega", community="c1")])
CONTEXT = BoltContext({"team_id": "T1", "bot_user_id": "U0BRIDGE1"})


class Recorder:
    """What intake asked of the rest of the bridge."""

    def __init__(self) -> None:
        self.wakes = 0
        self.told: list[tuple[int, str]] = []

    def wake(self) -> None:
        self.wakes += 1

    def tell_existing(self, job: Job, user: str) -> None:
        self.told.append((job.id, user))


@pytest.fixture
def seen() -> Recorder:
    return Recorder()


@pytest.fixture
def intake(outbox: Outbox, seen: Recorder) -> Intake:
    store = RouteStore(outbox.engine, ROUTES, outbox.clock)
    gate = Gate(
        Directory(SlackDouble()),
        Approvals(outbox.engine, outbox.clock),
        tell=lambda *told: None,
        post=lambda *posted: None,
        author_of=lambda channel, ts, thread, user: "U0ALICE01",
    )
    return Intake(
        store,
        outbox,
        seen.wake,
        seen.tell_existing,
        gate,
        route_commands=lambda command, request: None,
    )


def reaction(emoji: str = "mega", channel: str = NEWS, **extra: Any) -> dict[str, Any]:
    item = {"type": "message", "channel": channel, "ts": "1700000000.000100"}
    return {"type": "reaction_added", "user": "U0BOB0001", "reaction": emoji, "item": item} | extra


def request(retry: bool = False) -> BoltRequest:
    headers: dict[str, str | Sequence[str]] = {"x-slack-retry-num": "1"} if retry else {}
    return BoltRequest(body="{}", headers=headers)


def test_the_routes_emoji_queues_one_job_and_wakes_the_worker(
    intake: Intake, outbox: Outbox, seen: Recorder
) -> None:
    """The job names the message, the route and who reacted; its postId is stable."""
    intake.on_reaction(reaction(), CONTEXT, request())
    [job] = outbox.recent()
    assert (job.kind, job.channel_id, job.message_ts) == ("message", NEWS, "1700000000.000100")
    assert (job.route_name, job.community_id, job.requested_by) == ("news", "c1", "U0BOB0001")
    assert job.state is JobState.pending and seen.wakes == 1
    intake.on_reaction(reaction(), CONTEXT, request())  # the same message again
    assert [j.id for j in outbox.recent()] == [job.id] and seen.wakes == 1
    assert seen.told == []  # not done yet: nothing to point at


@pytest.mark.parametrize(
    "event",
    [
        reaction(emoji="tada"),  # not a route's emoji
        reaction(channel=OTHER),  # not a routed channel
        reaction(item_user="U0BRIDGE1"),  # the bridge's own message
        {"type": "reaction_added", "user": "U0BOB0001"},  # unreadable
    ],
)
def test_other_reactions_queue_nothing(
    intake: Intake, outbox: Outbox, seen: Recorder, event: dict[str, Any]
) -> None:
    """Only a route's emoji on someone's message in a routed channel starts a job."""
    intake.on_reaction(event, CONTEXT, request())
    assert outbox.recent() == [] and seen.wakes == 0


def test_a_later_reaction_on_a_shared_message_is_told_where_the_post_is(
    intake: Intake, outbox: Outbox, seen: Recorder
) -> None:
    """Once done, a new reactor hears about the post; Slack's own retries do not."""
    intake.on_reaction(reaction(), CONTEXT, request())
    [job] = outbox.recent()
    outbox.finish(job.id, JobState.done)
    intake.on_reaction(reaction(), CONTEXT, request(retry=True))
    assert seen.told == []
    intake.on_reaction(reaction(user="U0CAROL01"), CONTEXT, request())
    assert seen.told == [(job.id, "U0CAROL01")]


def command(text: str, channel: str = NEWS) -> dict[str, Any]:
    return {
        "command": "/crosspost",
        "text": text,
        "team_id": "T1",
        "channel_id": channel,
        "user_id": "U0BOB0001",
        "response_url": "https://hooks.slack.com/commands/T1/1/x",
        "trigger_id": "1.2.x",
    }


def answer(intake: Intake, text: str, channel: str = NEWS) -> str:
    ack = Ack()  # type: ignore[no-untyped-call]  # Bolt's Ack has an untyped __init__
    intake.on_command(ack, command(text, channel))
    assert ack.response is not None
    return str(json.loads(ack.response.body)["text"])


def test_crosspost_text_queues_a_text_job_and_says_so(intake: Intake, outbox: Outbox) -> None:
    """The answer comes in the acknowledgement; the job carries the text and response_url."""
    assert answer(intake, "Big news") == "On its way to *news*. The link will follow here."
    [job] = outbox.recent()
    assert (job.kind, job.text, job.response_url) == (
        "text",
        "Big news",
        command("")["response_url"],
    )


def test_crosspost_schedule_keeps_the_time_phrase_for_the_worker(
    intake: Intake, outbox: Outbox
) -> None:
    """The phrase is stored on the job (its own column), resolved later by the worker."""
    reply = answer(intake, "schedule tomorrow 9am Big news")
    assert reply.startswith("Scheduling a post to *news* (tomorrow 9am)")
    [job] = outbox.recent()
    assert job.when == "tomorrow 9am" and job.text == "Big news" and job.scheduled_for is None


def test_crosspost_in_an_unrouted_channel_queues_nothing(intake: Intake, outbox: Outbox) -> None:
    """The person is told the channel has no route; nothing is stored."""
    assert OTHER in answer(intake, "Big news", channel=OTHER)
    assert outbox.recent() == []
