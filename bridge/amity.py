"""Amity Social Cloud REST client (httpx), with typed errors from Amity's envelope.

Errors (see :mod:`bridge.failures`)::

    AmityError                     anything that went wrong talking to Amity
    ├── AmityRetryable (Retryable) may succeed later: network, timeout, every 5xx (500 +
    │                              500000 "Unexpected error" included), 429 / 400311
    └── AmityRejected (Permanent)  Amity said no; the person must change something
        └── AmityAlreadyExists     400315: the post ID is taken (the post exists)

:func:`to_error` reads the HTTP status and Amity's code together: 500000 is a server
fault with HTTP 500 but the caller's mistake with 413 (too large) or 422/400 (invalid,
with ``data.detail``). ``AmityRejected.advice`` is a sentence for the person in Slack.
The admin token is sent only to the configured Amity origin: the client has that base
URL and makes only relative requests.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

import httpx

from bridge.failures import Permanent, Retryable, retry_after_seconds
from bridge.post import CreatePost
from bridge.ratelimit import SlidingWindow

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
FILE_NOT_FOUND = "Amity no longer has a file uploaded for this post: share the message again"
RATE_WINDOW = 5.0  # seconds: Amity counts requests per admin user in 5-second windows

UPLOAD_PATHS = {"image": "api/v4/images", "video": "api/v4/videos", "file": "api/v4/files"}
UPLOAD_TIMEOUT = 600.0  # seconds between bytes on an upload; large videos take a while
Observer = Callable[[str, str, float, str | None], None]


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
        return ADVICE.get(code, "Amity refused the post")


class AmityAlreadyExists(AmityRejected):
    """The post ID exists already: the post was created by an earlier attempt."""


@dataclass(frozen=True)
class CreatedPost:
    """What the bridge keeps from Amity's answer."""

    post_id: str
    target_id: str


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


class AmityClient:
    """The few Amity endpoints the bridge uses."""

    def __init__(
        self,
        http: httpx.Client,
        limiter: SlidingWindow | None = None,
        observe: Observer | None = None,
    ) -> None:
        self.http = http
        self.limiter = limiter
        self.observe = observe

    @classmethod
    def create(
        cls,
        base_url: str,
        token: str,
        *,
        timeout: float = 20.0,
        rate_limit: int = 100,
        observe: Observer | None = None,
    ) -> AmityClient:
        """A client with its own connection pool, authenticated with the admin token,
        sending at most ``rate_limit`` requests per 5 seconds."""
        http = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}", "User-Agent": "bridge"},
            timeout=httpx.Timeout(timeout, connect=5.0),
        )
        return cls(http, SlidingWindow(rate_limit, 5.0), observe)

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        if self.limiter is not None:
            self.limiter.acquire()
        started = time.perf_counter()
        error: AmityError | None = None
        try:
            return self._send(method, path, **kwargs)
        except AmityError as failed:
            error = failed
            raise
        finally:
            if self.observe is not None:
                code = None if error is None else str(error.code or error.status or "network")
                operation = f"{method} {'/'.join(path.split('/')[:3])}"  # no IDs in labels
                self.observe("amity", operation, time.perf_counter() - started, code)

    def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TimeoutException as error:
            reason = f"Amity did not answer in time ({type(error).__name__})"
            raise AmityRetryable(reason) from error
        except httpx.TransportError as error:
            raise AmityRetryable(f"Amity could not be reached ({type(error).__name__})") from error
        if not response.is_success:
            raise to_error(response)
        try:
            return response.json()
        except ValueError as error:
            raise AmityRetryable("Amity answered with something that is not JSON") from error

    def create_post(self, body: CreatePost) -> CreatedPost:
        """``POST /api/v4/posts``; the created post is ``posts[0]``."""
        try:
            answer = self._request("POST", "api/v4/posts", json=body.to_json())
        except AmityRejected as error:
            error.target = body.targetId  # a "not found" names the community
            raise
        try:
            post = answer["posts"][0]
            return CreatedPost(post_id=str(post["postId"]), target_id=str(post.get("targetId")))
        except (KeyError, IndexError, TypeError) as error:
            raise AmityRetryable("Amity's answer had no created post in it") from error

    def upload(self, kind: str, stream: IO[bytes], filename: str, mimetype: str) -> str:
        """Upload a file (streamed from ``stream``) as ``image``, ``video`` or ``file``;
        returns its ``fileId``."""
        data = {"preferredFilename": filename}
        if kind == "video":
            data["feedType"] = "post"
        try:
            answer = self._request(
                "POST",
                UPLOAD_PATHS[kind],
                data=data,
                files={"files": (filename, stream, mimetype)},
                timeout=httpx.Timeout(UPLOAD_TIMEOUT, connect=5.0),
            )
        except AmityRejected as error:
            error.subject = filename  # the advice names the file, not "the post"
            raise
        try:
            return str(answer[0]["fileId"])
        except (KeyError, IndexError, TypeError) as error:
            raise AmityRetryable("Amity's upload answer had no fileId in it") from error

    def get_community(self, community_id: str) -> dict[str, Any] | None:
        """``GET /api/v3/communities/{communityId}``, or None when it does not exist."""
        try:
            answer = self._request("GET", f"api/v3/communities/{community_id}")
        except AmityRejected as error:
            if error.status == 404 or error.code == 400400:
                return None
            raise
        found = answer.get("communities") if isinstance(answer, dict) else None
        return found[0] if found else None
