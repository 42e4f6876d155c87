"""Local stand-ins for Slack and Amity, as real HTTP servers on 127.0.0.1.

Used by the tests and the demo::

    with FakeAmity() as amity, FakeSlack() as slack:
        amity.add_community("c1", "Announcements")
        client = WebClient(token=slack.bot_token, base_url=slack.url + "/api/")

``signed`` builds and sends the signed requests Slack would send to the bridge.
"""

from __future__ import annotations

from bridge_standins.amity import AmityRequest, FakeAmity, Upload
from bridge_standins.server import FakeServer, HttpRequest, Reply, WaitTimeoutError, wait_for
from bridge_standins.signed import SlackSender, signature, signed_headers
from bridge_standins.slack import (
    BotReaction,
    Download,
    EphemeralMessage,
    FakeSlack,
    PostedMessage,
    ResponsePost,
    SlackCall,
)

__all__ = [
    "AmityRequest",
    "BotReaction",
    "Download",
    "EphemeralMessage",
    "FakeAmity",
    "FakeServer",
    "FakeSlack",
    "HttpRequest",
    "PostedMessage",
    "Reply",
    "ResponsePost",
    "SlackCall",
    "SlackSender",
    "Upload",
    "WaitTimeoutError",
    "signature",
    "signed_headers",
    "wait_for",
]
