"""Long outages on a compressed clock: posts wait, the person hears once that they are
delayed (never that they failed), and everything goes out once the service is back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from bridge_standins.amity import Fault
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender
from bridge_standins.stack import NEWS, SIGNING_SECRET, LocalStack, start_stack
from sqlalchemy import update

from bridge.delivery.jobs import circuits
from bridge.delivery.outbox import Job, JobState, jobs
from tests.e2e import MovableClock, find_job, job_state

CAP = timedelta(seconds=10)  # BRIDGE_BACKOFF_CAP_SECONDS
NOTICE_AFTER = timedelta(seconds=30)  # BRIDGE_DELAY_NOTICE_SECONDS
FAILURES = 12  # more failed attempts than the old limit of 8 allowed
Outage = Callable[[LocalStack], None]


def amity_server_fault(stack: LocalStack) -> None:
    """Amity's documented server fault on every create-post: HTTP 500, code 500000."""
    stack.amity.fail_next(500, 500000, "Unexpected error", times=FAILURES)


def amity_unreachable(stack: LocalStack) -> None:
    """Amity closes every connection without answering."""
    stack.amity.drop_next(times=FAILURES)


def slack_server_fault(stack: LocalStack) -> None:
    """Slack answers 503 to the message fetch."""
    stack.slack.fail_next(
        "conversations.history", "service_unavailable", status=503, times=FAILURES
    )


def tries(stack: LocalStack, service: str) -> int:
    """The requests made to the failing service: create-posts, or message fetches."""
    if service == "Slack":
        return len(stack.slack.calls_to("conversations.history"))
    return sum(1 for r in stack.amity.requests if r.path == "/api/v4/posts")


def tried(stack: LocalStack, count: int) -> Callable[[], bool]:
    """Whether Amity has had ``count`` create-post requests."""
    return lambda: tries(stack, "Amity") >= count


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def stack(tmp_path: Path, clock: MovableClock, database_url: str) -> Iterator[LocalStack]:
    running = start_stack(
        tmp_path,
        clock=clock,
        database_url=database_url,
        BRIDGE_BACKOFF_CAP_SECONDS=CAP.total_seconds(),
        BRIDGE_DELAY_NOTICE_SECONDS=NOTICE_AFTER.total_seconds(),
    )
    yield running
    running.stop()


def wait_out(stack: LocalStack, clock: MovableClock, key_part: str) -> Job:
    """After each failed attempt, move the clock past the (capped) backoff; return the job
    once it is done. (An attempt while the circuit is open and another probe is due makes
    no request: attempts may run ahead of the faults.)"""
    for attempt in range(1, 100):

        def settled(attempt: int = attempt) -> bool:
            job = find_job(stack, key_part)
            waiting = job is not None and job.state is JobState.pending and job.attempts >= attempt
            return waiting or (job is not None and job.state is JobState.done)

        wait_for(settled, message=f"attempt {attempt} to settle")
        job = find_job(stack, key_part)
        assert job is not None and job.state is not JobState.failed
        if job.state is JobState.done:
            return job
        clock.advance(CAP)
    raise AssertionError("the job never finished")


@pytest.mark.parametrize(
    ("outage", "service"),
    [(amity_server_fault, "Amity"), (amity_unreachable, "Amity"), (slack_server_fault, "Slack")],
)
def test_outage_delays_a_reaction_and_tells_the_person_once(
    stack: LocalStack, clock: MovableClock, outage: Outage, service: str
) -> None:
    """12 failed attempts over 2 minutes, then recovery: one post, one private "delayed"
    notice in the thread, no failure message, then the usual thread reply."""
    outage(stack)
    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "through the storm"})
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        answer = slack.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
    assert answer.status_code == 200
    job = wait_out(stack, clock, msg["ts"])
    assert tries(stack, service) == FAILURES + 1  # every fault taken, then one success
    assert job.attempts >= FAILURES + 1
    assert [p["data"]["text"] for p in stack.amity.posts] == ["through the storm"]
    [notice] = stack.slack.ephemerals
    assert notice.user == "U0BOB0001" and notice.thread_ts == msg["ts"]
    assert notice.text.startswith(f"Delayed: {service} is unavailable")
    assert "will be shared to *announcements* as soon as it is back" in notice.text
    assert "fail" not in notice.text.lower() and "could not" not in notice.text.lower()
    [reply] = stack.slack.posted
    assert reply.thread_ts == msg["ts"] and job.post_id in reply.text
    assert job.progress.delay_notice_sent is True


def test_outage_delays_a_command_and_answers_through_its_response_url(
    stack: LocalStack, clock: MovableClock
) -> None:
    """/crosspost <text> during an Amity outage: the notice is the command's private
    answer, then the link comes in the channel."""
    amity_server_fault(stack)
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        ack = slack.command(
            "Doors open at ten",
            channel_id=NEWS,
            user_id="U0BOB0001",
            response_url=stack.slack.response_url("outage"),
        )
    assert "On its way" in ack.json()["text"]
    job = wait_out(stack, clock, ":cmd:")
    assert stack.amity.post_count() == 1
    notice, link = (r.body for r in stack.slack.responses)
    assert notice["response_type"] == "ephemeral"
    assert notice["text"].startswith("Delayed: Amity is unavailable")
    assert link["response_type"] == "in_channel" and job.post_id in link["text"]
    assert stack.slack.ephemerals == []


def test_a_short_hiccup_tells_nobody(stack: LocalStack, clock: MovableClock) -> None:
    """Two failures within the notice threshold: the post goes out with no notice."""
    stack.amity.fail_next(500, 500000, "Unexpected error", times=2)
    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "a blip"})
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        slack.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
    job = wait_out(stack, clock, msg["ts"])
    # two refused create-posts and the one that worked (attempts the open circuit turned
    # away make no request)
    assert tries(stack, "Amity") == 3 and job.attempts >= 3
    assert stack.amity.post_count() == 1
    assert stack.slack.ephemerals == [] and len(stack.slack.posted) == 1


def test_the_notice_for_a_thread_reply_goes_to_its_thread(
    stack: LocalStack, clock: MovableClock
) -> None:
    """A reply in a thread, shared during an outage: the notice and the link both go to
    the thread it belongs to."""
    amity_server_fault(stack)
    parent = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "thread start"})
    child = stack.slack.add_message(
        NEWS, {"user": "U0ALICE01", "text": "the reply", "thread_ts": parent["ts"]}
    )
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        slack.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=child["ts"])
    wait_out(stack, clock, child["ts"])
    [notice] = stack.slack.ephemerals
    [reply] = stack.slack.posted
    assert notice.thread_ts == reply.thread_ts == parent["ts"]


def test_an_hour_long_outage_with_default_settings(
    tmp_path: Path, clock: MovableClock, database_url: str
) -> None:
    """Default settings, Amity answering 500 / 500000 for 65 minutes of a compressed clock
    (13 tries, 5 minutes apart at most): one post after it, one notice, the thread reply."""
    stack = start_stack(tmp_path, clock=clock, database_url=database_url)
    try:
        stack.amity.fail_next(500, 500000, "Unexpected error", times=13)
        msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "after an hour"})
        with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
            slack.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
        for failed in range(1, 14):
            wait_for(tried(stack, failed))
            wait_for(lambda: job_state(stack, msg["ts"]) is JobState.pending)
            job = find_job(stack, msg["ts"])
            assert job is not None and job.next_run_at is not None
            assert job.next_run_at - clock() <= timedelta(minutes=5)  # the backoff cap
            clock.advance(timedelta(minutes=5))
        wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
        assert stack.amity.post_count() == 1 and tries(stack, "Amity") == 14
        [notice] = stack.slack.ephemerals
        assert notice.text.startswith("Delayed: Amity is unavailable")
        [reply] = stack.slack.posted
        assert reply.thread_ts == msg["ts"]
    finally:
        stack.stop()


def test_after_an_outage_the_waiting_posts_are_due_at_once_in_the_order_they_came(
    stack: LocalStack, clock: MovableClock
) -> None:
    """Three reactions during an Amity outage, their own retries an hour away: one probe
    at a time tries Amity (the others make no request); when a probe gets through, the
    other two are due at once, oldest first, and each is posted once."""
    stack.amity.chaos([Fault.error(500, 500000, "Unexpected error")], rate=1.0)
    stamps = []
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        for n in range(3):
            msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": f"storm {n}"})
            slack.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
            stamps.append(str(msg["ts"]))
            wait_for(lambda: find_job(stack, stamps[-1]) is not None)

    def jobs_now() -> list[Job]:
        found = [find_job(stack, ts) for ts in stamps]
        return [job for job in found if job is not None]

    def all_waiting() -> bool:
        return [(j.state, j.waiting_on) for j in jobs_now()] == [(JobState.pending, "amity")] * 3

    wait_for(all_waiting, message="the three jobs to wait on Amity")
    later = clock() + timedelta(hours=1)
    with stack.bridge.outbox.engine.begin() as conn:  # as if they had been failing for long
        conn.execute(update(jobs).where(jobs.c.state == JobState.pending).values(next_run_at=later))
        conn.execute(update(circuits).values(probe_at=clock() + timedelta(seconds=5)))
    before, attempts = tries(stack, "Amity"), [j.attempts for j in jobs_now()]
    clock.advance(timedelta(seconds=6))  # the next probe: the oldest job, Amity still down
    wait_for(lambda: tries(stack, "Amity") == before + 1 and all_waiting(), message="a probe")
    assert [j.attempts for j in jobs_now()] == [attempts[0] + 1, *attempts[1:]]
    stack.amity.chaos([], 0.0)  # Amity is back
    clock.advance(timedelta(seconds=6))  # the next probe gets through
    wait_for(lambda: [j.state for j in jobs_now()] == [JobState.done] * 3)
    _, second, third = jobs_now()
    assert tries(stack, "Amity") == before + 1 + 3 and stack.amity.post_count() == 3
    assert [second.attempts, third.attempts] == [attempts[1] + 1, attempts[2] + 1]
    assert second.next_run_at is not None and third.next_run_at is not None
    assert second.next_run_at < third.next_run_at < later  # released in order, not an hour on
    assert {p["data"]["text"] for p in stack.amity.posts} == {"storm 0", "storm 1", "storm 2"}
    assert stack.amity.posts[0]["data"]["text"] == "storm 0"  # the probe went first
    assert len(stack.slack.posted) == 3 and stack.slack.ephemerals == []
