"""Amity Social Cloud REST client (httpx), with typed errors from Amity's envelope.

Errors::

    AmityError                     anything that went wrong talking to Amity
    ├── AmityRetryable             may succeed later: network, timeout, 5xx, 429 / 400311
    └── AmityRejected              Amity said no; the person must change something
        └── AmityAlreadyExists     400315: the post ID is taken (the post exists)

``AmityRejected.advice`` is a sentence for the person in Slack. The admin token is
sent only to the configured Amity origin: the client has that base URL and makes only
relative requests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

import httpx

from bridge.post import CreatePost
from bridge.ratelimit import Limiter, SlidingWindow

ADVICE: dict[int, str] = {
    400000: "Amity rejected the post as invalid",
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
    400314: "an image was refused by Amity's moderation",
    400400: "the community was not found: check the route's community ID in the routes file",
    500000: "the post is too large or invalid for Amity",
}


UPLOAD_PATHS = {"image": "api/v4/images", "video": "api/v4/videos", "file": "api/v4/files"}
UPLOAD_TIMEOUT = 600.0  # seconds between bytes on an upload; large videos take a while
Observer = Callable[[str, str, float, str | None], None]


class AmityError(Exception):
    """Base of every Amity failure."""

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class AmityRetryable(AmityError):
    """A failure that may pass later (network, timeout, 5xx, rate limit)."""


class AmityRejected(AmityError):
    """Amity refused the request for a reason the person has to fix."""

    @property
    def advice(self) -> str:
        """What to tell the person in Slack."""
        base = ADVICE.get(self.code or 0, "Amity refused the post")
        return f"{base} (Amity said: {self.args[0]}; code {self.code or self.status})"


class AmityAlreadyExists(AmityRejected):
    """The post ID exists already: the post was created by an earlier attempt."""


@dataclass(frozen=True)
class CreatedPost:
    """What the bridge keeps from Amity's answer."""

    post_id: str
    target_id: str


def to_error(response: httpx.Response) -> AmityError:
    """The typed error for a non-2xx answer, from Amity's envelope when there is one."""
    status = response.status_code
    code: int | None = None
    message = response.reason_phrase or f"HTTP {status}"
    try:
        envelope = response.json()
    except ValueError:
        envelope = None
    if isinstance(envelope, dict):
        code = envelope.get("code") if isinstance(envelope.get("code"), int) else None
        message = str(envelope.get("message") or message)
    if status == 429 or code == 400311 or (status >= 500 and code != 500000):
        return AmityRetryable(message, status=status, code=code)
    if code == 400315:
        return AmityAlreadyExists(message, status=status, code=code)
    return AmityRejected(message, status=status, code=code)


class AmityClient:
    """The few Amity endpoints the bridge uses."""

    def __init__(
        self,
        http: httpx.Client,
        limiter: Limiter | None = None,
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
        limiter: Limiter | None = None,
        observe: Observer | None = None,
    ) -> AmityClient:
        """A client with its own connection pool, authenticated with the admin token,
        waiting for ``limiter`` (the budget shared through the store) before each request,
        or else sending at most ``rate_limit`` requests per 5 seconds from this process."""
        http = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}", "User-Agent": "bridge"},
            timeout=httpx.Timeout(timeout, connect=5.0),
        )
        return cls(http, limiter or SlidingWindow(rate_limit, 5.0), observe)

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
        answer = self._request("POST", "api/v4/posts", json=body.to_json())
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
        answer = self._request(
            "POST",
            UPLOAD_PATHS[kind],
            data=data,
            files={"files": (filename, stream, mimetype)},
            timeout=httpx.Timeout(UPLOAD_TIMEOUT, connect=5.0),
        )
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
