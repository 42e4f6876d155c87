"""Retention: past BRIDGE_RETENTION_DAYS a finished job keeps only what sync and
de-duplication need; expired approvals and sessions go; `prune` says what it did."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from bridge.cli import main
from bridge.delivery.jobs import JobState, amity_sessions, approvals, jobs, utc_now
from bridge.delivery.links import Links
from bridge.delivery.outbox import Outbox, make_engine
from bridge.delivery.progress import Progress
from bridge.delivery.retention import Pruned, prune, prune_batch, would_prune
from tests.store_dump import DAY, SetClock, dump, edit_of, shared_message, typed_text

ALICE, BOB = "U0ALICE01", "U0BOB0001"
RETENTION = timedelta(days=30)


@pytest.fixture
def clock() -> SetClock:
    return SetClock(utc_now())


@pytest.fixture
def store(database_url: str, clock: SetClock) -> Iterator[Outbox]:
    box = Outbox(make_engine(database_url), clock)
    box.create_schema()
    yield box
    box.engine.dispose()


def seed_old_and_new(store: Outbox, clock: SetClock) -> dict[str, int]:
    """Jobs finished 40 days ago (with secrets in every content column) and yesterday."""
    now = clock.now
    clock.now = now - 40 * DAY
    old = shared_message(store, "old", author=ALICE, sharer=BOB, words="OLDSECRET launch plan")
    failed = shared_message(
        store,
        "oldfail",
        author=ALICE,
        sharer=BOB,
        words="OLDSECRET budget",
        state=JobState.failed,
        error="Amity refused OLDSECRET budget",
    )
    typed = typed_text(store, "oldcmd", user=BOB, words="OLDSECRET typed text")
    edit = edit_of(store, old, author=ALICE, words="OLDSECRET edited plan")
    waiting = typed_text(
        store, "oldpending", user=BOB, words="still to post", state=JobState.pending
    )
    clock.now = now - 1 * DAY
    new = shared_message(store, "new", author=ALICE, sharer=BOB, words="NEWTEXT lunch")
    links = Links(store.engine)
    for job, words in ((old, "OLDSECRET set in the preview"), (failed, "OLDSECRET unposted")):
        links.set_preview(job.post_id, "T1", text=words, tags=["plan"], discoverable=True)
    links.set_preview(new.post_id, "T1", text="NEWTEXT preview", tags=[], discoverable=True)
    clock.now = now
    ids = {"old": old.id, "failed": failed.id, "typed": typed.id, "edit": edit.id}
    return ids | {"waiting": waiting.id, "new": new.id}


def test_prune_keeps_only_what_sync_and_deduplication_need(store: Outbox, clock: SetClock) -> None:
    """Old finished jobs lose text, progress, errors and response URL but keep keys, post
    ID, channel and ts, route, state and times, and who wrote the message; old edit jobs
    go; newer and unfinished jobs are untouched."""
    ids = seed_old_and_new(store, clock)
    before = store.get(ids["old"])
    assert before is not None and before.progress.message is not None
    assert would_prune(store.engine, RETENTION, clock.now) == Pruned(cleared=3, edits=1)
    assert store.get(ids["old"]) == before  # the dry run changed nothing
    done = prune(store.engine, RETENTION, clock, limit=2)  # several batches
    assert done == Pruned(cleared=3, edits=1)
    old = store.get(ids["old"])
    assert old is not None
    assert (old.text, old.last_error, old.response_url, old.progress) == (
        None,
        None,
        None,
        Progress(),
    )
    kept = ("key", "post_id", "channel_id", "message_ts", "route_name", "state", "requested_by")
    assert {k: getattr(old, k) for k in kept} == {k: getattr(before, k) for k in kept}
    assert (old.created_at, old.updated_at, old.post_url) == (
        before.created_at,
        before.updated_at,
        before.post_url,
    )
    with store.engine.connect() as conn:
        authors = dict(conn.execute(select(jobs.c.id, jobs.c.author)).all())
    assert (authors[ids["old"]], authors[ids["typed"]], authors[ids["new"]]) == (ALICE, BOB, None)
    link = Links(store.engine).get(old.post_id)
    assert link is not None and link.text_override == ""  # still says: the preview set it
    assert link.tags == ["plan"]
    failed = store.get(ids["failed"])
    assert failed is not None
    link = Links(store.engine).get(failed.post_id)
    assert link is not None and link.text_override is None  # no post: nothing to keep
    assert failed is not None and failed.state is JobState.failed and failed.last_error is None
    assert store.get(ids["edit"]) is None
    waiting = store.get(ids["waiting"])
    assert waiting is not None and waiting.text == "still to post"
    new = store.get(ids["new"])
    assert new is not None and new.progress.message is not None
    assert new.progress.message.text == "NEWTEXT lunch"
    assert store.get_by_key(before.key) == old  # de-duplication still finds it
    assert prune(store.engine, RETENTION, clock) == Pruned()  # nothing left: idempotent


def test_no_message_text_older_than_the_retention_remains(store: Outbox, clock: SetClock) -> None:
    """After `prune`, a dump of the whole database holds no text of an old message (in
    text, progress, errors, edits or the preview's text), while the recent ones are all
    there."""
    seed_old_and_new(store, clock)
    assert "OLDSECRET" in dump(store.engine)
    prune(store.engine, RETENTION, clock)
    everything = dump(store.engine)
    assert "OLDSECRET" not in everything
    assert "hooks.slack.example/old" not in everything  # the response URLs went too
    assert "NEWTEXT lunch" in everything and "still to post" in everything
    assert "NEWTEXT preview" in everything


def test_expired_approvals_and_sessions_are_removed(store: Outbox, clock: SetClock) -> None:
    """Decided or expired requests past their expiry go, a waiting one only once the
    poll had a day to announce its expiry; sessions go at their expiry."""
    now = clock.now
    base = {"team_id": "T1", "channel_id": "C1", "route_name": "news", "requested_by": ALICE}
    rows = [
        ("1.1", "approved", now - DAY),  # decided, past its expiry: removed
        ("1.2", "expired", now - timedelta(minutes=5)),  # announced: removed
        ("1.3", "waiting", now - timedelta(minutes=5)),  # not announced yet: kept
        ("1.4", "waiting", now - 2 * DAY),  # never announced: removed
        ("1.5", "waiting", now + DAY),  # still open: kept
    ]
    sessions = [("alice", now - timedelta(seconds=1)), ("bob", now + 10 * DAY)]
    with store.transaction() as conn:
        for ts, state, expires in rows:
            values = {"message_ts": ts, "state": state, "expires_at": expires, "created_at": now}
            conn.execute(insert(approvals).values(**base, **values))
        for user, expires in sessions:
            values = {"device_id": f"bridge-{user}", "token": "gAAAA-cipher", "updated_at": now}
            conn.execute(insert(amity_sessions).values(user_id=user, expires_at=expires, **values))
    assert would_prune(store.engine, RETENTION, now) == Pruned(approvals=3, sessions=1)
    assert prune(store.engine, RETENTION, clock) == Pruned(approvals=3, sessions=1)
    with store.engine.connect() as conn:
        left = sorted(conn.execute(select(approvals.c.message_ts)).scalars())
        users = list(conn.execute(select(amity_sessions.c.user_id)).scalars())
    assert left == ["1.3", "1.5"]
    assert users == ["bob"]


def test_instances_pruning_at_once_prune_each_row_once(store: Outbox, clock: SetClock) -> None:
    """Four pruners in parallel (several instances) clear every old job exactly once."""
    now = clock.now
    clock.now = now - 40 * DAY
    for n in range(40):
        typed_text(store, f"k{n}", user=BOB, words=f"OLDSECRET {n}")
    clock.now = now
    totals: list[Pruned] = []
    lock = threading.Lock()

    def run() -> None:
        done = Pruned()
        while (batch := prune_batch(store.engine, RETENTION, now, limit=3)).total:
            done += batch
        with lock:
            totals.append(done)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(t.cleared for t in totals) == 40
    with store.engine.connect() as conn:
        left = conn.execute(select(jobs.c.id).where(jobs.c.pruned_at.is_(None))).all()
    assert left == []


@pytest.fixture
def cli_env(store: Outbox, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Outbox:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BRIDGE_RETENTION_DAYS", "30")
    return store


def test_prune_command_says_what_it_removed(
    cli_env: Outbox, clock: SetClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """`prune --dry-run` says what would go and changes nothing; `prune` removes it and
    says so; a second `prune` finds nothing."""
    ids = seed_old_and_new(cli_env, clock)
    capsys.readouterr()
    assert main(["prune", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("bridge: would clear the message text of 3 finished jobs older than 30")
    assert "1 finished edit job" in out and "dry run: nothing changed" in out
    assert cli_env.get(ids["edit"]) is not None
    assert main(["prune"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("bridge: cleared the message text of 3 finished jobs older than 30")
    assert "removed 1 finished edit job" in out
    assert cli_env.get(ids["edit"]) is None
    assert main(["prune"]) == 0
    assert capsys.readouterr().out.startswith("bridge: nothing to prune")


def test_prune_refuses_a_bad_retention(
    cli_env: Outbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A retention of 0 days is refused with the setting's name and how to fix it."""
    monkeypatch.setenv("BRIDGE_RETENTION_DAYS", "0")
    with pytest.raises(SystemExit) as stopped:
        main(["prune"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "setting BRIDGE_RETENTION_DAYS" in err and "a number of days greater than 0" in err
