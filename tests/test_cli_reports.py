"""What the commands say: migrate names what it did and where; every subcommand's --help
describes it; check fails placeholder values copied from the examples."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import make_url

from bridge.cli import main, parser
from bridge.delivery.jobs import metadata
from bridge.delivery.migrate import alembic_config, head_revision
from bridge.delivery.outbox import make_engine
from bridge.ops.placeholders import EXAMPLE_VALUES, is_example_host, placeholders
from bridge.settings import Settings

ROOT = Path(__file__).parents[1]


def test_migrate_says_created_upgraded_or_current(
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    url = make_url(database_url)
    where = (
        f"SQLite file {Path(str(url.database)).resolve()}"
        if url.get_backend_name() == "sqlite"
        else f"PostgreSQL database {url.database} on {url.host}:{url.port or 5432}"
    )
    head = head_revision()
    assert main(["migrate"]) == 0
    tables = len(metadata.tables)
    assert capsys.readouterr().out.strip() == (
        f"bridge: created the schema ({tables} tables, revision {head}) in {where}"
    )
    assert main(["migrate"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"bridge: the schema in {where} is already current ({head})"
    )
    engine = make_engine(database_url)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0004")
    engine.dispose()
    assert main(["migrate"]) == 0
    said = capsys.readouterr().out.strip()
    assert said == f"bridge: upgraded the schema in {where} from 0004 to {head}"
    assert url.password is None or str(url.password) not in said


def test_migrate_without_settings_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No settings at all: the SQLite file in the current folder, by its absolute path."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["migrate"]) == 0
    said = capsys.readouterr().out
    assert f"in SQLite file {tmp_path.resolve() / 'bridge.db'}" in said


def _subcommands(top: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    found = []
    for action in top._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append((name, sub))
                found += [(f"{name} {n}", s) for n, s in _subcommands(sub)]
    return found


def test_every_subcommand_help_has_a_description(capsys: pytest.CaptureFixture[str]) -> None:
    commands = _subcommands(parser())
    names = [name for name, _ in commands]
    for expected in ("serve", "check", "routes", "routes export", "routes import", "migrate"):
        assert expected in names
    listing = parser().format_help()
    for name, sub in commands:
        assert sub.description and len(sub.description) > 30, name
        with pytest.raises(SystemExit) as done:
            main([*name.split(), "--help"])
        assert done.value.code == 0
        out = capsys.readouterr().out
        assert sub.description.split(".")[0] in " ".join(out.split()), name
        if " " not in name:
            assert re.search(rf"^\s+{name}\s+\S", listing, re.MULTILINE), name  # a summary
    serve = dict(commands)["serve"]
    assert "--socket-mode" in serve.format_help() and "503" in (serve.description or "")


def _example_env() -> dict[str, str]:
    values = {}
    for raw in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        line = raw.removeprefix("# ").strip()
        if re.match(r"^[A-Z_]+=\S", line):
            name, value = line.split("=", 1)
            values[name] = value.split("   #")[0].split(" #")[0].strip()
    return values


def test_env_example_values_all_flagged() -> None:
    """Every placeholder value of .env.example is known to check (the list is in step)."""
    example = _example_env()
    secrets = {k: v for k, v in example.items() if "your" in v or "example" in v or "README" in v}
    assert set(secrets.values()) == set(EXAMPLE_VALUES)


def test_check_fails_the_example_file_copied_as_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """.env.example copied to .env: FAIL for each placeholder, no "signing secret: set"."""
    monkeypatch.chdir(tmp_path)
    lines = (ROOT / ".env.example").read_text(encoding="utf-8")
    (tmp_path / ".env").write_text(lines, encoding="utf-8")
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "AMITY_ADMIN_TOKEN",
        "AMITY_POST_URL_TEMPLATE",
        "SLACK_API_URL",
        "AMITY_API_URL",
        "DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")
    monkeypatch.setenv("AMITY_API_URL", "http://127.0.0.1:9/")
    assert main(["check"]) == 1
    out = capsys.readouterr().out.splitlines()
    failed = {line.split(":")[0].removeprefix("FAIL ") for line in out if line.startswith("FAIL")}
    assert {
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "AMITY_ADMIN_TOKEN",
        "AMITY_POST_URL_TEMPLATE",
    } <= failed
    assert (
        "FAIL SLACK_BOT_TOKEN: SLACK_BOT_TOKEN is still the example value: set it to the "
        "Bot User OAuth Token" in "\n".join(out)
    )
    assert not any(line.startswith("OK   signing secret") for line in out)


@pytest.mark.parametrize(
    ("url", "example"),
    [
        ("https://community.example.com/posts/{postId}", True),
        ("https://example.org/p/{postId}", True),
        ("https://www.example.net/{postId}", True),
        ("https://social.acme.example/{postId}", True),
        ("https://community.acme.com/posts/{postId}", False),
        ("https://example.community.io/{postId}", False),
        ("https://notexample.com/{postId}", False),
    ],
)
def test_example_domains(url: str, example: bool) -> None:
    assert is_example_host(url) is example


def test_placeholders_in_settings() -> None:
    settings = Settings(
        SLACK_BOT_TOKEN="xoxb-12345-real",
        SLACK_SIGNING_SECRET="abc123",
        AMITY_ADMIN_TOKEN="your-amity-admin-token",
        AMITY_POST_URL_TEMPLATE="https://www.example.com/{postId}",
        _env_file=None,
    )
    assert [name for name, _ in placeholders(settings)] == [
        "AMITY_ADMIN_TOKEN",
        "AMITY_POST_URL_TEMPLATE",
    ]


def test_app_json_leaves_required_values_empty() -> None:
    """A one-click deploy asks for every required value instead of pre-filling one."""
    app = json.loads((ROOT / "app.json").read_text(encoding="utf-8"))
    for name, spec in app["env"].items():
        if spec.get("required"):
            assert not spec.get("value"), name
        assert not is_example_host(str(spec.get("value", ""))), name
