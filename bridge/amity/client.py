"""Amity Social Cloud REST client (httpx): create a post, upload a file, read a community.

The admin token is sent only to the configured Amity origin: the client has that base
URL and makes only relative requests. Errors are typed from the HTTP status and Amity's
code together (:mod:`bridge.amity.errors`, re-exported here).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

import httpx

from bridge.amity.errors import (
    AmityAlreadyExists,
    AmityError,
    AmityRejected,
    AmityRetryable,
    to_error,
)
from bridge.amity.post import CreatePost
from bridge.amity.ratelimit import Limiter
from bridge.ids import path_segment

__all__ = [
    "AmityAlreadyExists",
    "AmityClient",
    "AmityError",
    "AmityRejected",
    "AmityRetryable",
    "CreatedPost",
    "to_error",
]
UPLOAD_PATHS = {"image": "api/v4/images", "video": "api/v4/videos", "file": "api/v4/files"}
UPLOAD_TIMEOUT = 600.0  # seconds between bytes on an upload; large videos take a while


def _segment(amity_id: str) -> str:
    """An ID as one quoted path segment; an ID no quoting makes safe is refused before
    anything is sent (the person has to fix it: it came from a route or a stored value)."""
    try:
        return path_segment(amity_id)
    except ValueError as error:
        raise AmityRejected(f"{error}: check the route's community ID") from None


Observer = Callable[[str, str, float, str | None], None]


@dataclass(frozen=True)
class CreatedPost:
    """What the bridge keeps from Amity's answer."""

    post_id: str
    target_id: str


class AmityClient:
    """The few Amity endpoints the bridge uses."""

    def __init__(
        self,
        http: httpx.Client,
        limiter: Limiter | None = None,
        observe: Observer | None = None,
        token: str | None = None,
    ) -> None:
        self.http = http
        self.limiter = limiter
        self.observe = observe
        self.token = token  # a user's access token instead of the client's admin token

    def as_user(self, token: str, limiter: Limiter | None) -> AmityClient:
        """The same connections, authenticated with a user's access token (and that
        token's own rate budget): what this client sends goes out as that user."""
        return AmityClient(self.http, limiter, self.observe, token)

    @classmethod
    def create(
        cls,
        base_url: str,
        token: str,
        *,
        limiter: Limiter,
        timeout: float = 20.0,
        observe: Observer | None = None,
    ) -> AmityClient:
        """A client with its own connection pool, authenticated with the admin token,
        waiting for ``limiter`` (the budget shared through the store, or a
        :class:`bridge.amity.ratelimit.SlidingWindow` of this process) before each request."""
        http = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}", "User-Agent": "bridge"},
            timeout=httpx.Timeout(timeout, connect=5.0),
        )
        return cls(http, limiter, observe)

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
        if self.token is not None:
            kwargs["headers"] = {"Authorization": f"Bearer {self.token}"}
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

    def update_post(self, post_id: str, body: dict[str, Any]) -> None:
        """``PUT /api/v4/posts/{postId}`` with an update body (:func:`to_update_post`)."""
        self._request("PUT", f"api/v4/posts/{_segment(post_id)}", json=body)

    def delete_post(self, post_id: str) -> bool:
        """``DELETE /api/v4/posts/{postId}``; False when the post was already gone (404),
        so a retried delete is not an error."""
        try:
            self._request("DELETE", f"api/v4/posts/{_segment(post_id)}")
        except AmityRejected as error:
            if error.status == 404 or error.code == 400400:
                return False
            raise
        return True

    def upload(self, type_: str, stream: IO[bytes], filename: str, mimetype: str) -> str:
        """Upload a file (streamed from ``stream``) as ``image``, ``video`` or ``file``;
        returns its ``fileId``."""
        data = {"preferredFilename": filename}
        if type_ == "video":
            data["feedType"] = "post"
        try:
            answer = self._request(
                "POST",
                UPLOAD_PATHS[type_],
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

    def user_exists(self, user_id: str) -> bool:
        """``GET /api/v3/users/{userId}``: whether the user has an Amity account."""
        try:
            self._request("GET", f"api/v3/users/{_segment(user_id)}")
        except AmityRejected as error:
            if error.status == 404 or error.code == 400400:
                return False
            raise
        return True

    def get_community(self, community_id: str) -> dict[str, Any] | None:
        """``GET /api/v3/communities/{communityId}``, or None when it does not exist."""
        try:
            answer = self._request("GET", f"api/v3/communities/{_segment(community_id)}")
        except AmityRejected as error:
            if error.status == 404 or error.code == 400400:
                return None
            raise
        found = answer.get("communities") if isinstance(answer, dict) else None
        return found[0] if found else None

    def find_communities(self, keyword: str) -> list[dict[str, Any]]:
        """``GET /api/v3/communities?keyword=``: Amity's keyword search over community names."""
        answer = self._request("GET", "api/v3/communities", params={"keyword": keyword})
        found = answer.get("communities") if isinstance(answer, dict) else None
        return [c for c in found or [] if isinstance(c, dict)]
