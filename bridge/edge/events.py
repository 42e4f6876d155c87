"""The WSGI handler of ``POST /slack/events``: Bolt's, with a check of the body first.

Bolt parses the body before it verifies the signature, and a body that is not JSON (or
a form whose ``payload`` is not) makes it raise: an HTTP 500. Here the signature is
verified first (a wrong one is Bolt's usual 401), then the body is checked against the
payloads the bridge takes (:func:`bridge.slack.payloads.to_problem`): a signed request that is
not one of them is answered HTTP 400 with one log line naming what is wrong (never the
body), and nothing is stored. The rest goes to Bolt.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest

from bridge.slack.payloads import to_problem

log = logging.getLogger("bridge.listeners.intake")
MAX_SKEW = 300  # seconds: Slack's rule, and Bolt's


def is_signed(secret: bytes, body: bytes, timestamp: str, signature: str, now: float) -> bool:
    """Slack's v0 signature over the raw bytes (slack_sdk's verifier wants UTF-8 text, and
    a body that is not UTF-8 must still be told apart: signed or not)."""
    try:
        skew = abs(now - int(timestamp))
    except ValueError:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()
    return skew <= MAX_SKEW and hmac.compare_digest(expected, signature)


class SlackEventsHandler(SlackRequestHandler):
    """Bolt's WSGI handler that answers 400 to signed requests Slack would never send."""

    def __init__(self, app: App, signing_secret: str) -> None:
        super().__init__(app)
        self.secret = signing_secret.encode()

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        """Verify, check the body, then hand the request to Bolt."""
        try:
            length = max(0, int(request.environ.get("CONTENT_LENGTH") or 0))
        except ValueError:
            return BoltResponse(status=400, body="bad Content-Length")
        body: bytes = request.environ["wsgi.input"].read(length) if length else b""
        headers = request.get_headers()
        signed = {k: v for k, v in headers.items() if isinstance(v, str)}
        timestamp = signed.get("x-slack-request-timestamp", "")
        signature = signed.get("x-slack-signature", "")
        if not is_signed(self.secret, body, timestamp, signature, time.time()):
            return BoltResponse(status=401, body='{"error": "invalid request"}')
        problem = to_problem(body, signed.get("content-type", ""))
        if problem is not None:
            log.warning("bridge.request_invalid", extra={"reason": problem})
            return BoltResponse(status=400, body="not a Slack request this app takes")
        query = request.query_string
        return self.app.dispatch(BoltRequest(body=body.decode(), query=query, headers=headers))
