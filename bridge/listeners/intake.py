"""Intake: Bolt listeners that turn a verified Slack request into a stored job.

Each listener parses the payload, checks the route, inserts a job with its unique key
and returns; Bolt answers Slack after that (``process_before_response``), so an
acknowledged trigger is already durable. Nothing here calls Amity or waits on Slack.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from slack_bolt import Ack, BoltContext, BoltRequest

from bridge.delivery.outbox import Job, JobState, NewJob, Outbox
from bridge.delivery.replies import scheduled_list_text
from bridge.delivery.routestore import RouteStore
from bridge.listeners.commands import (
    USAGE,
    Cancel,
    Help,
    Invalid,
    ListScheduled,
    Routes,
    Schedule,
    ShareLink,
    ShareText,
    parse_command,
)
from bridge.listeners.gate import APPROVE, Gate
from bridge.listeners.permits import Share
from bridge.routes import Route, RoutesConfig
from bridge.slack.api import SlackError
from bridge.slack.payloads import BlockAction, ReactionAdded, SlashCommand

log = logging.getLogger("bridge.listeners.intake")


def post_id_for(key: str) -> str:
    """Amity post ID derived from the job key: the same trigger always gets the same ID."""
    return "slack-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def message_job(team: str, channel: str, ts: str, route: Route, **extra: Any) -> NewJob:
    """The job that cross-posts message ``ts`` of ``channel`` through ``route``."""
    key = f"{team}:{channel}:{ts}:{route.community}"
    return NewJob(
        key=key,
        kind="message",
        team_id=team,
        channel_id=channel,
        message_ts=ts,
        route_name=route.name,
        community_id=route.community,
        post_id=post_id_for(key),
        **extra,
    )


def text_job(cmd: SlashCommand, text: str, route: Route, **extra: Any) -> NewJob:
    """The job that posts ``text`` from a command (keyed by the command's trigger)."""
    key = f"{cmd.team_id}:{cmd.channel_id}:cmd:{cmd.trigger_id}:{route.community}"
    return NewJob(
        key=key,
        kind="text",
        team_id=cmd.team_id,
        channel_id=cmd.channel_id,
        route_name=route.name,
        community_id=route.community,
        post_id=post_id_for(key),
        text=text,
        **extra,
    )


def is_retry(request: BoltRequest) -> bool:
    """Slack re-sent this request (``X-Slack-Retry-Num``)."""
    return bool(request.headers.get("x-slack-retry-num"))


def no_route_text(channel: str) -> str:
    """What a person sees when the channel has no route."""
    return (
        f"This channel (<#{channel}>) is not connected to a community. An admin can add "
        f"a route for it: `/crosspost route add <#{channel}> :emoji: <community>`."
    )


RouteCommands = Callable[[SlashCommand, Routes], None]  # answers through the response_url


class Intake:
    """The listeners, bound to the routes and the outbox."""

    def __init__(
        self,
        store: RouteStore,
        outbox: Outbox,
        wake: Callable[[], None],
        tell_existing: Callable[[Job, str], None],
        gate: Gate,
        route_commands: RouteCommands,
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.wake = wake
        self.tell_existing = tell_existing
        self.gate = gate
        self.route_commands = route_commands

    @property
    def routes(self) -> RoutesConfig:
        """The routes in force now (the store's, refreshed every few seconds)."""
        return self.store.current()

    def _enqueue(self, new: NewJob) -> tuple[Job, bool]:
        job, created = self.outbox.enqueue(new)
        log.info(
            "bridge.job_%s",
            "accepted" if created else "duplicate",
            extra={"job_id": job.id, "channel": new.channel_id, "ts": new.message_ts},
        )
        if created:
            self.wake()
        return job, created

    def on_reaction(
        self, event: dict[str, Any], context: BoltContext, request: BoltRequest
    ) -> None:
        """``reaction_added``: the route's emoji on a message in a routed channel."""
        try:
            reaction = ReactionAdded.model_validate(event)
        except ValidationError:
            log.warning("bridge.reaction_unreadable")
            return
        item = reaction.item
        if item.type != "message" or not item.channel or not item.ts:
            return
        if context.bot_user_id in (reaction.item_user, reaction.user):
            return  # a reaction on the bridge's own message, or its own ✅
        team = context.team_id or ""
        if self._approve_by_reaction(team, item.channel, item.ts, reaction, request):
            return
        route = self.routes.for_reaction(item.channel, reaction.reaction)
        if route is None:
            return
        share = Share(team, item.channel, reaction.user, reaction.item_user)
        verdict = self.gate.check(route, share)
        if verdict.outcome == "refused":
            if not is_retry(request):
                self.gate.tell(item.channel, reaction.user, verdict.reason, item.ts)
            return
        if verdict.outcome == "approval":
            answer = self.gate.ask(route, team, item.channel, item.ts, None, reaction.user)
            if not is_retry(request):
                self.gate.tell(item.channel, reaction.user, answer, item.ts)
            return
        new = message_job(team, item.channel, item.ts, route, requested_by=reaction.user)
        job, created = self._enqueue(new)
        if not created and not is_retry(request) and job.state is JobState.done:
            self.tell_existing(job, reaction.user)

    def _approve_by_reaction(
        self, team: str, channel: str, ts: str, reaction: ReactionAdded, request: BoltRequest
    ) -> bool:
        """An approval emoji on a message waiting for approval: approve it (an approver) or
        say who may (anyone else). Whether the reaction was one."""
        base = reaction.reaction.split("::", 1)[0]
        routes = {r.name: r for r in self.routes.routes if r.who == "approval"}
        if not any(r.approval_emoji == base for r in routes.values()):
            return False
        handled = False
        for approval in self.gate.approvals.waiting_on(channel, ts):
            route = routes.get(approval.route_name)
            if route is None or route.approval_emoji != base:
                continue
            handled = True
            if not self.gate.may_approve(route, reaction.user):
                if not is_retry(request):
                    self.gate.tell(channel, reaction.user, self.gate.refused_approval(route), ts)
                continue
            self.approve(team, approval.id, route, reaction.user)
        return handled

    def approve(self, team: str, approval_id: int, route: Route, user: str) -> bool:
        """Approve request ``approval_id`` as ``user`` (an approver): the share becomes a job."""
        if not self.gate.approvals.decide(approval_id, "approved", user):
            return False
        approval = self.gate.approvals.get(approval_id)
        if approval is None:
            return False
        new = message_job(
            team or approval.team_id,
            approval.channel_id,
            approval.message_ts,
            route,
            thread_ts=approval.thread_ts,
            requested_by=approval.requested_by,
        )
        self._enqueue(new)
        self.gate.announce(approval, f"Approved by <@{user}>: publishing to *{route.name}*.")
        return True

    def on_approval_button(self, ack: Ack, body: dict[str, Any]) -> None:
        """Approve or Refuse pressed under an approval request in a thread."""
        ack()
        try:
            action = BlockAction.model_validate(body)
            approval_id = int(action.action.value)
        except (ValidationError, ValueError):
            log.warning("bridge.action_unreadable")
            return
        approval = self.gate.approvals.get(approval_id)
        route = self.routes.named(approval.route_name) if approval else None
        if approval is None or route is None:
            return
        user, channel = action.user.id, approval.channel_id
        if not self.gate.may_approve(route, user):
            self.gate.tell(channel, user, self.gate.refused_approval(route), approval.message_ts)
            return
        if action.action.action_id == APPROVE:
            done = self.approve(approval.team_id, approval_id, route, user)
        else:
            done = self.gate.approvals.decide(approval_id, "refused", user)
            if done:
                text = f"Refused by <@{user}>: this message is not published to *{route.name}*."
                self.gate.announce(approval, text)
        if not done:
            self.gate.tell(channel, user, "This request was already answered, or it expired.", None)

    def on_command(self, ack: Ack, command: dict[str, Any]) -> None:
        """``/crosspost``: help, share text or a link (now or later), list, cancel."""
        try:
            cmd = SlashCommand.model_validate(command)
        except ValidationError:
            ack(
                text="Sorry, that command arrived incomplete. Please try again.",
                response_type="ephemeral",
            )
            return
        ack(text=self._answer(cmd), response_type="ephemeral")

    def _answer(self, cmd: SlashCommand) -> str:
        request = parse_command(cmd.text)
        if isinstance(request, Help):
            return USAGE
        if isinstance(request, Invalid):
            return f"Sorry, {request.reason}."
        if isinstance(request, ListScheduled):
            return scheduled_list_text(self.outbox.scheduled_by(cmd.team_id, cmd.user_id))
        if isinstance(request, Routes):
            self.route_commands(cmd, request)
            return "One moment…"
        if isinstance(request, Cancel):
            if self.outbox.cancel(request.job_id, cmd.team_id, cmd.user_id):
                return f"Cancelled scheduled post #{request.job_id}."
            return (
                f"No post #{request.job_id} of yours is waiting to go out "
                "(`/crosspost scheduled` lists them)."
            )
        what = request.what if isinstance(request, Schedule) else request
        when = request.when.phrase if isinstance(request, Schedule) else None
        channel = what.channel if isinstance(what, ShareLink) else cmd.channel_id
        routes = self.routes.for_channel(channel)
        if not routes:
            return no_route_text(channel)
        return "\n".join(self._share(cmd, what, route, when) for route in routes)

    def _share(
        self, cmd: SlashCommand, what: ShareLink | ShareText, route: Route, when: str | None
    ) -> str:
        extra: dict[str, Any] = {
            "requested_by": cmd.user_id,
            "response_url": cmd.response_url,
            "when": when,
        }
        channel = what.channel if isinstance(what, ShareLink) else cmd.channel_id
        author = self.author(what, cmd.user_id)
        verdict = self.gate.check(route, Share(cmd.team_id, channel, cmd.user_id, author))
        if verdict.outcome == "refused":
            return verdict.reason
        if verdict.outcome == "approval":
            if isinstance(what, ShareText) or when:
                return (
                    f"*{route.name}* needs an approver's yes, given on a message: post your "
                    "text in the channel, then react to it with the route's emoji."
                )
            return self.gate.ask(
                route, cmd.team_id, what.channel, what.ts, what.thread_ts, cmd.user_id
            )
        if isinstance(what, ShareLink):
            new = message_job(
                cmd.team_id, what.channel, what.ts, route, thread_ts=what.thread_ts, **extra
            )
        else:
            new = text_job(cmd, what.text, route, **extra)
        job, created = self._enqueue(new)
        if created and when:
            return f"Scheduling a post to *{route.name}* ({when}): a confirmation follows."
        if created:
            return f"On its way to *{route.name}*. The link will follow here."
        if job.state is JobState.done and job.post_url:
            return f"Already shared to *{route.name}*: {job.post_url}"
        return f"Already being shared to *{route.name}* (state: {job.state.value})."

    def author(self, what: ShareLink | ShareText, user: str) -> str | None:
        """Who wrote what is being shared: the person typing, or the linked message's
        author (None when it cannot be read: the worker then says why)."""
        if isinstance(what, ShareText):
            return user
        try:
            return self.gate.author_of(what.channel, what.ts, what.thread_ts, user)
        except SlackError:
            return None
