"""Moving the stored routes in and out as a routes file (``routes export`` / ``import``).

An import is all-or-nothing: the file is validated whole, together with the routes file's
routes and the stored routes it keeps, before one transaction writes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import Engine, delete, insert

from bridge.delivery.jobs import Clock, stored_routes
from bridge.delivery.routestore import RouteStore
from bridge.routes import RoutesConfig


class ImportRefused(ValueError):
    """The file's routes cannot all be stored; nothing was changed."""


@dataclass(frozen=True)
class Imported:
    """What an import did."""

    added: list[str]
    replaced: list[str]


def stored_config(engine: Engine, clock: Clock) -> RoutesConfig:
    """The stored routes (those added from Slack or imported), as a routes file's content."""
    routes = RouteStore(engine, RoutesConfig.empty(), clock, ttl=0).stored()
    return RoutesConfig.model_construct(routes=routes, users={})


def import_routes(
    engine: Engine, bootstrap: RoutesConfig, incoming: RoutesConfig, clock: Clock, by: str
) -> Imported:
    """Store every route of ``incoming`` (replacing stored routes of the same name), or
    raise ImportRefused naming the route and the problem, changing nothing."""
    for route in incoming.routes:
        if bootstrap.named(route.name) is not None:
            raise ImportRefused(
                f"route {route.name}: the routes file (BRIDGE_CONFIG) has a route of that "
                "name, which stays read-only: rename it in one of the two files"
            )
    existing = RouteStore(engine, RoutesConfig.empty(), clock, ttl=0).stored()
    names = {route.name for route in incoming.routes}
    kept = [route for route in existing if route.name not in names]
    try:
        RoutesConfig(routes=[*bootstrap.routes, *kept, *incoming.routes], users=bootstrap.users)
    except ValidationError as error:
        said = str(error.errors()[0]["msg"]).removeprefix("Value error, ")
        raise ImportRefused(f"{said} (among the routes in force)") from None
    now = clock()
    before = {route.name for route in existing}
    with engine.begin() as conn:
        for route in incoming.routes:
            conn.execute(delete(stored_routes).where(stored_routes.c.name == route.name))
            conn.execute(
                insert(stored_routes),
                {
                    "name": route.name,
                    "spec": route.model_dump(mode="json"),
                    "updated_by": by,
                    "updated_at": now,
                },
            )
    ordered = [route.name for route in incoming.routes]
    return Imported(
        added=[n for n in ordered if n not in before], replaced=[n for n in ordered if n in before]
    )
