"""What the bridge asks of Slack: the gateway, by API family, with typed errors.

:class:`SlackGateway` is one object made of the families: reading conversations
(:mod:`bridge.slack.conversations`), people (:mod:`bridge.slack.users`) and speaking in
Slack (:mod:`bridge.slack.chat`), on the base that makes each call with typed errors
(:mod:`bridge.slack.errors`) and metrics (:mod:`bridge.slack.calls`).
"""

from __future__ import annotations

from bridge.slack.calls import make_web_client
from bridge.slack.chat import Chat
from bridge.slack.conversations import Conversations
from bridge.slack.errors import SlackError, SlackRejected, SlackRetryable, to_slack_error
from bridge.slack.users import Users

__all__ = [
    "SlackError",
    "SlackGateway",
    "SlackRejected",
    "SlackRetryable",
    "make_web_client",
    "to_slack_error",
]


class SlackGateway(Conversations, Users, Chat):
    """The bridge's view of Slack, with small caches for names."""
