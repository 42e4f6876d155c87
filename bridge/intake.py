"""Intake: Bolt listeners that turn a verified Slack request into a stored job.

Each listener parses the payload, checks the route, inserts a job with its unique key
and returns; Bolt answers Slack after that (``process_before_response``), so an
acknowledged trigger is already durable. Nothing here calls Amity or waits on Slack.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from slack_bolt import Ack, BoltContext, BoltRequest

from bridge.commands import USAGE, Help, ShareLink, parse_command
from bridge.outbox import Job, JobState, NewJob, Outbox
from bridge.routes import Route, RoutesConfig

log = logging.getLogger("bridge.intake")


class ReactedItem(BaseModel):
    """The reacted-to item."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    type: str
    channel: str | None = None
    ts: str | None = None


class ReactionAdded(BaseModel):
    """A ``reaction_added`` event (no message text: the worker fetches it)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    type: Literal["reaction_added"]
    user: str
    reaction: str
    item: ReactedItem
    item_user: str | None = None


class _Id(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    id: str


class _ShortcutMessage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    ts: str
    thread_ts: str | None = None


class MessageShortcut(BaseModel):
    """A message shortcut ("Share to community" in a message's menu)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    type: Literal["message_action"]
    team: _Id
    channel: _Id
    user: _Id
    message: _ShortcutMessage
    response_url: str


class SlashCommand(BaseModel):
    """The fields of a slash command the bridge uses."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    team_id: str
    channel_id: str
    user_id: str
    text: str = ""
    response_url: str
    trigger_id: str


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


def is_retry(request: BoltRequest) -> bool:
    """Slack re-sent this request (``X-Slack-Retry-Num``)."""
    return bool(request.headers.get("x-slack-retry-num"))


def no_route_text(channel: str) -> str:
    """What a person sees when the channel has no route."""
    return (
        f"This channel (<#{channel}>) is not connected to a community. An admin can add "
        f"a route for channel ID `{channel}` to the bridge's routes file (bridge.yml)."
    )


class Intake:
    """The listeners, bound to the routes and the outbox."""

    def __init__(
        self,
        routes: RoutesConfig,
        outbox: Outbox,
        wake: Callable[[], None],
        tell_existing: Callable[[Job, str], None],
        respond_later: Callable[[str, str], None],
    ) -> None:
        self.routes = routes
        self.outbox = outbox
        self.wake = wake
        self.tell_existing = tell_existing
        self.respond_later = respond_later

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
            log.warning("bridge.reaction_unreadable", extra={"event_type": event.get("type")})
            return
        item = reaction.item
        if item.type != "message" or not item.channel or not item.ts:
            return
        route = self.routes.for_reaction(item.channel, reaction.reaction)
        if route is None or reaction.item_user == context.bot_user_id:
            return  # no route, or a reaction on the bridge's own message
        new = message_job(
            context.team_id or "", item.channel, item.ts, route, requested_by=reaction.user
        )
        job, created = self._enqueue(new)
        if not created and not is_retry(request) and job.state is JobState.done:
            self.tell_existing(job, reaction.user)

    def on_command(self, ack: Ack, command: dict[str, Any]) -> None:
        """``/crosspost``: help, a message link, or text to post."""
        try:
            cmd = SlashCommand.model_validate(command)
        except ValidationError:
            ack(
                text="Sorry, that command arrived incomplete. Please try again.",
                response_type="ephemeral",
            )
            return
        request = parse_command(cmd.text)
        if isinstance(request, Help):
            ack(text=USAGE, response_type="ephemeral")
            return
        channel = request.channel if isinstance(request, ShareLink) else cmd.channel_id
        routes = self.routes.for_channel(channel)
        if not routes:
            ack(text=no_route_text(channel), response_type="ephemeral")
            return
        answers = [self._command_job(cmd, request, route) for route in routes]
        ack(text="\n".join(answers), response_type="ephemeral")

    def _command_job(self, cmd: SlashCommand, request: Any, route: Route) -> str:
        extra: dict[str, Any] = {"requested_by": cmd.user_id, "response_url": cmd.response_url}
        if isinstance(request, ShareLink):
            new = message_job(
                cmd.team_id,
                request.channel,
                request.ts,
                route,
                thread_ts=request.thread_ts,
                **extra,
            )
        else:
            key = f"{cmd.team_id}:{cmd.channel_id}:cmd:{cmd.trigger_id}:{route.community}"
            new = NewJob(
                key=key,
                kind="text",
                team_id=cmd.team_id,
                channel_id=cmd.channel_id,
                route_name=route.name,
                community_id=route.community,
                post_id=post_id_for(key),
                text=request.text,
                **extra,
            )
        job, created = self._enqueue(new)
        if created:
            return f"On its way to *{route.name}*. The link will follow here."
        if job.state is JobState.done and job.post_url:
            return f"Already shared to *{route.name}*: {job.post_url}"
        return f"Already being shared to *{route.name}* (state: {job.state.value})."

    def on_shortcut(self, ack: Ack, shortcut: dict[str, Any]) -> None:
        """The "Share to community" message shortcut: like the reaction, for every route."""
        ack()
        try:
            action = MessageShortcut.model_validate(shortcut)
        except ValidationError:
            log.warning("bridge.shortcut_unreadable")
            return
        channel = action.channel.id
        routes = self.routes.for_channel(channel)
        if not routes:
            self.respond_later(action.response_url, no_route_text(channel))
            return
        for route in routes:
            new = message_job(
                action.team.id,
                channel,
                action.message.ts,
                route,
                thread_ts=action.message.thread_ts,
                requested_by=action.user.id,
                response_url=action.response_url,
            )
            job, created = self._enqueue(new)
            if not created and job.state is JobState.done and job.post_url:
                self.respond_later(
                    action.response_url, f"Already shared to *{route.name}*: {job.post_url}"
                )
