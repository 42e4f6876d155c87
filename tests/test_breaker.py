"""The circuit breaker at the worker's seams: the real outbox (SQLite and PostgreSQL) on a
clock that moves only when told, Amity over ``httpx.MockTransport``, Slack in memory.

An outage opens Amity's circuit; while it is open one job at a time probes Amity and the
others wait without calling it (each still gets its one "delayed" notice); the probe that
gets through makes every waiting job due at once, in the order they came."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from bridge.delivery.attach import Attacher
from bridge.delivery.breaker import circuit_of, probe_delay
from bridge.delivery.files import Downloader
from bridge.delivery.jobs import circuits, jobs
from bridge.delivery.outbox import Job, JobState, Outbox
from bridge.delivery.people import People
from bridge.delivery.replies import Replies
from bridge.delivery.worker import Worker
from bridge.failures import Retryable
from bridge.settings import MentionStrategy
from bridge.slack.api import SlackRetryable
from bridge.slack.message import SlackMessage
from tests.amity_double import AmityDouble
from tests.slack_double import SlackDouble
from tests.test_worker import NEWS, POLICY, ROUTES, message_job, post_url

TS = [f"1700000000.00010{n}" for n in range(3)]
DOWN = {"status": "error", "code": 500000, "message": "Unexpected error"}


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 4, 9, 0)

    def __call__(self) -> datetime:
        return self.now


class FlakyAmity(AmityDouble):
    """Amity answering 500 / 500000 to every create-post while ``down``."""

    down: bool = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down and request.url.path == "/api/v4/posts":
            request.read()
            self.requests.append(request)
            return httpx.Response(500, json=DOWN)
        return super().handle(request)

    def creates(self) -> int:
        return len(self.posts())


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def box(outbox: Outbox, clock: Clock) -> Outbox:
    return Outbox(outbox.engine, clock)


@pytest.fixture
def slack() -> SlackDouble:
    double = SlackDouble()
    for n, ts in enumerate(TS):
        double.messages[NEWS, ts] = SlackMessage(ts=ts, user="U0ALICE01", text=f"post {n}")
    return double


@pytest.fixture
def amity() -> FlakyAmity:
    return FlakyAmity()


@pytest.fixture
def worker(box: Outbox, slack: SlackDouble, amity: FlakyAmity) -> Iterator[Worker]:
    client = amity.client()
    downloads = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(404)))
    download = Downloader(downloads, "xoxb-t", "https://slack.com/api/")
    attacher = Attacher(slack, client, download, max_bytes=10**7, parallel=2)
    people = People(MentionStrategy.map, slack, ROUTES.users)
    worker = Worker(
        box, slack, client, lambda: ROUTES, post_url, attacher, Replies(slack), POLICY, people
    )
    yield worker
    worker.close()
    client.close()
    downloads.close()


def run_due(box: Outbox, worker: Worker) -> list[Job]:
    """Claim every due job and run each, in order; the jobs claimed."""
    claimed = box.claim(10, POLICY.lease)
    for job in claimed:
        worker.run_held(job)
    return claimed


def stored(box: Outbox, count: int = 3) -> list[Job]:
    found = [box.get_by_key(message_job(ts).key) for ts in TS[:count]]
    assert all(job is not None for job in found)
    return [job for job in found if job is not None]


def circuit(box: Outbox) -> dict[str, object]:
    with box.engine.connect() as conn:
        row = conn.execute(select(circuits).where(circuits.c.service == "amity")).mappings().one()
    return dict(row)


def postpone(box: Outbox, until: datetime) -> None:
    """As if the waiting jobs had been failing for long: their own retries far ahead."""
    with box.engine.begin() as conn:
        conn.execute(update(jobs).where(jobs.c.state == JobState.pending).values(next_run_at=until))


def fail_all(box: Outbox, worker: Worker, amity: FlakyAmity) -> None:
    """The three jobs, each tried once while Amity is down."""
    amity.down = True
    for ts in TS:
        box.enqueue(message_job(ts))
    assert len(run_due(box, worker)) == 3
    assert amity.creates() == 3


def test_an_outage_opens_the_circuit_and_the_jobs_wait_on_amity(
    box: Outbox, worker: Worker, amity: FlakyAmity, clock: Clock
) -> None:
    """A 500 from Amity: each job pending, waiting on Amity; the circuit open, its first
    probe a second away."""
    fail_all(box, worker, amity)
    assert [(j.state, j.waiting_on) for j in stored(box)] == [(JobState.pending, "amity")] * 3
    row = circuit(box)
    assert row["failing_since"] == clock.now and row["probe_at"] == clock.now + probe_delay(1)


def test_while_amity_is_down_one_probe_at_a_time_calls_it(
    box: Outbox, worker: Worker, amity: FlakyAmity, clock: Clock
) -> None:
    """Every job's own retry has come, but only the probe calls Amity; the others are
    sent back without a request. A failed probe waits longer before the next one."""
    fail_all(box, worker, amity)
    clock.now += timedelta(minutes=10)  # past every job's backoff and the first probe
    worker.breaker.tick()
    probe = circuit(box)["probe_job"]
    assert probe in [j.id for j in stored(box)]
    worker.breaker.tick()  # a second tick while the probe is out starts no other
    assert circuit(box)["probe_job"] == probe
    assert len(run_due(box, worker)) == 3
    assert amity.creates() == 4  # the probe's request only
    row = circuit(box)
    assert row["probe_job"] is None and row["failures"] == 2
    assert row["probe_at"] == clock.now + probe_delay(2)
    assert all(j.waiting_on == "amity" and j.attempts == 2 for j in stored(box))
    postpone(box, clock.now + timedelta(hours=1))
    clock.now += timedelta(seconds=1)  # before the next probe: nothing is due
    worker.breaker.tick()
    assert run_due(box, worker) == []
    clock.now += timedelta(seconds=1)
    worker.breaker.tick()  # the next probe: the oldest job again, alone
    assert [j.id for j in run_due(box, worker)] == [stored(box)[0].id]
    assert amity.creates() == 5


def test_the_probe_that_gets_through_makes_every_waiting_job_due_at_once(
    box: Outbox, worker: Worker, amity: FlakyAmity, slack: SlackDouble, clock: Clock
) -> None:
    """Amity is back: the next probe posts, the circuit closes, and the other jobs are due
    now (not at their own retry an hour away), oldest first, each posted once."""
    fail_all(box, worker, amity)
    later = clock.now + timedelta(hours=1)
    postpone(box, later)
    amity.down = False
    clock.now += probe_delay(1)
    worker.breaker.tick()
    (probe,) = run_due(box, worker)
    assert probe.id == stored(box)[0].id  # the oldest waiting job probes
    assert circuit(box)["failing_since"] is None
    waiting = stored(box)[1:]
    assert [j.waiting_on for j in waiting] == [None, None]
    soon = clock.now + timedelta(seconds=1)  # released a few ms apart, in order
    assert all(j.next_run_at is not None and j.next_run_at < soon for j in waiting)
    clock.now = soon
    assert [j.id for j in run_due(box, worker)] == [j.id for j in waiting]
    assert [j.state for j in stored(box)] == [JobState.done] * 3
    assert [p["data"]["text"] for p in amity.posts()][3:] == ["post 0", "post 1", "post 2"]
    assert len(slack.replies) == 3 and slack.ephemerals == []


def test_a_job_kept_waiting_by_the_circuit_is_told_once_that_it_is_delayed(
    box: Outbox, worker: Worker, amity: FlakyAmity, slack: SlackDouble, clock: Clock
) -> None:
    """A job sent back by the open circuit still gets its one "delayed" notice once it
    has been failing for a minute, and no second one."""
    amity.down = True
    box.enqueue(message_job(TS[0]))
    run_due(box, worker)
    for _ in range(3):  # its own retries come; no probe started (no tick)
        clock.now += timedelta(minutes=6)
        assert len(run_due(box, worker)) == 1
    assert amity.creates() == 1
    [notice] = slack.ephemerals
    assert notice.text.startswith("Delayed: Amity is unavailable")
    (job,) = stored(box, 1)
    assert job.progress.delay_notice_sent and job.waiting_on == "amity"
    amity.down = False
    worker.breaker.tick()
    run_due(box, worker)
    assert stored(box, 1)[0].state is JobState.done and len(slack.ephemerals) == 1


def test_a_rate_limit_does_not_open_the_circuit(
    box: Outbox, worker: Worker, amity: FlakyAmity
) -> None:
    """A 429 proves Amity answers: the job waits the time asked, on no circuit."""
    amity.answer(
        "/api/v4/posts", 429, {"status": "error", "code": 400311, "message": "RateLimit Exceed."}
    )
    box.enqueue(message_job(TS[0]))
    run_due(box, worker)
    (job,) = stored(box, 1)
    assert job.state is JobState.pending and job.waiting_on is None
    with box.engine.connect() as conn:
        assert conn.execute(select(circuits)).first() is None


def test_a_probe_whose_process_died_is_replaced_after_its_lease(
    box: Outbox, worker: Worker, amity: FlakyAmity, clock: Clock
) -> None:
    """The probe was never run (its process died): after a lease another job probes."""
    fail_all(box, worker, amity)
    postpone(box, clock.now + timedelta(hours=1))
    clock.now += probe_delay(1)
    worker.breaker.tick()
    first = circuit(box)["probe_job"]
    box.claim(1, POLICY.lease)  # claimed, then the process dies
    clock.now += POLICY.lease + timedelta(seconds=1)
    worker.breaker.tick()
    second = circuit(box)["probe_job"]
    assert second is not None and second != first


def test_a_circuit_nothing_waits_on_closes(
    box: Outbox, worker: Worker, amity: FlakyAmity, clock: Clock
) -> None:
    """The waiting jobs were cancelled: at the next probe time the circuit closes."""
    fail_all(box, worker, amity)
    for job in stored(box):
        assert box.cancel(job.id, "T1", "U0BOB0001")
    clock.now += probe_delay(1)
    worker.breaker.tick()
    assert circuit(box)["failing_since"] is None


def test_a_job_left_waiting_on_a_closed_circuit_is_freed_at_the_next_tick(
    box: Outbox, worker: Worker, amity: FlakyAmity, clock: Clock
) -> None:
    """A job sent back just as another process closed the circuit is not left to its own
    backoff: the next tick makes it due."""
    fail_all(box, worker, amity)
    postpone(box, clock.now + timedelta(hours=1))
    with box.engine.begin() as conn:  # closed elsewhere, these three sent back meanwhile
        conn.execute(update(circuits).values(failing_since=None))
    worker.breaker.tick()
    assert all(j.waiting_on is None for j in stored(box))
    clock.now += timedelta(seconds=1)
    assert len(run_due(box, worker)) == 3


@pytest.mark.parametrize(
    ("error", "circuit"),
    [
        (SlackRetryable("Slack conversations.history failed: HTTP 503", "", None), "slack"),
        (SlackRetryable("Slack chat.postMessage failed: ratelimited", "ratelimited", None), None),
        (SlackRetryable("Slack chat.postMessage failed: ratelimited", "ratelimited", 30.0), None),
        (Retryable("the download timed out"), None),
    ],
)
def test_which_failures_open_a_circuit(error: Retryable, circuit: str | None) -> None:
    """A Slack outage opens Slack's circuit; its rate limits, with or without a wait, and
    failures of no named service open none."""
    assert circuit_of(error) == circuit
