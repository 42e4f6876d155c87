"""Amity's errors, classified from the HTTP status and Amity's code together.

Errors (see :mod:`bridge.failures`)::

    AmityError                     anything that went wrong talking to Amity
    ├── AmityRetryable (Retryable) may succeed later: network, timeout, every 5xx (500 +
    │                              500000 "Unexpected error" included), 429 / 400311
    └── AmityRejected (Permanent)  Amity said no; the person must change something
        └── AmityAlreadyExists     400315: the post ID is taken (the post exists)

:func:`to_error` reads an error answer as Amity documents it: 500000 is a server fault
with HTTP 500 but the caller's mistake with 413 (too large) or 422/400 (invalid, with
``data.detail``); 404/400400 says what was not found (the community, or a file).
``AmityRejected.advice`` is a sentence for the person in Slack.
"""

from __future__ import annotations

import random

import httpx

from bridge.failures import Permanent, Retryable, retry_after_seconds

ADVICE: dict[int, str] = {
    400100: "the Amity admin token was refused, or its user is not a member of the "
    "community: ask an admin to check AMITY_ADMIN_TOKEN and the community's members",
    400300: "the Amity admin user may not post in this community: ask a community "
    "moderator to allow it",
    400301: "the Amity admin user lacks the permission to post in this community",
    400302: "the Amity admin user is muted in this community",
    400304: "the Amity admin user is banned from this community",
    400308: "the text contains a word that the community's network blocks: "
    "rephrase it and try again",
    400309: "the text contains a link whose domain the network does not allow: "
    "remove the link or ask an admin to allow the domain",
    400312: "the Amity admin user is banned from the network",
    400314: "an image was refused by Amity's moderation: remove it and try again",
}
COMMUNITY_NOT_FOUND = (
    "the community{} was not found: check the route's community ID in the routes file"
)
FILE_NOT_FOUND = (
    "Amity did not find a file uploaded for this post (was it deleted from Amity?): "
    "ask an admin to check the bridge"
)
RATE_WINDOW = 5.0  # seconds: Amity counts requests per admin user in 5-second windows


class AmityError(Exception):
    """Base of every Amity failure."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        detail: list[str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.detail = list(detail or [])


class AmityRetryable(AmityError, Retryable):
    """A failure that may pass later (network, timeout, 5xx, rate limit)."""

    service = "Amity"


class AmityRejected(AmityError, Permanent):
    """Amity refused the request for a reason the person has to fix."""

    subject: str | None = None  # the file being uploaded, when it was an upload
    target: str | None = None  # the community posted to, when it was a create-post
    author: str | None = None  # the Amity user posted as, when it was not the admin

    @property
    def advice(self) -> str:
        """What to tell the person in Slack: what is wrong, then Amity's own words."""
        said = "; ".join([str(self.args[0]), *self.detail])
        return f"{self._what()} (Amity said: {said}; code {self.code or self.status})"

    def _what(self) -> str:
        thing = f"the file {self.subject}" if self.subject else "the post"
        if self.status == 413:
            return f"{thing} is too large for Amity"
        if self.code in (400000, 500000):
            return f"Amity found {thing} invalid"
        if self.code == 400400 or self.status == 404:
            if "file" in str(self.args[0]).lower():
                return FILE_NOT_FOUND
            return COMMUNITY_NOT_FOUND.format(f" {self.target}" if self.target else "")
        code = self.code or {401: 400100, 403: 400300}.get(self.status or 0, 0)
        advice = ADVICE.get(code, "Amity refused the post")
        if self.author:
            advice = advice.replace("the Amity admin user", f"the Amity user {self.author}")
        return advice


class AmityAlreadyExists(AmityRejected):
    """The post ID exists already: the post was created by an earlier attempt."""


def _envelope(response: httpx.Response) -> tuple[int | None, str | None, list[str]]:
    """Amity's code, message and ``data.detail`` (as lines), when the body is its envelope."""
    try:
        envelope = response.json()
    except ValueError:
        return None, None, []
    if not isinstance(envelope, dict):
        return None, None, []
    code = envelope.get("code")
    code = int(code) if isinstance(code, int | float) and not isinstance(code, bool) else None
    message = str(envelope["message"]) if envelope.get("message") else None
    data = envelope.get("data")
    detail = data.get("detail") if isinstance(data, dict) else None
    if isinstance(detail, list):
        lines = [str(item) for item in detail]
    elif isinstance(detail, dict):
        lines = [f"{key}: {value}" for key, value in detail.items()]
    else:
        lines = []
    return code, message, lines


def rate_limit_wait(header: str | None) -> float:
    """After a 429: ``Retry-After`` if Amity sent one, and never less than its 5 s window;
    jittered up so that instances hit together do not come back together."""
    asked = retry_after_seconds(header) or 0.0
    return max(asked, RATE_WINDOW) * (1 + 0.5 * random.random())  # noqa: S311 (jitter)


def to_error(response: httpx.Response) -> AmityError:
    """The typed error for a non-2xx answer, from the HTTP status and Amity's code."""
    status = response.status_code
    code, said, detail = _envelope(response)
    message = said or response.reason_phrase or f"HTTP {status}"
    if status == 429 or code == 400311:
        error = AmityRetryable(message, status=status, code=code)
        error.retry_after = rate_limit_wait(response.headers.get("retry-after"))
        return error
    if status >= 500 or status == 408:  # server faults, proxies' pages, timeouts
        return AmityRetryable(message, status=status, code=code, detail=detail)
    if code == 400315:
        return AmityAlreadyExists(message, status=status, code=code)
    return AmityRejected(message, status=status, code=code, detail=detail)
