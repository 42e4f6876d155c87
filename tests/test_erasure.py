"""Erasure: `forget --user` removes what the store holds of one person's messages, their
approval requests and Amity session, and says which posts remain in Amity."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender
from bridge_standins.stack import COMMUNITY, NEWS, SIGNING_SECRET, LocalStack, start_stack
from sqlalchemy import insert, select

from bridge.cli import main
from bridge.delivery.erasure import ERASED, NotAUser, RemainingPost, forget
from bridge.delivery.jobs import JobState, amity_sessions, approvals, utc_now
from bridge.delivery.links import Links
from bridge.delivery.outbox import Outbox, make_engine
from bridge.delivery.retention import prune
from tests.e2e import find_job, job_state
from tests.store_dump import SetClock, dump, edit_of, shared_message, typed_text

ALICE, BOB, CAROL = "U0ALICE01", "U0BOB0001", "U0CAROL01"


@pytest.fixture
def store(database_url: str) -> Iterator[Outbox]:
    box = Outbox(make_engine(database_url))
    box.create_schema()
    yield box
    box.engine.dispose()


def seed(store: Outbox) -> dict[str, int]:
    """Alice's messages (shared by Bob, typed, edited, one still to post), a message of
    Bob's she shared, Carol's mentioning her, her approvals and session, and Bob's."""
    mine = shared_message(store, "a1", author=ALICE, sharer=BOB, words="ALICEWORDS one")
    typed = typed_text(store, "a2", user=ALICE, words="ALICEWORDS typed")
    edit = edit_of(store, mine, author=ALICE, words="ALICEWORDS edited")
    later = typed_text(store, "a3", user=ALICE, words="ALICEWORDS later", state=JobState.pending)
    bobs = shared_message(store, "b1", author=BOB, sharer=ALICE, words="BOBWORDS kept")
    carols = shared_message(
        store, "c1", author=CAROL, sharer=BOB, words=f"CAROLWORDS thanks <@{ALICE}>"
    )
    removed = shared_message(store, "a4", author=ALICE, sharer=ALICE, words="ALICEWORDS gone")
    Links(store.engine).set_preview(
        mine.post_id, "T1", text="ALICEWORDS preview", tags=[], discoverable=True
    )
    Links(store.engine).removed(removed.post_id, "T1", "news", ALICE)
    Links(store.engine).removed(bobs.post_id, "T1", "news", ALICE)  # she took Bob's back
    now = utc_now()
    base = {"team_id": "T1", "channel_id": "C1", "route_name": "news", "created_at": now}
    soon = now + timedelta(hours=4)
    with store.transaction() as conn:
        conn.execute(
            insert(approvals).values(
                **base, message_ts="1.1", requested_by=ALICE, state="waiting", expires_at=soon
            )
        )
        conn.execute(
            insert(approvals).values(
                **base,
                message_ts="1.2",
                requested_by=BOB,
                state="approved",
                decided_by=ALICE,
                expires_at=soon,
            )
        )
        for user in ("alice-amity", "bob-amity"):
            conn.execute(
                insert(amity_sessions).values(
                    user_id=user,
                    device_id=f"bridge-{user}",
                    token="gAAAA-cipher",
                    expires_at=now + timedelta(days=20),
                    updated_at=now,
                )
            )
    ids = {"mine": mine.id, "typed": typed.id, "edit": edit.id, "later": later.id}
    return ids | {"bobs": bobs.id, "carols": carols.id}


def test_forget_erases_her_messages_and_keeps_everyone_elses(store: Outbox) -> None:
    """No text of Alice's and no trace of her ID remain but in Carol's message that
    mentions her; Bob's and Carol's messages keep their text; her pending post is
    cancelled; the posts made from her messages are listed."""
    ids = seed(store)
    before = dump(store.engine)
    assert "ALICEWORDS" in before and "alice-amity" in before
    preview = forget(store.engine, ALICE, amity_user="alice-amity", dry_run=True)
    assert dump(store.engine) == before  # a dry run changes nothing
    done = forget(store.engine, ALICE, amity_user="alice-amity")
    assert done == preview
    assert (done.cleared, done.cancelled, done.approvals, done.sessions) == (5, 1, 1, 1)
    # her ID as Bob's sharer, as the decider of Bob's request, as who took posts back (2)
    assert done.unnamed == 4
    assert done.running == []
    assert done.posts == [
        RemainingPost("community-1", "slack-a1", "news", wrote=True),
        RemainingPost("community-1", "slack-a2", "news", wrote=True),
    ]
    after = dump(store.engine)
    assert "ALICEWORDS" not in after and "alice-amity" not in after
    assert after.count(ALICE) == 1  # Carol's words, which are Carol's: "thanks <@U0ALICE01>"
    assert "BOBWORDS kept" in after and "CAROLWORDS" in after and "bob-amity" in after
    later = store.get(ids["later"])
    assert later is not None and later.state is JobState.cancelled and later.last_error == ERASED
    bobs = store.get(ids["bobs"])
    assert bobs is not None and bobs.requested_by == "" and bobs.progress.message is not None
    mine = store.get(ids["mine"])
    assert mine is not None and mine.requested_by == BOB and mine.post_id == "slack-a1"
    with store.engine.connect() as conn:
        left = conn.execute(select(approvals.c.message_ts, approvals.c.decided_by)).all()
    assert [tuple(row) for row in left] == [("1.2", None)]
    assert forget(store.engine, ALICE).cleared == 0  # nothing left of hers


def test_forget_finds_her_messages_older_than_the_retention(store: Outbox) -> None:
    """A share pruned long ago (its message no longer stored) is still hers: its post is
    listed, and her ID goes from it."""
    clock = SetClock(utc_now() - timedelta(days=40))
    old = Outbox(store.engine, clock)
    shared_message(old, "o1", author=ALICE, sharer=BOB, words="ALICEWORDS long ago")
    shared_message(old, "o2", author=BOB, sharer=BOB, words="BOBWORDS long ago")
    assert prune(store.engine, timedelta(days=30)).cleared == 2
    assert "ALICEWORDS" not in dump(store.engine) and ALICE in dump(store.engine)
    done = forget(store.engine, ALICE)
    assert done.posts == [RemainingPost("community-1", "slack-o1", "news", wrote=True)]
    assert ALICE not in dump(store.engine)


def test_forget_leaves_a_running_job_and_says_so(store: Outbox) -> None:
    """A job of hers that a worker runs right now is left alone and reported."""
    typed_text(store, "r1", user=ALICE, words="ALICEWORDS running", state=JobState.pending)
    [claimed] = store.claim(1, timedelta(minutes=1))
    done = forget(store.engine, ALICE)
    assert done.running == [claimed.id]
    assert "ALICEWORDS running" in dump(store.engine)


def test_forget_refuses_what_is_not_a_slack_user_id(store: Outbox) -> None:
    with pytest.raises(NotAUser):
        forget(store.engine, "%")


@pytest.fixture
def stack(tmp_path: Path, database_url: str) -> Iterator[LocalStack]:
    running = start_stack(tmp_path, database_url=database_url)
    yield running
    running.stop()


def test_forget_end_to_end(
    stack: LocalStack,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Alice's message shared by Bob's reaction and her /crosspost text go through the
    running bridge; `forget --user` then erases them from the store and lists the two
    posts by ID; `--dry-run` before it changed nothing."""
    msg = stack.slack.add_message(NEWS, {"user": ALICE, "text": "ALICEWORDS via reaction"})
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        assert slack.reaction(user=BOB, reaction="mega", channel=NEWS, ts=msg["ts"]).status_code
        url = stack.slack.response_url("forget1")
        answer = slack.command("ALICEWORDS typed", channel_id=NEWS, user_id=ALICE, response_url=url)
        assert answer.status_code == 200
    shared = f"{msg['ts']}:{COMMUNITY}"
    wait_for(lambda: job_state(stack, shared) is JobState.done)
    wait_for(lambda: job_state(stack, ":cmd:") is JobState.done)
    posted = [job.post_id for job in (find_job(stack, shared), find_job(stack, ":cmd:")) if job]
    assert len(posted) == 2
    engine = stack.bridge.outbox.engine
    assert "ALICEWORDS" in dump(engine)
    monkeypatch.setenv("DATABASE_URL", database_url)
    capsys.readouterr()
    assert main(["forget", "--user", ALICE, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"bridge: would erase {ALICE}: would clear 2 jobs of messages they")
    assert "dry run: nothing changed" in out
    assert "ALICEWORDS" in dump(engine)
    assert main(["forget", "--user", ALICE]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"bridge: erased {ALICE}: cleared 2 jobs of messages they wrote")
    assert "2 posts remain in Amity" in out
    for post_id in posted:
        assert f"post {post_id}  community {COMMUNITY}" in out
    everything = dump(engine)
    assert "ALICEWORDS" not in everything and ALICE not in everything
    assert main(["forget", "--user", "not-an-id"]) == 2
    assert "is not a Slack user ID" in capsys.readouterr().err
