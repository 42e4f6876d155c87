"""Every command that reads a file or the environment fails in one line with the fix,
exit code 2, no traceback: a routes file that is not UTF-8, a directory, unreadable, or
not valid YAML; a broken ``.env``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bridge_standins.amity import FakeAmity
from bridge_standins.slack import FakeSlack

from tests.processes import environment
from tests.test_command_failures import bridge, one_line

Fakes = tuple[FakeSlack, FakeAmity]
COMMANDS = [["check"], ["serve"], ["routes", "import", "bridge.yml"]]


@pytest.fixture
def env(tmp_path: Path, fakes: Fakes) -> dict[str, str]:
    values = environment(tmp_path, *fakes)
    del values["PATH"]
    return values


@pytest.mark.parametrize("command", COMMANDS)
def test_routes_file_not_utf8(tmp_path: Path, env: dict[str, str], command: list[str]) -> None:
    (tmp_path / "bridge.yml").write_bytes(b"routes:\n  - name: caf\xe9\n")
    line = one_line(bridge(tmp_path, *command, **env))
    assert "bridge.yml is not UTF-8 text (byte 0xe9 on line 2)" in line
    assert line.endswith("save it with the UTF-8 encoding")


@pytest.mark.parametrize("command", COMMANDS)
def test_routes_file_is_a_directory(
    tmp_path: Path, env: dict[str, str], command: list[str]
) -> None:
    (tmp_path / "bridge.yml").unlink()
    (tmp_path / "bridge.yml").mkdir()
    line = one_line(bridge(tmp_path, *command, **env))
    assert "bridge.yml is a directory, not a routes file: point BRIDGE_CONFIG at a YAML" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_routes_file_unreadable(tmp_path: Path, env: dict[str, str], command: list[str]) -> None:
    """Permission denied: as root (CI) the mode is no obstacle, so the test reads through a
    path whose parent is a file, which fails for root too, and checks chmod 000 when it can."""
    if os.geteuid() != 0:
        (tmp_path / "bridge.yml").chmod(0)
        line = one_line(bridge(tmp_path, *command, **env))
        assert "bridge.yml cannot be read (permission denied): make it readable" in line
    env["BRIDGE_CONFIG"] = "bridge.yml/inside.yml"
    if command[0] == "routes":
        command = ["routes", "import", "bridge.yml/inside.yml"]
    line = one_line(bridge(tmp_path, *command, **env))
    assert "bridge.yml/inside.yml cannot be read (Not a directory): check the path" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_routes_file_yaml_error_names_the_line(
    tmp_path: Path, env: dict[str, str], command: list[str]
) -> None:
    (tmp_path / "bridge.yml").write_text(
        "routes:\n  - name: a\n    channels: [C0123ABCD\n    emoji: mega\n", encoding="utf-8"
    )
    line = one_line(bridge(tmp_path, *command, **env))
    assert "bridge.yml line 4, column 10: not valid YAML (expected ',' or ']'" in line
    assert line.endswith("fix the indentation or quoting there")


@pytest.mark.parametrize("command", [*COMMANDS, ["migrate"], ["jobs"]])
def test_broken_env_file(tmp_path: Path, env: dict[str, str], command: list[str]) -> None:
    """python-dotenv's own warning (twice, raw) is replaced by one line naming the line."""
    (tmp_path / ".env").write_text("# settings\nBRIDGE_LOG_LEVEL=INFO\nthis is not a setting\n")
    done = bridge(tmp_path, *command, **env)
    line = one_line(done)
    assert line == (
        f"bridge: {tmp_path / '.env'} line 3 is not a setting (expected NAME=value, or a "
        "# comment): fix or remove that line"
    )
    assert "python-dotenv" not in done.stderr


def test_env_file_not_utf8_or_a_directory(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / ".env").write_bytes(b"AMITY_ADMIN_TOKEN=caf\xe9\n")
    assert "is not UTF-8 text (byte 0xe9 on line 1)" in one_line(bridge(tmp_path, "check", **env))
    (tmp_path / ".env").unlink()
    (tmp_path / ".env").mkdir()
    line = one_line(bridge(tmp_path, "migrate", **env))
    assert line.endswith(".env is a directory: settings are read from a file named .env")


def test_good_env_file_is_read(tmp_path: Path, env: dict[str, str]) -> None:
    """A correct .env passes the check and its settings are used."""
    (tmp_path / ".env").write_text("# a comment\nexport DATABASE_URL=sqlite:///from-env.db\n")
    done = bridge(tmp_path, "migrate", **env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "from-env.db").exists()
