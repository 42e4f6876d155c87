"""The App Home's route buttons and the route modal's submission (Bolt listeners).

Only workspace admins and owners and ``BRIDGE_ADMINS`` may change routes: anyone else
pressing a button gets a modal saying so, and a submission from them is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from slack_bolt import Ack, BoltContext

from bridge.amity.client import AmityClient
from bridge.delivery.outbox import Outbox
from bridge.delivery.routestore import RouteRefused, RouteStore
from bridge.listeners.home import ADD, PAGES, home_view
from bridge.listeners.permits import REFUSED_ROUTES, may_change_routes
from bridge.listeners.routeform import notice_modal, route_modal, submit
from bridge.listeners.routing import statuses
from bridge.listeners.viewers import viewer
from bridge.slack.api import SlackError, SlackGateway
from bridge.slack.directory import Directory
from bridge.slack.payloads import BlockAction

log = logging.getLogger("bridge.listeners.homeedit")


@dataclass
class HomeEditor:
    """Route editing from the App Home."""

    store: RouteStore
    outbox: Outbox
    slack: SlackGateway
    amity: AmityClient
    directory: Directory
    admins: frozenset[str]
    later: Callable[..., Any]  # runs a call in the background

    def _may_change(self, user: str) -> bool:
        try:
            return may_change_routes(user, self.directory, self.admins)
        except SlackError:
            return False

    def publish(self, user: str, team: str, page: int = 0) -> None:
        """Show ``user`` the Home tab as it is now, its routes at ``page`` (built in the
        background: it asks Amity about each route's community)."""
        self.later(self._publish_now, user, team, page)

    def on_home_opened(self, event: dict[str, Any], context: BoltContext) -> None:
        """``app_home_opened``: publish the tab to the person who opened it (the
        messages tab needs nothing)."""
        if event.get("tab") != "home" or not isinstance(event.get("user"), str):
            return
        self.publish(event["user"], context.team_id or "")

    def _publish_now(self, user: str, team: str, page: int) -> None:
        routes = self.store.current()
        read_only = [r.name for r in routes.routes if self.store.is_bootstrap(r.name)]
        found = statuses(self.amity, list(routes.routes))
        can_see = viewer(user, self._may_change(user), self.directory, self.slack)
        view = home_view(routes, self.outbox, team, read_only, found, page=page, can_see=can_see)
        self.slack.publish_home(user, view)

    def on_button(self, ack: Ack, body: dict[str, Any]) -> None:
        """Add a route, Change or Remove pressed in the Home tab."""
        ack()
        try:
            action = BlockAction.model_validate(body)
        except ValidationError:
            log.warning("bridge.action_unreadable")
            return
        user, name = action.user.id, action.action.value
        if action.action.action_id in PAGES:  # anyone may page through the routes
            page = int(name) if name.isascii() and name.isdigit() else 0
            self.publish(user, action.team.id if action.team else "", min(page, 10_000))
            return
        if not self._may_change(user):
            self.slack.open_view(action.trigger_id, notice_modal(REFUSED_ROUTES))
            return
        if action.action.action_id == ADD:
            self.slack.open_view(action.trigger_id, route_modal(None))
        elif action.action.action_id == "route_edit":
            route = self.store.current().named(name)
            if route is not None:
                self.slack.open_view(action.trigger_id, route_modal(route))
        else:
            try:
                self.store.remove(name)
            except RouteRefused as error:
                self.slack.open_view(action.trigger_id, notice_modal(str(error)))
                return
            self.publish(user, action.team.id if action.team else "")

    def on_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """The route modal's Save: errors under the fields, or saved and Home refreshed."""
        user = str((body.get("user") or {}).get("id", ""))
        if not self._may_change(user):
            ack(response_action="errors", errors={"name": REFUSED_ROUTES})
            return
        state = (view.get("state") or {}).get("values") or {}
        replacing = str(view.get("private_metadata") or "")
        errors = submit(state, replacing, user, (self.store, self.amity, self.directory))
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        self.publish(user, str((body.get("team") or {}).get("id", "")))
