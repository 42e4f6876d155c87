"""The operator commands: migrate, jobs, retry, --version, --help."""

from __future__ import annotations

import pytest

from bridge import __version__
from bridge.cli import main
from bridge.outbox import JobState, NewJob, Outbox, make_engine


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
