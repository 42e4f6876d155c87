"""Delivery you can trust, in process: outages, races, scheduled posts across a restart."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from bridge_standins.amity import FakeAmity
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender, reaction_added_body
from bridge_standins.stack import AMITY_TOKEN, COMMUNITY, NEWS, SIGNING_SECRET, TEAM, start_stack

from bridge.delivery.outbox import JobState
from tests.e2e import MovableClock, find_job, job_state, wait_retrying


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


def test_amity_unreachable_then_back(
    tmp_path: Path, clock: MovableClock, database_url: str
) -> None:
    """Connection refused for a while: the job waits, the person is told once that it is
    delayed, then it posts once when Amity is back."""
    stack = start_stack(tmp_path, clock=clock, database_url=database_url)
    port = int(stack.amity.url.rsplit(":", 1)[1])
    stack.amity.stop()
    revived: FakeAmity | None = None
    try:
        msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "after the outage"})
        with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
            assert (
                slack.reaction(
                    user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"]
                ).status_code
                == 200
            )
        for attempt in (1, 2):
            wait_retrying(stack, msg["ts"], attempt)
            job = find_job(stack, msg["ts"])
            assert job is not None and "could not be reached" in (job.last_error or "")
            clock.advance(timedelta(minutes=15))
        revived = FakeAmity(token=AMITY_TOKEN, port=port).start()
        revived.add_community(COMMUNITY, "Announcements")
        clock.advance(timedelta(minutes=15))
        wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
        assert [p["data"]["text"] for p in revived.posts] == ["after the outage"]
        [notice] = stack.slack.ephemerals
        assert notice.text.startswith("Delayed: Amity is unavailable")
        assert len(stack.slack.posted) == 1
    finally:
        stack.stop()
        if revived is not None:
            revived.stop()


def test_simultaneous_reactions_and_redeliveries(tmp_path: Path, database_url: str) -> None:
    """Two people reacting at the same moment plus 4 deliveries of one event: one post."""
    stack = start_stack(tmp_path, database_url=database_url)
    try:
        msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "race"})
        body = reaction_added_body(
            team_id=TEAM,
            user="U0BOB0001",
            reaction="mega",
            channel=NEWS,
            ts=msg["ts"],
            event_id="Ev0SAME",
        )
        barrier = threading.Barrier(6)
        codes: list[int] = []

        def send(user: str | None, retry: int | None) -> None:
            with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
                barrier.wait()
                if user is None:
                    codes.append(slack.post(body, "application/json", retry_num=retry).status_code)
                else:
                    codes.append(
                        slack.reaction(
                            user=user, reaction="mega", channel=NEWS, ts=msg["ts"]
                        ).status_code
                    )

        plan = [
            (None, None),
            (None, 1),
            (None, 2),
            (None, 3),
            ("U0ALICE01", None),
            ("U0CAROL01", None),
        ]
        threads = [threading.Thread(target=send, args=p) for p in plan]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert codes == [200] * 6
        wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
        assert stack.amity.post_count() == 1
        assert len(stack.slack.posted) == 1
        assert len(stack.bridge.outbox.recent()) == 1
    finally:
        stack.stop()


def test_scheduled_post_survives_a_restart(
    tmp_path: Path, clock: MovableClock, database_url: str
) -> None:
    """schedule → confirmation with its number → restart → goes out when its time comes."""
    first = start_stack(tmp_path, clock=clock, database_url=database_url)
    try:
        with SlackSender(first.events_url, SIGNING_SECRET) as slack:
            answer = slack.command(
                "schedule tomorrow 9am Doors open at ten",
                channel_id=NEWS,
                user_id="U0BOB0001",
                response_url=first.slack.response_url("sched"),
            )
            assert "Scheduling a post to *announcements* (tomorrow 9am)" in answer.json()["text"]
            wait_for(lambda: len(first.slack.responses) == 1)
            confirmation = first.slack.responses[0].body["text"]
            listing = slack.command(
                "scheduled",
                channel_id=NEWS,
                user_id="U0BOB0001",
                response_url=first.slack.response_url("list"),
            ).json()["text"]
        job = find_job(first, ":cmd:")
        assert job is not None and job.scheduled_for is not None
        assert f"Scheduled post #{job.id} to *announcements*" in confirmation
        assert "09:00 CET" in confirmation
        assert f"#{job.id}" in listing and "Doors open at ten" in listing
        assert first.amity.posts == []
    finally:
        first.stop()
    clock.advance(job.scheduled_for - clock() + timedelta(seconds=1))
    second = start_stack(tmp_path, clock=clock, database_url=database_url)
    try:
        wait_for(lambda: job_state(second, ":cmd:") is JobState.done)
        [body] = second.amity.posts
        assert body["data"]["text"] == "Doors open at ten"
        assert body["createdAt"].startswith(job.scheduled_for.strftime("%Y-%m-%dT%H:%M"))
        [reply] = second.slack.posted
        assert reply.channel == NEWS and body["postId"] in reply.text
    finally:
        second.stop()


def test_cancel_a_scheduled_post(tmp_path: Path, clock: MovableClock) -> None:
    """A cancelled scheduled post never goes out; only its author can cancel it."""
    stack = start_stack(tmp_path, clock=clock)
    try:
        with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
            slack.command(
                "schedule in 2h never mind",
                channel_id=NEWS,
                user_id="U0BOB0001",
                response_url=stack.slack.response_url("s"),
            )
            wait_for(
                lambda: (j := find_job(stack, ":cmd:")) is not None and j.scheduled_for is not None
            )
            job = find_job(stack, ":cmd:")
            assert job is not None
            other = slack.command(
                f"cancel {job.id}",
                channel_id=NEWS,
                user_id="U0ALICE01",
                response_url=stack.slack.response_url("o"),
            ).json()["text"]
            mine = slack.command(
                f"cancel {job.id}",
                channel_id=NEWS,
                user_id="U0BOB0001",
                response_url=stack.slack.response_url("m"),
            ).json()["text"]
        assert f"No post #{job.id} of yours" in other
        assert mine == f"Cancelled scheduled post #{job.id}."
        clock.advance(timedelta(hours=3))
        wait_for(lambda: job_state(stack, ":cmd:") is JobState.cancelled)
        stack.bridge.worker.run_due()
        assert stack.amity.posts == []
    finally:
        stack.stop()


def test_schedule_in_the_past_is_refused(tmp_path: Path, clock: MovableClock) -> None:
    """A time long past is refused at once with a reason; nothing is stored."""
    stack = start_stack(tmp_path, clock=clock)
    try:
        with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
            answer = slack.command(
                "schedule 2020-01-01 09:00 too late",
                channel_id=NEWS,
                user_id="U0BOB0001",
                response_url=stack.slack.response_url("p"),
            )
        assert "is in the past" in answer.json()["text"]
        assert job_state(stack, ":cmd:") is None
        assert stack.amity.posts == []
    finally:
        stack.stop()


def test_gives_up_after_max_attempts_and_says_why(tmp_path: Path, clock: MovableClock) -> None:
    """Amity failing every time: after BRIDGE_MAX_ATTEMPTS the person is told, in the thread."""
    stack = start_stack(tmp_path, clock=clock, BRIDGE_MAX_ATTEMPTS=2)
    try:
        stack.amity.fail_next(500, 0, "Internal error", times=10)
        msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "doomed"})
        with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
            slack.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
        wait_retrying(stack, msg["ts"], 1)
        clock.advance(timedelta(minutes=15))
        wait_for(lambda: job_state(stack, msg["ts"]) is JobState.failed)
        wait_for(lambda: len(stack.slack.ephemerals) == 1)
        notice = stack.slack.ephemerals[0]
        assert notice.thread_ts == msg["ts"] and notice.user == "U0BOB0001"
        assert "gave up after 2 attempts" in notice.text
        assert stack.amity.posts == []
    finally:
        stack.stop()


def test_slack_rate_limit_is_waited_out(tmp_path: Path, clock: MovableClock) -> None:
    """Slack 429s on the fetch: the job waits (Retry-After) and then posts once."""
    stack = start_stack(tmp_path, clock=clock)
    try:
        stack.slack.fail_next("conversations.history", "ratelimited", retry_after=1, times=2)
        msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "patience"})
        with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
            slack.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
        wait_retrying(stack, msg["ts"], 1, timeout=10)
        job = find_job(stack, msg["ts"])
        assert job is not None and "ratelimited" in (job.last_error or "")
        clock.advance(timedelta(minutes=15))
        wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
        assert stack.amity.post_count() == 1
    finally:
        stack.stop()


def test_slack_dropping_connections_is_retried_not_a_crash(
    tmp_path: Path, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack closing the connection on the fetch: a retry with a reason, no traceback."""
    stack = start_stack(tmp_path, clock=clock)
    try:
        stack.slack.drop_next("conversations.history", times=2)  # the call and its quick retry
        msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "dropped"})
        with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
            slack.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
        job = wait_retrying(stack, msg["ts"], 1)
        assert (job.last_error or "").startswith(
            "Slack could not be reached for conversations.history"
        )
        assert not [r for r in caplog.records if r.getMessage() == "bridge.job_crashed"]
        clock.advance(timedelta(minutes=5))
        wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
        assert stack.amity.post_count() == 1
    finally:
        stack.stop()
