"""The rules at intake: may this person publish this message through this route, and the
approval step for routes that need one.

``Gate.check`` answers from cached Slack lookups (see :mod:`bridge.listeners.permits`);
what it tells people (refusals, approval requests, decisions) is sent in the background
so that Slack gets its answer at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bridge.delivery.approvals import Approval, Approvals
from bridge.listeners.permits import Share, Verdict, is_listed, judge
from bridge.routes import Route, who_may_publish
from bridge.slack.api import SlackError
from bridge.slack.directory import Directory

log = logging.getLogger("bridge.listeners.gate")
APPROVE = "approval_approve"  # action_id of the Approve button
REFUSE = "approval_refuse"  # action_id of the Refuse button
NOT_A_MEMBER = (
    "You are not a member of the private conversation that message is in, so it cannot "
    "be shared on your behalf: ask someone in it to share it."
)

# channel, user, text, thread_ts: a message only ``user`` sees
Tell = Callable[[str, str, str, str | None], None]
# channel, text, blocks, thread_ts: a message in the thread
Post = Callable[[str, str, list[dict[str, Any]] | None, str | None], None]


@dataclass
class Gate:
    """The permission rules and the approvals, with the means to tell people."""

    directory: Directory
    approvals: Approvals
    tell: Tell
    post: Post
    author_of: Callable[[str, str, str | None, str], str | None]  # channel, ts, thread, user

    def check(self, route: Route, share: Share) -> Verdict:
        """``judge``, with Slack's failures turned into a refusal to try again."""
        try:
            return judge(route, share, self.directory)
        except SlackError as error:
            log.warning("bridge.permission_lookup_failed", extra={"error": error.error})
            return Verdict(
                "refused",
                f"Sorry, the bridge could not check who may publish through *{route.name}* "
                "(Slack did not answer); try again in a minute.",
            )

    def may_read(self, channel: str, user: str) -> str | None:
        """None when ``user`` can read ``channel`` (any public channel, or a private one,
        DM or group DM they are in); else what to tell them."""
        try:
            if not self.directory.channel(channel).is_closed:
                return None
            if self.directory.is_member(channel, user):
                return None
        except SlackError as error:
            log.warning("bridge.membership_lookup_failed", extra={"error": error.error})
            return (
                "Sorry, the bridge could not check that you can read that conversation "
                "(Slack did not answer); try again in a minute."
            )
        return NOT_A_MEMBER

    def may_approve(self, route: Route, user: str) -> bool:
        """Whether ``user`` is one of the route's approvers."""
        try:
            return is_listed(route, user, self.directory)
        except SlackError:
            return False

    def ask(
        self, route: Route, team: str, channel: str, ts: str, thread_ts: str | None, user: str
    ) -> str:
        """Open an approval request and show it in the message's thread; the answer to give
        the person who asked."""
        approval, created = self.approvals.request(
            team, channel, ts, thread_ts, route.name, user, route.approval_hours
        )
        if created:
            text = (
                f"<@{user}> asks to publish this message to *{route.name}*. Approvers: "
                f"{_approvers(route)}: react with :{route.approval_emoji}: or press Approve "
                f"within {route.approval_hours:g} h."
            )
            self.post(channel, text, _buttons(text, approval), thread_ts or ts)
        return (
            f"*{route.name}* needs an approver's yes: the request is in the message's thread "
            f"({_approvers(route)} can approve)."
        )

    def refused_approval(self, route: Route) -> str:
        """What someone who may not approve is told."""
        return f"Only {_approvers(route)} may approve posts to *{route.name}*."

    def announce(self, approval: Approval, text: str) -> None:
        """A line in the request's thread: approved, refused, expired."""
        self.post(approval.channel_id, text, None, approval.thread_ts or approval.message_ts)


def _approvers(route: Route) -> str:
    return who_may_publish(route.model_copy(update={"who": "listed"})).removeprefix("only ")


def _buttons(text: str, approval: Approval) -> list[dict[str, Any]]:
    value = str(approval.id)
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {
            "type": "actions",
            "block_id": f"approval-{value}",
            "elements": [
                {
                    "type": "button",
                    "action_id": APPROVE,
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Approve"},
                    "value": value,
                },
                {
                    "type": "button",
                    "action_id": REFUSE,
                    "style": "danger",
                    "text": {"type": "plain_text", "text": "Refuse"},
                    "value": value,
                },
            ],
        },
    ]
