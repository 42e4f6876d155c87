"""``routes export`` and ``routes import FILE``: the stored routes as a routes file, and
back, all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bridge_standins.stack import ROUTES

from bridge.cli import main
from bridge.delivery.outbox import Outbox, make_engine, utc_now
from bridge.delivery.routestore import RouteStore
from bridge.routes import Route, RoutesConfig, load_routes

TWO = """routes:
  - name: news
    channels: [C0NEWS001]
    emoji: mega
    community: c-news
    post: {tags: [slack], attribution: "— by {author}"}
  - name: engineering
    channels: [C0ENG0001, C0ENG0002]
    emoji: loudspeaker
    community: c-eng
    who: listed
    people: [U0ALICE01]
    sync_deletes: keep
"""


@pytest.fixture
def store(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RouteStore]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BRIDGE_CONFIG", str(tmp_path / "absent.yml"))
    box = Outbox(make_engine(database_url))
    box.create_schema()
    yield RouteStore(box.engine, RoutesConfig.empty(), utc_now, ttl=0)
    box.engine.dispose()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_then_export_round_trips(
    store: RouteStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What export prints is a routes file that import and the file loader accept, with the
    same routes; import says how many it added and replaced."""
    assert main(["routes", "import", str(write(tmp_path, "two.yml", TWO))]) == 0
    said = capsys.readouterr().out.strip()
    assert said.startswith("bridge: imported 2 routes from ")
    assert ": 2 added; running bridges use them" in said
    assert [r.name for r in store.stored()] == ["engineering", "news"]
    assert main(["routes", "export"]) == 0
    exported = write(tmp_path, "exported.yml", capsys.readouterr().out)
    again = load_routes(exported)  # the file loader reads it
    original = {r.name: r for r in load_routes(tmp_path / "two.yml").routes}
    assert {r.name: r for r in again.routes} == original
    assert main(["routes", "import", str(exported)]) == 0  # and import does too
    said = capsys.readouterr().out
    assert "2 routes" in said and "0 added, 2 replaced (engineering, news)" in said


def test_one_bad_route_changes_nothing(
    store: RouteStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file with one wrong route: exit 2, one line naming the route and the field, and
    neither the good route nor the bad one is stored."""
    store.save(Route(name="kept", channels=["C0KEPT001"], emoji="tada", community="k"), "U1")
    bad = TWO.replace("C0ENG0002", "engineering-channel")
    assert main(["routes", "import", str(write(tmp_path, "bad.yml", bad))]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("bridge: nothing imported: ")
    assert "routes.1.channels.1 string should match pattern" in err[0]
    assert err[0].endswith(", in route engineering")
    assert [r.name for r in store.stored()] == ["kept"]


def test_clash_with_the_routes_in_force_changes_nothing(
    store: RouteStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Valid alone, but its emoji clashes with a stored route in the same channel: refused
    whole, naming both routes."""
    store.save(Route(name="old", channels=["C0NEWS001"], emoji="mega", community="o"), "U1")
    assert main(["routes", "import", str(write(tmp_path, "two.yml", TWO))]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("bridge: nothing imported from ")
    assert "uses :mega: in C0NEWS001, as route old does" in err[0]
    assert [r.name for r in store.stored()] == ["old"]


def test_a_name_of_the_routes_file_is_refused(
    store: RouteStore,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BRIDGE_CONFIG", str(write(tmp_path, "bridge.yml", ROUTES)))
    clash = write(tmp_path, "clash.yml", TWO.replace("name: news", "name: announcements"))
    assert main(["routes", "import", str(clash)]) == 2
    err = capsys.readouterr().err
    assert "route announcements: the routes file (BRIDGE_CONFIG) has a route of that name" in err
    assert store.stored() == []


def test_export_without_stored_routes(
    store: RouteStore, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["routes", "export"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "no routes are stored in " in captured.err
    assert "routes import FILE" in captured.err


def test_users_table_is_not_imported(
    store: RouteStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["routes", "import", str(write(tmp_path, "r.yml", ROUTES))]) == 0
    assert "users: table (1 people) was not imported" in capsys.readouterr().out
