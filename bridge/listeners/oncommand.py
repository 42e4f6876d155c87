"""The command trigger: ``/crosspost`` shares text or a linked message (now or later),
lists and cancels scheduled posts, and hands route commands on."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from slack_bolt import Ack

from bridge.delivery.outbox import JobState
from bridge.delivery.replies import scheduled_list_text
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
from bridge.listeners.intakebase import IntakeBase
from bridge.listeners.newjobs import message_job, no_route_text, text_job
from bridge.listeners.permits import Share
from bridge.routes import Route
from bridge.slack.api import SlackError
from bridge.slack.payloads import SlashCommand


class CommandIntake(IntakeBase):
    """``/crosspost``."""

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
        if isinstance(what, ShareLink) and (problem := self.gate.may_read(channel, cmd.user_id)):
            return problem  # before anything is stored, or asked in that conversation
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
        stored = self.store_job(new)
        job, created = stored.job, stored.created
        before = f"{notice}\n" if (notice := stored.notice()) else ""
        if created and when:
            return f"{before}Scheduling a post to *{route.name}* ({when}): a confirmation follows."
        if created:
            return f"{before}On its way to *{route.name}*. The link will follow here."
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
