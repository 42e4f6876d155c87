"""The WSGI handler of ``POST /slack/events``: Bolt's, with a check of the body first.

Bolt parses the body before it verifies the signature, and a body that is not JSON (or
a form whose ``payload`` is not) makes it raise: an HTTP 500. The server runs this behind
:class:`bridge.edge.guard.Guard`, which has refused unsigned and wrongly signed requests;
here the body is checked against the payloads the bridge takes
(:func:`bridge.slack.payloads.to_problem`): a request that is not one of them is answered
HTTP 400 with one log line naming what is wrong (never the body), and nothing is stored.
The rest goes to Bolt, which verifies the signature again before any listener runs.
"""

from __future__ import annotations

import logging

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest

from bridge.slack.payloads import to_problem

log = logging.getLogger("bridge.listeners.intake")


class SlackEventsHandler(SlackRequestHandler):
    """Bolt's WSGI handler that answers 400 to requests Slack would never send."""

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        """Check the body, then hand the request to Bolt."""
        try:
            length = max(0, int(request.environ.get("CONTENT_LENGTH") or 0))
        except ValueError:
            return BoltResponse(status=400, body="bad Content-Length")
        body: bytes = request.environ["wsgi.input"].read(length) if length else b""
        headers = request.get_headers()
        content_type = headers.get("content-type", "")
        problem = to_problem(body, content_type if isinstance(content_type, str) else "")
        if problem is not None:
            log.warning("bridge.request_invalid", extra={"reason": problem})
            return BoltResponse(status=400, body="not a Slack request this app takes")
        query = request.query_string
        return self.app.dispatch(BoltRequest(body=body.decode(), query=query, headers=headers))
