"""Two bridge processes on one PostgreSQL under random Amity faults, Slack 429s and SIGKILLs.

Every trigger must end as exactly one post and at most one thread reply (here exactly one:
a reply that a killed process may have sent is looked up in the thread before sending it
again), and the backlog must drain. The faults are a list: each kind of failure Amity
or the network may give is one line of ``FAULTS``.
"""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import pytest
from bridge_standins.amity import FakeAmity, Fault
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender
from bridge_standins.slack import FakeSlack
from bridge_standins.stack import NEWS, SIGNING_SECRET

from bridge.delivery.outbox import JobState, Outbox, make_engine
from tests.conftest import postgres_url, reset_postgres
from tests.processes import Process, environment

TRIGGERS = 30
FAULT_RATE = 0.25  # per create-post request; retries back off 2, 4, 8 s...: keep runs short
FAULTS = [
    Fault.hang_up(),  # the connection dropped before the post is created
    Fault.lost_answer(),  # the post is created, then a proxy answers 502
    Fault.lost_answer(hang_up=True),  # the post is created, then the connection dropped
    Fault.slow(1.5),  # a slow answer (less than a lease, more than a heartbeat)
    Fault.error(502, None),  # a proxy's error pages
    Fault.error(503, None),
    Fault.error(429, 400311, "RateLimit Exceed."),
    Fault.error(500, 500000, "Unexpected error"),  # Amity's own server fault
]


def start(tmp_path: Path, slack: FakeSlack, amity: FakeAmity, url: str) -> Process:
    env = environment(
        tmp_path,
        slack,
        amity,
        DATABASE_URL=url,
        BRIDGE_LEASE_SECONDS="2",
        BRIDGE_WORKERS="4",
        BRIDGE_SHUTDOWN_SECONDS="5",
    )
    return Process(env, tmp_path)


def kill_and_restart(
    process: Process, tmp_path: Path, slack: FakeSlack, amity: FakeAmity, url: str
) -> Process:
    process.proc.send_signal(signal.SIGKILL)
    assert process.proc.wait(timeout=10) == -signal.SIGKILL
    process.output()
    slack.fail_next("chat.postMessage", "ratelimited", times=3)  # Slack is busy again
    again = start(tmp_path, slack, amity, url)
    again.port()
    return again


@pytest.mark.postgres
def test_two_instances_under_faults_and_kills_post_each_trigger_once(
    tmp_path: Path, fakes: tuple[FakeSlack, FakeAmity]
) -> None:
    """Faults, 429s and a SIGKILL of each instance: one post per trigger, ≤ 1 reply, drained."""
    slack, amity = fakes
    url = postgres_url()
    reset_postgres(url)
    box = Outbox(make_engine(url))
    chaos = amity.chaos(FAULTS, FAULT_RATE, seed=8)
    slack.fail_next("chat.postMessage", "ratelimited", times=3)
    first = start(tmp_path, slack, amity, url)
    second = start(tmp_path, slack, amity, url)
    messages = [
        slack.add_message(NEWS, {"user": "U0ALICE01", "text": f"trigger {n}"})
        for n in range(TRIGGERS)
    ]
    try:
        urls = [f"http://127.0.0.1:{p.port()}/slack/events" for p in (first, second)]
        for n, message in enumerate(messages):
            with SlackSender(urls[n % 2], SIGNING_SECRET) as sender:
                answer = sender.reaction(
                    user="U0BOB0001", reaction="mega", channel=NEWS, ts=message["ts"]
                )
                assert answer.status_code == 200
        wait_for(lambda: amity.post_count() >= TRIGGERS // 3, timeout=60)
        first = kill_and_restart(first, tmp_path, slack, amity, url)
        wait_for(lambda: amity.post_count() >= 2 * TRIGGERS // 3, timeout=60)
        second = kill_and_restart(second, tmp_path, slack, amity, url)
        amity.chaos([], 0.0)  # Amity recovers: what is left drains
        wait_for(lambda: box.count_by_state()[JobState.done] == TRIGGERS, timeout=120)
        jobs = box.recent(limit=TRIGGERS + 1)
    finally:
        for process in (first, second):
            if process.proc.poll() is None:
                process.proc.kill()
            process.proc.wait(timeout=30)
            process.output()
        box.engine.dispose()
    posted_ids = {p["postId"] for p in amity.stored_posts}
    assert len(jobs) == TRIGGERS
    assert posted_ids == {job.post_id for job in jobs}
    assert sorted(p["data"]["text"] for p in amity.posts) == sorted(
        f"trigger {n}" for n in range(TRIGGERS)
    )
    replies = Counter(p.thread_ts for p in slack.posted)
    assert replies == Counter(m["ts"] for m in messages)  # one reply in each thread
    assert sum(chaos.drawn.values()) >= 5  # the faults did happen
    assert len(slack.calls_to("chat.postMessage")) > len(slack.posted)  # and the 429s
