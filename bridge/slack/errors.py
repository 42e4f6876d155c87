"""Slack's failures, typed (see :mod:`bridge.failures`)::

SlackError                          a Web API call (or a file download) failed
├── SlackRetryable (Retryable)      may pass later: connection refused or dropped,
│                                   timeout, 5xx, rate limited (with Retry-After)
└── SlackRejected (Permanent)       needs a person: bot not in channel, message gone,
                                    scope missing
"""

from __future__ import annotations

from http.client import HTTPException
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError

from bridge.failures import Permanent, Retryable, retry_after_seconds

RETRYABLE = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
}
ADVICE = {
    "not_in_channel": "the bridge is not a member of this channel: invite it with /invite @bridge",
    "channel_not_found": "the bridge cannot see this channel: invite it with /invite @bridge",
    "thread_not_found": "the message was not found (was it deleted?)",
    "message_not_found": "the message was not found (was it deleted?)",
    "missing_scope": "the Slack app lacks a permission: reinstall it from manifest.yml",
    "invalid_auth": "Slack refused SLACK_BOT_TOKEN: check the token or reinstall the app",
    "token_revoked": "the Slack token was revoked: reinstall the app",
    "account_inactive": "the Slack token was revoked: reinstall the app",
}


class SlackError(Exception):
    """A Slack Web API call failed."""

    def __init__(self, message: str, error: str = "", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.error = error
        self.retry_after = retry_after


class SlackRetryable(SlackError, Retryable):
    """Worth trying again later."""

    service = "Slack"


class SlackRejected(SlackError, Permanent):
    """Needs a person to change something; the message says what."""


def to_slack_error(method: str, error: SlackClientError | OSError | HTTPException) -> SlackError:
    """The typed error for a failed call: an answer from Slack, or no answer at all."""
    if isinstance(error, SlackApiError):
        code = str(error.response.get("error", "") or "")
        status = error.response.status_code
        if code in RETRYABLE or status >= 500 or status == 429:
            wait = retry_after(error.response.headers)
            what = code if code and len(code) <= 40 else f"HTTP {status}"  # not an HTML page
            return SlackRetryable(f"Slack {method} failed: {what}", code, wait)
        return SlackRejected(ADVICE.get(code, f"Slack {method} failed: {code[:80]}"), code)
    return SlackRetryable(f"Slack could not be reached for {method}: {type(error).__name__}")


def retry_after(headers: Any) -> float | None:
    for name, value in dict(headers or {}).items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            return retry_after_seconds(str(raw))
    return None
