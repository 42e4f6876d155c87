"""Every command's expected failures: one line naming cause and fix, exit 2, no traceback,
and read-only commands leave nothing behind."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from bridge_standins.amity import FakeAmity
from bridge_standins.slack import FakeSlack
from sqlalchemy import create_engine, text

from tests.conftest import POSTGRES_ADMIN_URL, postgres_url, reset_postgres
from tests.processes import coverage_env, environment

Fakes = tuple[FakeSlack, FakeAmity]


def bridge(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m bridge <args>`` in ``cwd`` with only ``env`` (and PATH) set."""
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        env={**coverage_env(), "PATH": "/usr/bin:/bin", **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a command that failed as expected."""
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.parametrize("command", [["jobs"], ["retry", "1"]])
def test_fresh_folder_store_commands_create_nothing(tmp_path: Path, command: list[str]) -> None:
    """No bridge.db yet: jobs and retry say to migrate and leave no empty file behind."""
    line = one_line(bridge(tmp_path, *command))
    assert "bridge.db does not exist yet" in line and "python -m bridge migrate" in line
    assert list(tmp_path.iterdir()) == []


def test_not_migrated_sqlite_says_migrate(tmp_path: Path) -> None:
    """A SQLite file without the tables (made by another program): run migrate."""
    engine = create_engine(f"sqlite:///{tmp_path / 'bridge.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE other (x INTEGER)"))
    engine.dispose()
    line = one_line(bridge(tmp_path, "jobs"))
    assert line == (
        "bridge: the SQLite file bridge.db has no bridge tables yet: run `python -m bridge migrate`"
    )
    assert "server" not in line


def test_sqlite_folder_missing(tmp_path: Path) -> None:
    """migrate into a folder that does not exist: SQLite's cause, the fix, no 'server'."""
    url = f"sqlite:///{tmp_path / 'nowhere' / 'bridge.db'}"
    line = one_line(bridge(tmp_path, "migrate", DATABASE_URL=url))
    assert "unable to open database file" in line and "folder exists" in line
    assert "server" not in line


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("command", [["migrate"], ["jobs"], ["retry", "3"]])
def test_postgres_refused(tmp_path: Path, command: list[str]) -> None:
    """Nothing listens on the port: the driver's cause and the fix; no password shown."""
    url = f"postgresql://user:hunter2@127.0.0.1:{free_port()}/bridge"
    line = one_line(bridge(tmp_path, *command, DATABASE_URL=url))
    assert "Connection refused" in line and "start PostgreSQL" in line
    assert "hunter2" not in line


@pytest.mark.postgres
def test_postgres_database_missing_and_not_migrated(tmp_path: Path) -> None:
    """A database that does not exist, then one that exists without the tables."""
    url = postgres_url()
    missing = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/bridge_no_such_database"
    line = one_line(bridge(tmp_path, "migrate", DATABASE_URL=missing))
    assert 'database "bridge_no_such_database" does not exist' in line
    assert "createdb bridge_no_such_database" in line
    reset_postgres(url)
    line = one_line(bridge(tmp_path, "jobs", DATABASE_URL=url))
    assert line.endswith("has no bridge tables yet: run `python -m bridge migrate`")


def test_unresolvable_host(tmp_path: Path) -> None:
    """A host name that does not resolve is named with the driver's words."""
    url = "postgresql://u@no-such-host.invalid/bridge"
    line = one_line(bridge(tmp_path, "jobs", DATABASE_URL=url))
    assert "no-such-host.invalid" in line and "check the host in DATABASE_URL" in line


@pytest.mark.parametrize("value", ["-5", "0", "ten"])
def test_jobs_limit_must_be_positive(tmp_path: Path, value: str) -> None:
    """`jobs --limit -5` is refused by the argument parser, before any store is touched."""
    done = bridge(tmp_path, "jobs", "--limit", value)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"'{value}' is not a whole number of at least 1" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_bad_log_level(tmp_path: Path) -> None:
    """BRIDGE_LOG_LEVEL is checked like every setting."""
    line = one_line(bridge(tmp_path, "jobs", BRIDGE_LOG_LEVEL="loud"))
    assert line.startswith("bridge: setting BRIDGE_LOG_LEVEL is invalid")


def test_port_in_use(tmp_path: Path, fakes: Fakes) -> None:
    """serve on a taken port says so, instead of blaming Slack."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = environment(tmp_path, *fakes) | {"PORT": str(port)}
        done = subprocess.run(
            [sys.executable, "-m", "bridge", "serve", "--host", "127.0.0.1"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"bridge: port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "set PORT to a free port" in done.stderr
    assert "Slack" not in done.stderr


def test_check_with_slack_and_amity_unreachable(tmp_path: Path, fakes: Fakes) -> None:
    """check reports unreachable services as FAIL lines and carries on to the store."""
    env = environment(tmp_path, *fakes)
    env["SLACK_API_URL"] = f"http://127.0.0.1:{free_port()}/api/"
    env["AMITY_API_URL"] = f"http://127.0.0.1:{free_port()}/"
    done = bridge(tmp_path, "check", **env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    out = done.stdout.splitlines()
    assert out[0].startswith("FAIL slack token: Slack could not be reached at http://127.0.0.1")
    assert "Connection refused" in out[0]
    route = next(line for line in out if line.startswith("FAIL route announcements"))
    assert "could not be reached" in route and "AMITY_API_URL" in route
    assert any(line.startswith("OK   store:") for line in out)
    assert not (tmp_path / "bridge.db").exists()  # check created nothing
    assert "slack_sdk" not in done.stderr  # the FAIL line says it; no library line before it
