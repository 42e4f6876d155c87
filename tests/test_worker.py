"""The worker at its seams: the real outbox (SQLite and PostgreSQL), Amity over
``httpx.MockTransport``, Slack as an in-memory ``SlackPort``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from bridge.delivery.attach import Attacher
from bridge.delivery.files import Downloader
from bridge.delivery.outbox import Job, JobState, NewJob, Outbox
from bridge.delivery.people import People
from bridge.delivery.progress import Progress
from bridge.delivery.replies import Replies
from bridge.delivery.worker import Policy, Worker
from bridge.routes import Route, RoutesConfig
from bridge.settings import MentionStrategy
from bridge.slack.changes import TAKE_BACK
from bridge.slack.message import SlackMessage
from tests.amity_double import AmityDouble
from tests.slack_double import SlackDouble

NEWS = "C0NEWS0001"
ROUTES = RoutesConfig(routes=[Route(name="news", channels=[NEWS], emoji="mega", community="c1")])
POLICY = Policy(
    workers=1,
    max_attempts=None,
    max_age=timedelta(hours=24),
    lease=timedelta(seconds=20),
    backoff_cap=timedelta(minutes=5),
    notice_after=timedelta(seconds=60),
)


def post_url(post_id: str, community_id: str) -> str:
    return f"https://community.example.com/{community_id}/{post_id}"


@pytest.fixture
def slack() -> SlackDouble:
    double = SlackDouble()
    double.messages[NEWS, "1700000000.000100"] = SlackMessage(
        ts="1700000000.000100", user="U0ALICE01", text="Hello <@U0BOB0001>"
    )
    double.names["U0BOB0001"] = "Bob"
    return double


@pytest.fixture
def amity() -> AmityDouble:
    return AmityDouble()


@pytest.fixture
def worker(outbox: Outbox, slack: SlackDouble, amity: AmityDouble) -> Iterator[Worker]:
    client = amity.client()
    downloads = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(404)))
    attacher = Attacher(
        slack,
        client,
        Downloader(downloads, "xoxb-t", "https://slack.com/api/"),
        max_bytes=10_000_000,
        parallel=2,
    )
    people = People(MentionStrategy.map, slack, ROUTES.users)
    replies = Replies(slack)
    worker = Worker(
        outbox, slack, client, lambda: ROUTES, post_url, attacher, replies, POLICY, people
    )
    yield worker
    worker.close()
    client.close()
    downloads.close()


def message_job(ts: str = "1700000000.000100") -> NewJob:
    return NewJob(
        key=f"T1:{NEWS}:{ts}:c1",
        kind="message",
        team_id="T1",
        channel_id=NEWS,
        route_name="news",
        community_id="c1",
        post_id=f"slack-{ts}",
        requested_by="U0BOB0001",
        message_ts=ts,
    )


def run_once(outbox: Outbox, worker: Worker) -> Job:
    """Claim the due job, run it, and read it back."""
    (job,) = outbox.claim(1, POLICY.lease)
    worker.run_held(job)
    stored = outbox.get(job.id)
    assert stored is not None
    return stored


def test_a_message_is_posted_and_the_link_replied_in_its_thread(
    outbox: Outbox, worker: Worker, slack: SlackDouble, amity: AmityDouble
) -> None:
    """Fetch, post with the job's postId and the names filled in, reply, react, done."""
    outbox.enqueue(message_job())
    job = run_once(outbox, worker)
    [post] = amity.posts()
    assert post["postId"] == "slack-1700000000.000100" and post["targetId"] == "c1"
    assert post["data"]["text"] == "Hello @Bob"
    [reply] = slack.replies
    assert reply.thread_ts == "1700000000.000100"
    assert reply.text == (
        "Shared to *news* by <@U0BOB0001>: https://community.example.com/c1/slack-1700000000.000100"
    )
    assert reply.blocks is not None  # the reply offers the take-back button for this post
    [button] = reply.blocks[-1]["elements"]
    assert button["action_id"] == TAKE_BACK and button["value"] == "slack-1700000000.000100"
    assert slack.reactions == [(NEWS, "1700000000.000100", "white_check_mark")]
    assert job.state is JobState.done and job.post_url == reply.text.rsplit(" ", 1)[1]
    assert job.progress.post_created and job.progress.reply_sent
    assert job.progress.message is not None and job.progress.message.text == "Hello <@U0BOB0001>"


def test_a_retry_resumes_after_the_steps_already_done(
    outbox: Outbox, worker: Worker, slack: SlackDouble, amity: AmityDouble
) -> None:
    """With the message saved and the post created, a retry only replies."""
    new, _ = outbox.enqueue(message_job())
    saved = SlackMessage(ts="1700000000.000100", user="U0ALICE01", text="saved copy")
    outbox.save_progress(new.id, Progress(message=saved, post_created=True))
    job = run_once(outbox, worker)
    assert amity.posts() == [] and slack.fetched == []
    assert len(slack.replies) == 1 and job.state is JobState.done


def test_a_post_that_already_exists_counts_as_created(
    outbox: Outbox, worker: Worker, slack: SlackDouble, amity: AmityDouble
) -> None:
    """Amity's 400315 (the postId is taken) means an earlier attempt made the post."""
    amity.answer("/api/v4/posts", 400, {"status": "error", "code": 400315, "message": "taken"})
    outbox.enqueue(message_job())
    job = run_once(outbox, worker)
    assert job.state is JobState.done and len(slack.replies) == 1


def test_an_amity_outage_sends_the_job_back_with_its_reason(
    outbox: Outbox, worker: Worker, slack: SlackDouble, amity: AmityDouble
) -> None:
    """A 500 is temporary: pending again, the reason kept, the message not lost."""
    amity.answer("/api/v4/posts", 500, {"status": "error", "code": 500000, "message": "down"})
    outbox.enqueue(message_job())
    job = run_once(outbox, worker)
    assert job.state is JobState.pending and job.attempts == 1
    assert job.last_error == "down"  # Amity's own words
    assert job.progress.failing_since is not None and not job.progress.post_created
    assert job.progress.message is not None
    assert slack.replies == [] and slack.ephemerals == []


def test_a_refused_post_fails_and_tells_the_person_privately(
    outbox: Outbox, worker: Worker, slack: SlackDouble, amity: AmityDouble
) -> None:
    """A permanent refusal ends the job; only the person who reacted hears why."""
    amity.answer("/api/v4/posts", 403, {"status": "error", "code": 400300, "message": "no"})
    outbox.enqueue(message_job())
    job = run_once(outbox, worker)
    assert job.state is JobState.failed
    [notice] = slack.ephemerals
    assert notice.user == "U0BOB0001" and notice.thread_ts == "1700000000.000100"
    assert notice.text.startswith("Could not share this message to *news*: ")
    assert slack.replies == []


def test_the_bridges_own_message_is_cancelled_without_a_post(
    outbox: Outbox, worker: Worker, slack: SlackDouble, amity: AmityDouble
) -> None:
    """The bridge never cross-posts its own messages (its thread replies)."""
    slack.messages[NEWS, "1700000000.000200"] = SlackMessage(
        ts="1700000000.000200", bot_id=slack.own_bot_id(), text="Shared to news"
    )
    outbox.enqueue(message_job("1700000000.000200"))
    job = run_once(outbox, worker)
    assert job.state is JobState.cancelled and amity.posts() == [] and slack.replies == []


def test_another_apps_message_is_posted(
    outbox: Outbox, worker: Worker, slack: SlackDouble, amity: AmityDouble
) -> None:
    """A message another app or a workflow wrote is shared like anyone's."""
    slack.messages[NEWS, "1700000000.000300"] = SlackMessage(
        ts="1700000000.000300", bot_id="B0WORKFLOW", subtype="bot_message", text="Weekly digest"
    )
    outbox.enqueue(message_job("1700000000.000300"))
    job = run_once(outbox, worker)
    assert job.state is JobState.done
    assert [p["data"]["text"] for p in amity.posts()] == ["Weekly digest"]
