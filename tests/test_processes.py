"""Delivery across real processes: SIGKILL mid-job, SIGTERM under load, two workers."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from bridge_standins.amity import FakeAmity
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender
from bridge_standins.slack import FakeSlack
from bridge_standins.stack import COMMUNITY, NEWS, SIGNING_SECRET

from bridge.delivery.outbox import JobState, NewJob, Outbox, make_engine
from tests.conftest import postgres_url, reset_postgres
from tests.processes import Process, environment

Fakes = tuple[FakeSlack, FakeAmity]


def start(tmp_path: Path, fakes: Fakes, **extra: str) -> tuple[Process, str]:
    process = Process(environment(tmp_path, fakes[0], fakes[1], **extra), tmp_path)
    port = process.port()
    return process, f"http://127.0.0.1:{port}/slack/events"


def stop(process: Process) -> None:
    if process.proc.poll() is None:
        process.proc.kill()
    process.proc.wait(timeout=30)
    process.output()


def test_sigkill_mid_post_then_restart(tmp_path: Path, fakes: Fakes) -> None:
    """Killed while Amity stores the post: after a restart the post exists once, one reply."""
    slack, amity = fakes
    amity.delay_seconds = 1.5
    process, url = start(tmp_path, fakes, BRIDGE_LEASE_SECONDS="1")
    try:
        msg = slack.add_message(NEWS, {"user": "U0ALICE01", "text": "survives a crash"})
        with SlackSender(url, SIGNING_SECRET) as sender:
            sender.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
        wait_for(lambda: any(r.path == "/api/v4/posts" for r in amity.requests), timeout=15)
        process.proc.send_signal(signal.SIGKILL)
        process.proc.wait(timeout=10)
    finally:
        stop(process)
    wait_for(lambda: amity.post_count() == 1, timeout=10)  # Amity finished storing it
    assert slack.posted == []
    amity.delay_seconds = 0
    again, _ = start(tmp_path, fakes, BRIDGE_LEASE_SECONDS="1")
    try:
        wait_for(lambda: len(slack.reactions_added) == 1, timeout=20)  # the last step
    finally:
        stop(again)
    assert amity.post_count() == 1
    assert len([r for r in amity.requests if r.path == "/api/v4/posts"]) == 2
    assert len(slack.posted) == 1 and len(slack.reactions_added) == 1


def test_sigterm_under_load_loses_nothing(tmp_path: Path, fakes: Fakes) -> None:
    """SIGTERM with jobs in flight: exit 0 within 30 s; a new process finishes the rest."""
    slack, amity = fakes
    amity.delay_seconds = 0.5
    process, url = start(tmp_path, fakes, BRIDGE_WORKERS="2")
    messages = [
        slack.add_message(NEWS, {"user": "U0ALICE01", "text": f"item {n}"}) for n in range(20)
    ]
    try:
        with SlackSender(url, SIGNING_SECRET) as sender:
            for msg in messages:
                assert (
                    sender.reaction(
                        user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"]
                    ).status_code
                    == 200
                )
        wait_for(lambda: amity.post_count() >= 2, timeout=15)
        process.proc.send_signal(signal.SIGTERM)
        assert process.proc.wait(timeout=30) == 0
    finally:
        stop(process)
    assert amity.post_count() < 20  # it stopped before the end
    amity.delay_seconds = 0
    again, _ = start(tmp_path, fakes)
    try:
        wait_for(lambda: len(slack.posted) == 20, timeout=30)
    finally:
        stop(again)
    texts = sorted(p["data"]["text"] for p in amity.posts)
    assert texts == sorted(f"item {n}" for n in range(20))
    assert len(slack.posted) == 20


@pytest.mark.postgres
def test_two_workers_share_postgres(tmp_path: Path, fakes: Fakes) -> None:
    """Two processes on one PostgreSQL database run 300 jobs: each exactly once."""
    slack, amity = fakes
    url = postgres_url()
    reset_postgres(url)
    box = Outbox(make_engine(url))
    box.create_schema()
    for n in range(300):
        box.enqueue(
            NewJob(
                key=f"T0FAKE:{NEWS}:bulk:{n}:{COMMUNITY}",
                kind="text",
                team_id="T0FAKE",
                channel_id=NEWS,
                route_name="announcements",
                community_id=COMMUNITY,
                post_id=f"slack-bulk-{n:04d}",
                requested_by="U0BOB0001",
                text=f"bulk {n}",
                response_url=slack.response_url(f"bulk{n}"),
            )
        )
    extra = {"DATABASE_URL": url, "AMITY_RATE_LIMIT": "10000", "BRIDGE_WORKERS": "4"}
    amity.rate_limit = 10000
    first, _ = start(tmp_path, fakes, **extra)
    second, _ = start(tmp_path, fakes, **extra)
    try:
        wait_for(lambda: box.count_by_state()[JobState.done] == 300, timeout=120)
    finally:
        stop(first)
        stop(second)
        box.engine.dispose()
    posted = [r for r in amity.requests if r.path == "/api/v4/posts"]
    assert len(posted) == 300  # no job was attempted twice
    assert amity.post_count() == 300
    assert len(slack.responses) == 300
