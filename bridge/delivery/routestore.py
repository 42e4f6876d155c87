"""Routes kept in the store, added and removed from Slack, plus the routes file's.

The routes file (``bridge.yml``) stays an optional, read-only bootstrap: its routes are
shown but cannot be changed from Slack, and a route added from Slack may not reuse one of
its names. Every instance reads the stored routes again once its copy is
``ttl`` seconds old, so a change made through one instance reaches all of them within that
time, without a restart; the instance that made the change sees it at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from pydantic import ValidationError
from sqlalchemy import Engine, delete, insert, select, update

from bridge.delivery.jobs import Clock, stored_routes
from bridge.routes import Route, RoutesConfig


class RouteRefused(ValueError):
    """The change would make the routes ambiguous or touch the routes file's routes."""


class RouteStore:
    """The routes in force: the file's, then the stored ones, cached for ``ttl`` seconds."""

    def __init__(
        self,
        engine: Engine,
        bootstrap: RoutesConfig,
        clock: Clock,
        *,
        ttl: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.bootstrap = bootstrap
        self.clock = clock
        self.ttl = ttl
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._cached: tuple[float, RoutesConfig] | None = None

    def current(self) -> RoutesConfig:
        """Every route in force (read from the store when the cached copy is too old)."""
        with self._lock:
            if self._cached and self._monotonic() - self._cached[0] < self.ttl:
                return self._cached[1]
        routes = self._lenient(self.stored())
        with self._lock:
            self._cached = (self._monotonic(), routes)
        return routes

    def is_bootstrap(self, name: str) -> bool:
        """Whether the route comes from the routes file (read-only from Slack)."""
        return self.bootstrap.named(name) is not None

    def stored(self) -> list[Route]:
        """The routes added from Slack, by name; a row this code cannot read is skipped."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(stored_routes.c.spec).order_by(stored_routes.c.name))
            found = []
            for (spec,) in rows:
                try:
                    found.append(Route.model_validate(spec))
                except ValidationError:
                    continue
            return found

    def _lenient(self, stored: list[Route]) -> RoutesConfig:
        """The file's routes and every stored one that does not clash with them (a file
        edited after a route was added from Slack wins; ``check`` shows the rest)."""
        kept: list[Route] = []
        for route in stored:
            try:
                self._combine([*kept, route])
            except RouteRefused:
                continue
            kept.append(route)
        return self._combine(kept)

    def _combine(self, stored: list[Route]) -> RoutesConfig:
        routes = [*self.bootstrap.routes, *stored]
        if not routes:
            return RoutesConfig.empty()
        try:
            return RoutesConfig(routes=routes, users=self.bootstrap.users)
        except ValidationError as error:
            raise RouteRefused(_first_problem(error)) from None

    def save(self, route: Route, by: str, *, replacing: str | None = None) -> None:
        """Add ``route`` (or replace the stored route named ``replacing``)."""
        if self.is_bootstrap(route.name) or (replacing and self.is_bootstrap(replacing)):
            raise RouteRefused(
                f"*{route.name}* comes from the routes file, which Slack cannot change: "
                "choose another name, or edit the file"
            )
        others = [r for r in self.stored() if r.name not in (replacing, route.name)]
        if replacing != route.name and any(r.name == route.name for r in self.stored()):
            raise RouteRefused(f"a route named *{route.name}* exists already: choose another")
        self._combine([*others, route])  # raises when the emoji clashes with another route
        spec = route.model_dump(mode="json")
        now = self.clock()
        with self.engine.begin() as conn:
            if replacing:
                conn.execute(delete(stored_routes).where(stored_routes.c.name == replacing))
            exists = conn.execute(
                select(stored_routes.c.name).where(stored_routes.c.name == route.name)
            ).first()
            values = {"spec": spec, "updated_by": by, "updated_at": now}
            if exists:
                conn.execute(
                    update(stored_routes).where(stored_routes.c.name == route.name), values
                )
            else:
                conn.execute(insert(stored_routes), {"name": route.name, **values})
        self.forget()

    def remove(self, name: str) -> bool:
        """Remove the stored route ``name``; False when there is none."""
        if self.is_bootstrap(name):
            raise RouteRefused(
                f"*{name}* comes from the routes file, which Slack cannot change: remove it "
                "from the file and restart"
            )
        with self.engine.begin() as conn:
            gone = conn.execute(delete(stored_routes).where(stored_routes.c.name == name))
        self.forget()
        return bool(gone.rowcount)

    def forget(self) -> None:
        """Drop the cached copy: the next read goes to the store."""
        with self._lock:
            self._cached = None


def _first_problem(error: ValidationError) -> str:
    item = error.errors()[0]
    return str(item["msg"]).removeprefix("Value error, ")
