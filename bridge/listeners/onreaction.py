"""The reaction trigger: the route's emoji on a message shares it; an approval emoji (or
the Approve / Refuse buttons) on a message waiting for approval answers the request."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from slack_bolt import Ack, BoltContext, BoltRequest

from bridge.delivery.outbox import JobState
from bridge.listeners.gate import APPROVE
from bridge.listeners.intakebase import IntakeBase
from bridge.listeners.newjobs import is_retry, message_job
from bridge.listeners.permits import Share
from bridge.routes import Route
from bridge.slack.payloads import BlockAction, ReactionAdded

log = logging.getLogger("bridge.listeners.intake")


class ReactionIntake(IntakeBase):
    """``reaction_added`` and the approval buttons."""

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
        stored = self.store_job(new)
        if is_retry(request):
            return
        if not stored.created and stored.job.state is JobState.done:
            self.tell_existing(stored.job, reaction.user)
        elif notice := stored.notice():
            self.gate.tell(item.channel, reaction.user, notice, item.ts)

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
        if self.gate.may_read(approval.channel_id, approval.requested_by) is not None:
            text = (
                f"Not published to *{route.name}*: <@{approval.requested_by}>, who asked, "
                "cannot read this conversation."
            )
            self.gate.announce(approval, text)
            return True
        new = message_job(
            team or approval.team_id,
            approval.channel_id,
            approval.message_ts,
            route,
            thread_ts=approval.thread_ts,
            requested_by=approval.requested_by,
        )
        self.enqueue(new)
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
