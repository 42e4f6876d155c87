"""The preview: "Share to community" opens a modal to check and adjust a post first.

The modal shows the translated text (editable), the community (a choice among the
channel's routes), tags, the files that will be attached and those that will not (with
the reason), and discoverability. Submitting stores the same job a reaction stores, so a
message is posted once whatever triggers it; the choices go in ``post_links``, where the
worker reads them, and a text edited here stays the post's text after later Slack edits.
A text edited by someone other than the message's author is never posted under the
author's Amity identity: the admin posts it, ending with "— shared by" its writer, and
the modal says so beforehand. The submission checks again that the person may publish
and can read the conversation. Mistakes come back into the modal (``response_action:
errors``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from slack_bolt import Ack

from bridge.amity.post import utf16_len
from bridge.delivery.files import plan
from bridge.delivery.links import Links
from bridge.delivery.outbox import Outbox
from bridge.delivery.reopen import is_reopenable, store_trigger
from bridge.delivery.routestore import RouteStore
from bridge.failures import Failure, Permanent
from bridge.listeners.gate import Gate
from bridge.listeners.intake import message_job, no_route_text
from bridge.listeners.permits import Share
from bridge.listeners.previewview import (
    EDITED_BY_OTHER,
    INPUT_MAX,
    PREVIEW,
    Shared,
    digest,
    preview_view,
    read_submission,
)
from bridge.routes import Route, RoutesConfig
from bridge.slack.api import SlackError, SlackGateway
from bridge.slack.message import SlackMessage
from bridge.slack.payloads import MessageShortcut
from bridge.translate.draft import Draft, Names, referenced_ids, to_draft

log = logging.getLogger("bridge.listeners.preview")
__all__ = ["PREVIEW", "Preview", "Shared", "read_submission"]


class Preview:
    """The shortcut that opens the modal, and the modal's submission."""

    def __init__(
        self,
        store: RouteStore,
        gate: Gate,
        outbox: Outbox,
        wake: Callable[[], None],
        slack: SlackGateway,
        *,
        max_bytes: int,
        later: Callable[[Callable[[], None]], object],
        respond_later: Callable[[str, str], None],
        as_authors: bool = False,
    ) -> None:
        self.store = store
        self.gate = gate
        self.outbox = outbox
        self.links = Links(outbox.engine)
        self.wake = wake
        self.slack = slack
        self.max_bytes = max_bytes
        self.later = later
        self.respond_later = respond_later
        self.as_authors = as_authors  # posts may go out under their authors' identities

    @property
    def routes(self) -> RoutesConfig:
        """The routes in force now (the store's, refreshed every few seconds)."""
        return self.store.current()

    def _allowed(self, action: MessageShortcut, message: SlackMessage) -> list[Route]:
        """The channel's routes this person may publish through now; for the others, they
        are told why (or an approval is asked for) through the shortcut's response URL."""
        channel = action.channel.id
        share = Share(action.team.id, channel, action.user.id, message.user)
        allowed = []
        for route in self.routes.for_channel(channel):
            verdict = self.gate.check(route, share)
            if verdict.outcome == "publish":
                allowed.append(route)
                continue
            ts, thread = message.ts, message.thread_ts
            answer = (
                verdict.reason
                if verdict.outcome == "refused"
                else self.gate.ask(route, action.team.id, channel, ts, thread, action.user.id)
            )
            self.respond_later(action.response_url, answer)
        return allowed

    def on_shortcut(self, ack: Ack, shortcut: dict[str, Any]) -> None:
        """Acknowledge at once, then open the modal (the trigger lasts 3 seconds)."""
        ack()
        try:
            action = MessageShortcut.model_validate(shortcut)
            message = SlackMessage.model_validate(shortcut.get("message"))
        except ValidationError:
            log.warning("bridge.shortcut_unreadable")
            return
        if not self.routes.for_channel(action.channel.id):
            self.respond_later(action.response_url, no_route_text(action.channel.id))
            return
        trigger = str(shortcut.get("trigger_id") or "")

        def open_if_allowed() -> None:
            routes = self._allowed(action, message)
            if routes:
                self._open(action, message, [r.name for r in routes], trigger)

        self.later(open_if_allowed)

    def _open(
        self, action: MessageShortcut, message: SlackMessage, routes: list[str], trigger: str
    ) -> None:
        try:
            draft = self._translate(message)
        except Failure as error:
            advice = error.advice if isinstance(error, Permanent) else str(error)
            self.respond_later(action.response_url, f"Cannot share this message: {advice}")
            return
        going, skipped = plan(list(message.files), self.max_bytes, self.slack.client.base_url)
        length = utf16_len(draft.text)
        shared = Shared(
            team=action.team.id,
            channel=action.channel.id,
            ts=message.ts,
            thread_ts=message.thread_ts,
            digest=digest(draft.text),
            long=len(draft.text) > INPUT_MAX,
            length=length,
            has_files=bool(going),
            author=message.user,
        )
        names = [p.file.name or p.file.title or p.file.id for p in going]
        reasons = [f"{s.name} ({s.reason})" for s in skipped]
        author = message.user
        note = ""
        if self.as_authors and author and author != action.user.id:
            note = EDITED_BY_OTHER.format(author=author)
        view = preview_view(shared, draft, routes, names, reasons, note=note)
        try:
            self.slack.open_view(trigger, view)
        except SlackError as error:
            log.warning("bridge.preview_not_opened", extra={"error": str(error)})

    def _translate(self, message: SlackMessage) -> Draft:
        refs = referenced_ids(message)
        names = Names(
            users=self.slack.user_names(refs.users),
            channels=self.slack.channel_names(refs.channels),
            usergroups=self.slack.usergroup_handles(refs.usergroups),
        )
        return to_draft(message, names, self.routes.users)

    def on_submission(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Store the job (or show what to fix in the modal)."""
        try:
            shared = Shared(**json.loads(view.get("private_metadata") or ""))
            user = str(body["user"]["id"])
        except (ValueError, TypeError, KeyError):
            log.warning("bridge.preview_unreadable")
            ack()
            return
        choice, errors = read_submission(shared, (view.get("state") or {}).get("values") or {})
        route = next(
            (r for r in self.routes.for_channel(shared.channel) if r.name == choice.route), None
        )
        if route is None and "community" not in errors:
            errors["community"] = "This community is no longer routed from this channel."
        if route is not None and "community" not in errors:
            share = Share(shared.team, shared.channel, user, shared.author)
            verdict = self.gate.check(route, share)
            if verdict.outcome != "publish":
                errors["community"] = verdict.reason or "You may not publish through this route."
            elif problem := self.gate.may_read(shared.channel, user):
                errors["community"] = problem
        if errors or route is None:
            ack(response_action="errors", errors=errors)
            return
        new = message_job(
            shared.team,
            shared.channel,
            shared.ts,
            route,
            thread_ts=shared.thread_ts,
            requested_by=user,
        )
        existing = self.outbox.get_by_key(new.key)
        if existing is not None and not is_reopenable(existing, new):
            where = existing.post_url or "on its way"
            ack(response_action="errors", errors={"community": f"Already shared there: {where}"})
            return
        self.links.set_preview(
            new.post_id,
            shared.team,
            text=choice.text,
            tags=choice.tags,
            discoverable=choice.discoverable,
            by=user,
        )
        stored = store_trigger(self.outbox, new, keep_preview=True)
        log.info(
            "bridge.job_%s",
            "accepted" if stored.created else "duplicate",
            extra={"job_id": stored.job.id},
        )
        ack()
        if stored.created:
            self.wake()
        if notice := stored.notice():
            self.gate.tell(shared.channel, user, notice, shared.ts)
        if stored.earlier is not None and (told := stored.schedule_notice()):
            self.gate.tell(shared.channel, stored.earlier.requested_by, told, shared.ts)
