"""The Amity client: request shape, and each class of error from Amity's envelope."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from bridge.amity import (
    AmityAlreadyExists,
    AmityClient,
    AmityError,
    AmityRejected,
    AmityRetryable,
)
from bridge.post import CreatePost, PostData

Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler) -> AmityClient:
    http = httpx.Client(
        base_url="https://apix.eu.amity.co/",
        headers={"Authorization": "Bearer admin-token"},
        transport=httpx.MockTransport(handler),
    )
    return AmityClient(http)


def body() -> CreatePost:
    return CreatePost(data=PostData(text="hello"), targetId="comm1", postId="slack-1")


def envelope(status: int, code: int, message: str) -> Handler:
    payload = {"status": "error", "code": code, "message": message}
    return lambda _request: httpx.Response(status, json=payload)


def test_create_post_sends_body_and_reads_post_id() -> None:
    """The body goes to /api/v4/posts with the token; posts[0].postId is returned."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"posts": [{"postId": "slack-1", "targetId": "comm1"}]})

    created = client(handler).create_post(body())
    assert created.post_id == "slack-1"
    assert seen[0].url == "https://apix.eu.amity.co/api/v4/posts"
    assert seen[0].headers["authorization"] == "Bearer admin-token"
    sent = json.loads(seen[0].content)
    assert sent == {
        "data": {"text": "hello"},
        "targetType": "community",
        "targetId": "comm1",
        "postId": "slack-1",
    }


@pytest.mark.parametrize(
    ("status", "code", "error_type", "advice_word"),
    [
        (400, 400308, AmityRejected, "blocks"),
        (400, 400309, AmityRejected, "link"),
        (403, 400300, AmityRejected, "may not post"),
        (404, 400400, AmityRejected, "community was not found"),
        (400, 400315, AmityAlreadyExists, ""),
        (429, 400311, AmityRetryable, ""),
        (500, 500000, AmityRejected, "too large"),
        (413, 500000, AmityRejected, "too large"),
        (503, 0, AmityRetryable, ""),
    ],
)
def test_error_classes(
    status: int, code: int, error_type: type[AmityError], advice_word: str
) -> None:
    """Each documented code maps to retry-later or the person's-to-fix, with advice."""
    with pytest.raises(error_type) as caught:
        client(envelope(status, code, "msg")).create_post(body())
    assert caught.value.status == status
    if advice_word:
        assert isinstance(caught.value, AmityRejected)
        assert advice_word in caught.value.advice


def test_proxy_error_page_is_retryable() -> None:
    """A 502 HTML page from a proxy (no envelope) is retried."""

    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>Bad gateway</html>")

    with pytest.raises(AmityRetryable):
        client(handler).create_post(body())


def test_network_errors_are_retryable() -> None:
    """Connection refused and timeouts are retried, not reported as the user's fault."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    for handler in (refuse, slow):
        with pytest.raises(AmityRetryable):
            client(handler).create_post(body())


def test_answer_without_post_is_retryable() -> None:
    """A 200 without posts[0] is not taken as success."""

    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"posts": []})

    with pytest.raises(AmityRetryable):
        client(handler).create_post(body())


def test_get_community_missing_is_none() -> None:
    """GET of an unknown community gives None; other errors still raise."""
    assert client(envelope(404, 400400, "Resource Not Found.")).get_community("nope") is None
    with pytest.raises(AmityRejected):
        client(envelope(403, 400300, "Forbidden")).get_community("x")
