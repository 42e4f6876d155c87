"""Listeners that keep shared posts true to their messages: edits, deletions, take-backs.

``message`` events (``message_changed``, ``message_deleted``) in routed channels become
edit and delete jobs for the posts made from that message; the "Remove from community"
button and the removal of a route's emoji by the person who shared become a delete job
(the emoji first asks, with the button). Like intake, each listener only stores a job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from slack_bolt import Ack, BoltContext

from bridge.delivery.body import author_of
from bridge.delivery.jobs import Job, JobState, NewJob
from bridge.delivery.links import Links
from bridge.delivery.outbox import Outbox
from bridge.delivery.routestore import RouteStore
from bridge.delivery.sync import MESSAGE_DELETED, TAKEN_BACK, creator_of, delete_job, edit_job
from bridge.listeners.intake import message_job
from bridge.routes import RoutesConfig
from bridge.slack.changes import (
    MessageChanged,
    MessageDeleted,
    ReactionRemoved,
    TakeBackAction,
    is_real_change,
)

log = logging.getLogger("bridge.listeners.sync")
REFUSED = (
    "Only the person who shared this message, its author, or an admin of the bridge or the "
    "workspace, can remove the post."
)


class SyncIntake:
    """The listeners, bound to the routes and the outbox."""

    def __init__(
        self,
        store: RouteStore,
        outbox: Outbox,
        wake: Callable[[], None],
        *,
        admins: frozenset[str],
        is_workspace_admin: Callable[[str], bool],
        take_back_window: timedelta,
        offer: Callable[[Job, str], None],
        respond_later: Callable[[str, str], None],
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.links = Links(outbox.engine)
        self.wake = wake
        self.admins = admins
        self.is_workspace_admin = is_workspace_admin
        self.window = take_back_window
        self.offer = offer
        self.respond_later = respond_later

    @property
    def routes(self) -> RoutesConfig:
        """The routes in force now (the store's, refreshed every few seconds)."""
        return self.store.current()

    def _shared(self, team: str, channel: str, ts: str) -> list[tuple[Job, bool, str]]:
        """The jobs that share message ``ts``, with their post's sync options: those kept
        with the post when it was made (whatever the routes say since), else, for a post
        made before they were kept or still being made, its route's."""
        found: dict[str, tuple[Job, bool, str]] = {}
        for link in self.links.of_message(team, channel, ts):
            job = creator_of(self.outbox, link.post_id)
            if job is not None and link.sync_edits is not None:
                found[job.post_id] = (job, link.sync_edits, link.sync_deletes or "delete")
        for route in self.routes.for_channel(channel):
            job = self.outbox.get_by_key(message_job(team, channel, ts, route, requested_by="").key)
            if job is None or job.post_id in found:
                continue
            if job.state not in (JobState.failed, JobState.cancelled):
                found[job.post_id] = (job, route.sync_edits, route.sync_deletes)
        return list(found.values())

    def _store(self, new: NewJob) -> None:
        job, created = self.outbox.enqueue(new)
        log.info(
            "bridge.sync_%s",
            "accepted" if created else "duplicate",
            extra={"job_id": job.id, "kind": new.kind, "post_id": new.post_id},
        )
        if created:
            self.wake()

    def on_message(self, event: dict[str, Any], context: BoltContext) -> None:
        """``message`` events: an edit or a deletion of a shared message."""
        subtype = event.get("subtype")
        try:
            if subtype == "message_changed":
                self._changed(MessageChanged.model_validate(event), context.team_id or "")
            elif subtype == "message_deleted":
                deleted = MessageDeleted.model_validate(event)
                self._deleted(context.team_id or "", deleted.channel, deleted.deleted_ts)
        except ValidationError:
            log.warning("bridge.message_event_unreadable", extra={"subtype": subtype})

    def _changed(self, change: MessageChanged, team: str) -> None:
        if change.is_deletion():
            self._deleted(team, change.channel, change.message.ts)
            return
        if not is_real_change(change):
            return
        for job, sync_edits, _ in self._shared(team, change.channel, change.message.ts):
            if sync_edits:
                self._store(edit_job(job, change.message, change.edit_ts()))

    def _deleted(self, team: str, channel: str, ts: str) -> None:
        for job, _, sync_deletes in self._shared(team, channel, ts):
            if sync_deletes == "delete":
                self._store(delete_job(job, MESSAGE_DELETED))
            else:
                log.info("bridge.post_kept", extra={"job_id": job.id, "post_id": job.post_id})

    def on_reaction_removed(self, event: dict[str, Any], context: BoltContext) -> None:
        """The sharer removed the route's emoji soon after: offer to remove the post."""
        try:
            removed = ReactionRemoved.model_validate(event)
        except ValidationError:
            log.warning("bridge.reaction_unreadable")
            return
        channel, ts = removed.item.get("channel"), removed.item.get("ts")
        if not isinstance(channel, str) or not isinstance(ts, str):
            return
        route = self.routes.for_reaction(channel, removed.reaction)
        if route is None:
            return
        key = message_job(context.team_id or "", channel, ts, route, requested_by="").key
        job = self.outbox.get_by_key(key)
        if job is None or job.state is not JobState.done or job.requested_by != removed.user:
            return
        if self.outbox.clock() - (job.updated_at or job.created_at or self.outbox.clock()) > (
            self.window
        ):
            return
        self.offer(job, removed.user)

    def on_take_back(self, ack: Ack, body: dict[str, Any]) -> None:
        """The "Remove from community" button (after its confirmation)."""
        ack()
        try:
            action = TakeBackAction.model_validate(body)
        except ValidationError:
            log.warning("bridge.action_unreadable")
            return
        job = creator_of(self.outbox, action.post_id())
        if job is None:
            return
        user = action.user.id
        author = author_of(job, job.progress.message)
        allowed = user in (job.requested_by, author) or user in self.admins
        if not allowed and not self.is_workspace_admin(user):
            log.info("bridge.take_back_refused", extra={"job_id": job.id, "user": user})
            if action.response_url:
                self.respond_later(action.response_url, REFUSED)
            return
        self._store(delete_job(job, TAKEN_BACK, user))
        if action.response_url:
            self.respond_later(action.response_url, f"Removing the post from *{job.route_name}*...")
