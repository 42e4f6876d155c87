"""`python -m bridge check` against the stand-ins, each failure injected."""

from __future__ import annotations

from pathlib import Path

import pytest
from bridge_standins.amity import FakeAmity
from bridge_standins.slack import FakeSlack
from bridge_standins.stack import AMITY_TOKEN, BOT_TOKEN, NEWS, POST_URL, ROUTES, SIGNING_SECRET
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import select

from bridge.cli import main
from bridge.delivery.budget import budget_key
from bridge.delivery.jobs import amity_sessions, rate_budget
from bridge.delivery.outbox import Outbox, make_engine, utc_now
from bridge.delivery.routestore import RouteStore
from bridge.ops.check import Check, run_checks
from bridge.routes import Route, load_routes
from bridge.settings import MentionStrategy, Settings

Fakes = tuple[FakeSlack, FakeAmity]
KEY = Fernet.generate_key().decode()


@pytest.fixture
def env(tmp_path: Path, fakes: Fakes, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    slack, amity = fakes
    (tmp_path / "bridge.yml").write_text(ROUTES, encoding="utf-8")
    database = f"sqlite:///{tmp_path / 'bridge.db'}"
    box = Outbox(make_engine(database))
    box.create_schema()
    box.engine.dispose()
    values = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url + "/api/",
        "AMITY_API_URL": amity.url,
        "AMITY_ADMIN_TOKEN": AMITY_TOKEN,
        "AMITY_POST_URL_TEMPLATE": POST_URL,
        "DATABASE_URL": database,
        "BRIDGE_CONFIG": str(tmp_path / "bridge.yml"),
    }
    monkeypatch.chdir(tmp_path)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def checks(**override: object) -> dict[str, Check]:
    settings = Settings()
    settings = settings.model_copy(update=dict(override))
    results = run_checks(settings, load_routes(settings.BRIDGE_CONFIG))
    return {c.name: c for c in results}


def test_all_good(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    """A correct setup: every line OK, exit 0."""
    assert main(["check"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert all(line.startswith("OK") for line in out[:-1])
    assert out[-1] == f"{len(out) - 1} OK, 0 FAIL"
    names = [line.split(":")[0].split(maxsplit=1)[1] for line in out[:-1]]
    assert names == [
        "slack token",
        "slack scopes",
        "signing secret",
        "routes",
        "mentions",
        f"channel {NEWS}",
        "route announcements",
        "post as author",
        "store",
    ]


def test_bad_token(env: dict[str, str], fakes: Fakes, capsys: pytest.CaptureFixture[str]) -> None:
    """A refused Slack token: FAIL naming it, exit 1."""
    fakes[0].bot_token = "xoxb-some-other-token"
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "FAIL slack token: Slack refused SLACK_BOT_TOKEN (invalid_auth)" in out


def test_missing_scope(env: dict[str, str], fakes: Fakes) -> None:
    """A scope missing from the token's grant is named with the fix."""
    fakes[0].scopes = [s for s in fakes[0].scopes if s != "files:read"]
    result = checks()["slack scopes"]
    assert not result.ok and "missing files:read" in result.detail and "reinstall" in result.detail


def test_unknown_community(env: dict[str, str], fakes: Fakes, tmp_path: Path) -> None:
    """A route pointing at a community Amity does not know fails with the route's name."""
    (tmp_path / "bridge.yml").write_text(
        ROUTES.replace("64be1f6cb9b4106b5a6bbf3f", "nope"), encoding="utf-8"
    )
    result = checks()["route announcements"]
    assert not result.ok and "community nope not found" in result.detail


def test_community_needs_approval_is_noted(env: dict[str, str], fakes: Fakes) -> None:
    """Admin-only and approval-required communities pass with a note."""
    fakes[1].add_community(
        "64be1f6cb9b4106b5a6bbf3f", "News", only_admin_can_post=True, need_approval=True
    )
    result = checks()["route announcements"]
    assert result.ok and "only admins can post" in result.detail
    assert "approval" in result.detail


def test_bot_not_in_channel(env: dict[str, str], fakes: Fakes) -> None:
    """The bot missing from a routed channel: FAIL with /invite."""
    fakes[0].add_channel(NEWS, "announcements", is_member=False)
    result = checks()[f"channel {NEWS}"]
    assert not result.ok and "/invite @bridge" in result.detail


def test_store_down(env: dict[str, str]) -> None:
    """An unreachable database: FAIL pointing at DATABASE_URL."""
    result = checks(DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")["store"]
    assert not result.ok and "DATABASE_URL" in result.detail


def test_store_not_migrated(env: dict[str, str], tmp_path: Path) -> None:
    """A database without the schema: FAIL telling to migrate."""
    empty = tmp_path / "empty.db"
    engine = make_engine(f"sqlite:///{empty}")
    engine.connect().close()  # an empty SQLite file
    engine.dispose()
    result = checks(DATABASE_URL=f"sqlite:///{empty}")["store"]
    assert not result.ok and "python -m bridge migrate" in result.detail


def test_fresh_sqlite_install_passes_and_creates_nothing(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No SQLite file yet (a fresh install): OK, serve creates it; check leaves no file."""
    fresh = tmp_path / "fresh.db"
    result = checks(DATABASE_URL=f"sqlite:///{fresh}")["store"]
    assert result.ok and "does not exist yet" in result.detail and "serve" in result.detail
    assert not fresh.exists()


@pytest.mark.postgres
def test_postgres_not_migrated(env: dict[str, str]) -> None:
    """PostgreSQL without the tables: FAIL telling to migrate (the release phase does it)."""
    from tests.conftest import postgres_url, reset_postgres

    url = postgres_url()
    reset_postgres(url)
    result = checks(DATABASE_URL=url)["store"]
    assert not result.ok and result.detail.endswith("run `python -m bridge migrate`")


def test_no_routes_at_all_is_a_warning(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No routes file and none stored: a WARN line saying how to add one, exit 0."""
    (tmp_path / "bridge.yml").unlink()
    assert main(["check"]) == 0
    out = capsys.readouterr().out.splitlines()
    routes = [line for line in out if " routes: " in line]
    assert len(routes) == 1 and routes[0].startswith("WARN routes: none yet")
    assert "routes import FILE" in routes[0] and "App Home" in routes[0]
    assert not any(line.startswith("FAIL") for line in out)
    assert out[-1].endswith("OK, 1 WARN, 0 FAIL")


def test_stored_routes_without_a_file_are_ok(
    env: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The normal case: routes added from Slack, no routes file: OK, and they are checked."""
    monkeypatch.setenv("BRIDGE_CONFIG", str(tmp_path / "absent.yml"))
    assert main(["routes", "import", str(tmp_path / "bridge.yml")]) == 0
    capsys.readouterr()
    assert main(["check"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert any(
        line.startswith("OK   routes: 1 stored, 0 from the routes file (no file at ")
        for line in out
    )
    assert any(line.startswith("OK   route announcements: community") for line in out)
    assert out[-1] == f"{len(out) - 1} OK, 0 FAIL"


def test_amity_token_refused(env: dict[str, str], fakes: Fakes) -> None:
    """A wrong Amity token fails every route with the settings to check."""
    fakes[1].token = "another-token"
    result = checks()["route announcements"]
    assert not result.ok and "AMITY_ADMIN_TOKEN" in result.detail


def test_check_takes_from_the_shared_amity_budget(env: dict[str, str]) -> None:
    """Its community lookup reserves a slot of the budget the instances share."""
    engine = make_engine(env["DATABASE_URL"])
    with engine.connect() as conn:
        assert conn.execute(select(rate_budget)).all() == []
    assert checks()["route announcements"].ok
    with engine.connect() as conn:
        (row,) = conn.execute(select(rate_budget)).mappings().all()
    engine.dispose()
    assert row["key"] == budget_key(AMITY_TOKEN) and row["next_at"] > 0


def test_each_route_rules_and_stored_routes(env: dict[str, str], fakes: Fakes) -> None:
    """check names each route's rules, the routes added from Slack included."""
    slack, amity = fakes
    slack.add_channel("C0RANDOM1", "random")
    amity.add_community("c2", "Second")
    store = RouteStore(
        make_engine(env["DATABASE_URL"]), load_routes(Path(env["BRIDGE_CONFIG"])), utc_now
    )
    stored = Route(
        name="stored",
        channels=["C0RANDOM1"],
        emoji="tada",
        community="c2",
        who="listed",
        groups=["S0EDITORS"],
        allow_private=True,
    )
    store.save(stored, "U0ADMIN01")
    store.engine.dispose()
    result = checks()
    assert result["route announcements"].detail.endswith(
        f"from {NEWS}; publish: anyone in the channel"
    )
    assert result["route stored"].ok
    assert result["route stored"].detail.endswith(
        "from C0RANDOM1; publish: only members of S0EDITORS; also private channels and DMs"
    )
    assert result["channel C0RANDOM1"].ok


def test_mention_strategy_is_reported(env: dict[str, str]) -> None:
    """check names the mention strategy; email needs the users:read.email scope."""
    assert "BRIDGE_MENTIONS=map" in checks()["mentions"].detail
    assert checks(BRIDGE_MENTIONS=MentionStrategy.email)["slack scopes"].ok


def test_email_strategy_without_the_scope_fails(env: dict[str, str], fakes: Fakes) -> None:
    """Without users:read.email, the email strategy is a FAIL naming the scope."""
    slack, _ = fakes
    slack.scopes.remove("users:read.email")
    assert checks()["slack scopes"].ok  # map does not need it
    scopes = checks(BRIDGE_MENTIONS=MentionStrategy.email)["slack scopes"]
    assert not scopes.ok and "users:read.email" in scopes.detail


def test_posting_as_the_author_is_checked(env: dict[str, str], fakes: Fakes) -> None:
    """Off without AMITY_API_KEY; with it, a session for a mapped person is registered
    (and stored for the bridge); a wrong key is a FAIL that names the settings."""
    _, amity = fakes
    assert checks()["post as author"].detail.startswith("off (AMITY_API_KEY is not set)")
    keys = {"AMITY_API_KEY": SecretStr("amity-api-key"), "BRIDGE_SECRET_KEY": SecretStr(KEY)}
    nobody = checks(**keys)["post as author"]
    assert nobody.ok and "nobody has posted as themselves yet" in nobody.detail
    amity.sessions.add_user("alice-amity")
    works = checks(**keys)["post as author"]
    assert works.ok and "a session for alice-amity works" in works.detail
    assert amity.sessions.created == [("alice-amity", "bridge-alice-amity")]
    box = Outbox(make_engine(env["DATABASE_URL"]))
    with box.transaction() as conn:
        assert conn.execute(select(amity_sessions.c.user_id)).scalars().all() == ["alice-amity"]
    box.engine.dispose()
    amity.sessions.api_key = "rotated"
    refused = checks(**keys)["post as author"]
    assert not refused.ok and "check AMITY_API_KEY" in refused.detail


def test_missing_history_scope_names_edit_sync(env: dict[str, str], fakes: Fakes) -> None:
    """Without channels:history the check says edits and deletions will not follow."""
    fakes[0].scopes = [s for s in fakes[0].scopes if s != "channels:history"]
    result = checks()["slack scopes"]
    assert not result.ok and "missing channels:history" in result.detail
    assert "edits and deletions" in result.detail
