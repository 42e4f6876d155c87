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
from bridge.listeners.commands import (
    USAGE,
    Cancel,
    Help,
    Invalid,
    ListScheduled,
    Schedule,
    ShareLink,
    ShareText,
    parse_command,
)
from bridge.routes import Route, RoutesConfig
from bridge.slack.payloads import ReactionAdded, SlashCommand

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
    ) -> None:
        self.routes = routes
        self.outbox = outbox
        self.wake = wake
        self.tell_existing = tell_existing

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
