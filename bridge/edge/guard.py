"""The HTTP edge: hostile requests are refused before they cost anything.

The Slack URL is public, so anyone can send it anything. Two layers keep that cheap:

- **waitress** refuses a body over ``BRIDGE_MAX_BODY_BYTES`` with 413 while receiving it:
  a declared ``Content-Length`` at once (even when the client asked ``Expect:
  100-continue``), a chunked body as soon as it crosses the limit. What it accepts waits
  in memory up to 64 KiB and in a temporary file past that (:func:`waitress_limits`).
  :class:`GuardedChannel` adds one log line per such refusal.
- :class:`Guard`, WSGI middleware in front of ``Bridge.wsgi``, refuses with 401 every
  request to a Slack route whose signature headers cannot be Slack's (missing, not
  ``v0=`` + 64 hex digits, a timestamp that is not a number or is outside Slack's
  5-minute window) without reading its body; then it checks the signature over the
  body, read in 64 KiB pieces and rewound, and refuses a wrong one before anything
  parses the body (Bolt parses before it verifies, and answers junk with a 500). Bolt
  still verifies every request that passes. ``GET /healthz`` is open; ``GET /metrics``
  asks for ``Authorization: Bearer <BRIDGE_METRICS_TOKEN>`` when that is set.

Every refusal logs one short ``bridge.request_refused`` line: status, reason, path. Never
the body, never a header value.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypedDict

from waitress.channel import HTTPChannel
from waitress.task import ErrorTask

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("bridge.edge.guard")

SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")  # hex HMAC-SHA256, as Slack writes it
TIMESTAMP = re.compile(r"[0-9]{1,12}")  # Unix seconds
MAX_SKEW_SECONDS = 300  # Slack's replay window, checked the same way by Bolt
HEALTH = "/healthz"
METRICS = "/metrics"
MEMORY_PER_BODY = 65_536  # bytes of a body held in memory; the rest waits on disk
PIECE = 65_536  # bytes of a body read at a time to check its signature


class WaitressLimits(TypedDict):
    """The waitress settings :func:`waitress_limits` gives."""

    max_request_body_size: int
    inbuf_overflow: int


def waitress_limits(max_body: int) -> WaitressLimits:
    """waitress settings bounding what a request may cost before the app sees it."""
    return {
        # waitress refuses a body whose size reaches this figure: +1 accepts max_body itself
        "max_request_body_size": max_body + 1,
        # with the server's 500 connections, at most ~33 MB of bodies in memory at once
        "inbuf_overflow": min(max_body, MEMORY_PER_BODY),
    }


class Guard:
    """WSGI middleware: cheap refusals in front of the bridge's application."""

    def __init__(
        self,
        app: WSGIApplication,
        *,
        signing_secret: str,
        metrics_token: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.secret = signing_secret.encode()
        self.metrics_token = metrics_token.encode() if metrics_token else None
        self.clock = clock

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Pass the request on, or answer 401 without parsing its body."""
        path = str(environ.get("PATH_INFO", ""))
        if environ.get("REQUEST_METHOD") == "GET" and path in (HEALTH, METRICS):
            if path == METRICS and not self._may_scrape(environ):
                return refuse(start_response, path, "metrics_unauthorized", METRICS_REFUSED)
            return self.app(environ, start_response)
        reason = self.implausible(environ) or (None if self.signed(environ) else "bad_signature")
        if reason:
            return refuse(start_response, path, reason, UNSIGNED_REFUSED)
        return self.app(environ, start_response)

    def implausible(self, environ: WSGIEnvironment) -> str | None:
        """Why the signature headers cannot be Slack's, or None when they might be."""
        signature = environ.get("HTTP_X_SLACK_SIGNATURE")
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        if signature is None or timestamp is None:
            return "unsigned"
        if not SIGNATURE.fullmatch(signature) or not TIMESTAMP.fullmatch(timestamp):
            return "malformed_signature"
        if abs(self.clock() - int(timestamp)) > MAX_SKEW_SECONDS:
            return "stale_timestamp"
        return None

    def signed(self, environ: WSGIEnvironment) -> bool:
        """Whether the body bears the signature; the body is rewound for the app."""
        stream = environ["wsgi.input"]
        start = stream.tell()
        stamp = str(environ["HTTP_X_SLACK_REQUEST_TIMESTAMP"]).encode()
        mac = hmac.new(self.secret, b"v0:" + stamp + b":", hashlib.sha256)
        remaining = int(environ.get("CONTENT_LENGTH") or 0)  # waitress sets it for chunked too
        while remaining > 0 and (piece := stream.read(min(remaining, PIECE))):
            mac.update(piece)
            remaining -= len(piece)
        stream.seek(start)
        return hmac.compare_digest("v0=" + mac.hexdigest(), environ["HTTP_X_SLACK_SIGNATURE"])

    def _may_scrape(self, environ: WSGIEnvironment) -> bool:
        if self.metrics_token is None:
            return True
        given = str(environ.get("HTTP_AUTHORIZATION", "")).encode("latin-1")
        return hmac.compare_digest(given, b"Bearer " + self.metrics_token)


UNSIGNED_REFUSED = "This URL accepts only requests signed by Slack within the last 5 minutes.\n"
METRICS_REFUSED = "Send Authorization: Bearer <BRIDGE_METRICS_TOKEN>.\n"


def refuse(start_response: StartResponse, path: str, reason: str, text: str) -> list[bytes]:
    """Answer 401 with a one-line explanation, and log one line."""
    log.warning(
        "bridge.request_refused", extra={"status": 401, "reason": reason, "path": path[:80]}
    )
    body = text.encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    if reason == "metrics_unauthorized":
        headers.append(("WWW-Authenticate", 'Bearer realm="metrics"'))
    start_response("401 Unauthorized", headers)
    return [body]


class RefusalTask(ErrorTask):
    """waitress's own error answer (413 over the limit, 400 malformed, ...), logged."""

    def execute(self) -> None:
        """Log the refusal (waitress already logs its 500s with the traceback), answer."""
        # the stubs type Task.request as the error; it is the request parser
        error = self.request.error  # type: ignore[attr-defined]
        if error.code != 500:
            log.warning(
                "bridge.request_refused",
                extra={
                    "status": error.code,
                    "reason": "too_large" if error.code == 413 else "malformed_request",
                    "path": str(getattr(self.request, "path", ""))[:80],
                },
            )
        super().execute()


class GuardedChannel(HTTPChannel):
    """waitress's connection handler, with its refusals logged."""

    error_task_class = RefusalTask

    def send_continue(self) -> None:
        """``Expect: 100-continue``: invite the body only if the request is acceptable.

        waitress would send ``100 Continue`` even for a body over the limit, read up to
        the limit, then answer 413; refusing at once spares that megabyte.
        """
        if self.request is not None and self.request.error is not None:
            self.request.expect_continue = False
            return
        super().send_continue()
