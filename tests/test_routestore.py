"""The store's routes: shared by every instance, the routes file's read-only."""

from __future__ import annotations

import pytest

from bridge.delivery.outbox import Outbox, utc_now
from bridge.delivery.routestore import RouteRefused, RouteStore
from bridge.routes import Route, RoutesConfig

FILE = RoutesConfig(
    routes=[Route(name="announcements", channels=["C0NEWS001"], emoji="mega", community="c1")]
)


def route(name: str, emoji: str = "tada", channel: str = "C0RANDOM1") -> Route:
    return Route(name=name, channels=[channel], emoji=emoji, community="c2")


def test_a_change_reaches_another_instance_without_restart(outbox: Outbox) -> None:
    """Two instances on one store: what one adds, the other reads once its copy is old."""
    now = [0.0]
    writer = RouteStore(outbox.engine, FILE, utc_now)
    reader = RouteStore(outbox.engine, FILE, utc_now, ttl=5, monotonic=lambda: now[0])
    assert [r.name for r in reader.current().routes] == ["announcements"]
    writer.save(route("random"), "U0ADMIN01")
    assert [r.name for r in reader.current().routes] == ["announcements"]  # cached copy
    now[0] = 5.0
    assert [r.name for r in reader.current().routes] == ["announcements", "random"]
    assert writer.current().for_reaction("C0RANDOM1", "tada") == route("random")


def test_file_routes_and_clashes_are_refused(outbox: Outbox) -> None:
    """A file route cannot be removed or shadowed; an emoji clash is refused."""
    store = RouteStore(outbox.engine, FILE, utc_now)
    with pytest.raises(RouteRefused, match="routes file"):
        store.remove("announcements")
    with pytest.raises(RouteRefused, match="routes file"):
        store.save(route("announcements"), "U0ADMIN01")
    with pytest.raises(RouteRefused, match="another emoji"):
        store.save(route("again", emoji="mega", channel="C0NEWS001"), "U0ADMIN01")
    store.save(route("random"), "U0ADMIN01")
    with pytest.raises(RouteRefused, match="exists already"):
        store.save(route("random"), "U0ADMIN01")
    assert store.remove("random") is True
    assert store.remove("random") is False
