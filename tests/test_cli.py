"""The operator commands: migrate, jobs, retry, --version, --help."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bridge import __version__
from bridge.cli import main
from bridge.delivery.outbox import JobState, NewJob, Outbox, make_engine


@pytest.fixture
def store(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Outbox:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return Outbox(make_engine(database_url))


def test_migrate_then_jobs_and_retry(store: Outbox, capsys: pytest.CaptureFixture[str]) -> None:
    """migrate creates the schema; jobs lists a failed job; retry queues it again."""
    assert main(["migrate"]) == 0
    job, _ = store.enqueue(
        NewJob(
            key="k",
            kind="text",
            team_id="T1",
            channel_id="C0NEWS001",
            route_name="news",
            community_id="c",
            post_id="slack-x",
            requested_by="U1",
            text="hi",
        )
    )
    store.finish(job.id, JobState.failed, error="the community was not found")
    capsys.readouterr()
    assert main(["jobs"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["ID", "STATE", "TRIES"]
    assert table[1].split()[:2] == [str(job.id), "failed"]
    assert table[1].endswith("the community was not found")
    assert main(["retry", str(job.id)]) == 0
    again = store.get(job.id)
    assert again is not None and again.state is JobState.pending and again.attempts == 0
    assert main(["retry", str(job.id)]) == 1  # no longer failed
    assert "is not a failed job" in capsys.readouterr().err
    store.engine.dispose()


def new_job(key: str) -> NewJob:
    return NewJob(
        key=key,
        kind="message",
        team_id="T1",
        channel_id="C0NEWS001",
        route_name="news",
        community_id="c",
        post_id=f"slack-{key}",
        requested_by="U1",
        message_ts="1712345678.000100",
    )


def test_jobs_shows_waiting_jobs_with_reason_and_next_try(
    store: Outbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """A job failing for a temporary reason is "waiting", with its error and next try;
    --waiting lists only those."""
    assert main(["migrate"]) == 0
    waiting, _ = store.enqueue(new_job("w"))
    done, _ = store.enqueue(new_job("d"))
    store.finish(done.id, JobState.done)
    [claimed] = store.claim(1, timedelta(minutes=2))
    assert claimed.id == waiting.id
    store.retry_later(waiting.id, "Amity answered 500: Unexpected error", timedelta(minutes=4))
    job = store.get(waiting.id)
    assert job is not None and job.next_run_at is not None
    next_try = f"{job.next_run_at:%Y-%m-%d %H:%M:%S}"
    capsys.readouterr()
    assert main(["jobs"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "NEXT TRY (UTC)" in out[0]
    row = next(line for line in out[1:] if line.split()[0] == str(waiting.id))
    assert row.split()[1:3] == ["waiting", "1"]
    assert next_try in row and row.endswith("Amity answered 500: Unexpected error")
    assert out[-1].startswith("1 of these wait to be retried")
    assert main(["jobs", "--waiting"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [line.split()[0] for line in rows] == [str(waiting.id)]
    store.engine.dispose()


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    """--version prints the version; every command has --help."""
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"bridge {__version__}"
    for command in ("serve", "demo", "migrate", "jobs", "retry"):
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0
        assert "usage: bridge " + command in capsys.readouterr().out
