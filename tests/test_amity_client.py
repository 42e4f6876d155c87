"""The Amity client: request shape, and each class of error from Amity's envelope."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import httpx
import pytest

from bridge.amity.client import (
    AmityAlreadyExists,
    AmityClient,
    AmityRejected,
    AmityRetryable,
)
from bridge.amity.post import CreatePost, Mentionees, PostData, to_update_post
from bridge.failures import Permanent, Retryable

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


def answer(status: int, code: int, message: str, **extra: object) -> Handler:
    """Amity's error envelope with ``data`` (``detail``) and headers when given."""
    payload: dict[str, object] = {"status": "error", "code": code, "message": message}
    if "detail" in extra:
        payload["data"] = {"detail": extra["detail"]}
    headers = {"Retry-After": str(extra["retry_after"])} if "retry_after" in extra else {}
    return lambda _request: httpx.Response(status, json=payload, headers=headers)


def html(status: int) -> Handler:
    """An error page from a proxy in front of Amity: no envelope."""
    page = f"<html><body><h1>{status}</h1></body></html>"
    return lambda _request: httpx.Response(status, text=page, headers={"content-type": "text/html"})


TOO_LONG = "The 'data.text' field length must be less than or equal to 20000 characters long."
# Amity's documented error answers (global/error.yaml and the post and file APIs), each
# with what the person must read in the advice.
REJECTED = [
    ("bad request", answer(400, 400000, "Bad Request."), "Amity found the post invalid"),
    (
        "invalid, 422 + 500000",
        answer(422, 500000, "Parameters error.", detail=[TOO_LONG]),
        "Amity found the post invalid",
    ),
    (
        "invalid, 400 + 500000",
        answer(400, 500000, "Parameters error.", detail=[TOO_LONG]),
        TOO_LONG,
    ),
    ("too large", answer(413, 500000, "Payload too large."), "the post is too large for Amity"),
    ("unauthorized", answer(401, 400100, "Unauthorized"), "AMITY_ADMIN_TOKEN"),
    (
        "not a member",
        answer(401, 400100, "User bridge is not join this community comm1"),
        "community's members",
    ),
    ("forbidden", answer(403, 400300, "Forbidden error."), "may not post in this community"),
    ("permission", answer(403, 400301, "Permission denied"), "lacks the permission"),
    ("muted", answer(403, 400302, "User is muted from the channel."), "is muted"),
    ("banned", answer(403, 400304, "User is banned from a channel / community."), "banned"),
    ("blocked word", answer(403, 400308, "Data contain blacklist word"), "rephrase it"),
    (
        "link",
        answer(403, 400309, "Data contain link that is not in whitelist"),
        "remove the link",
    ),
    ("moderation", answer(403, 400314, "Image is not allowed"), "moderation"),
    ("no community", answer(404, 400400, "Resource Not Found."), "the community comm1 was not"),
    ("no file", answer(404, 400400, "File not found f-1."), "did not find a file uploaded"),
]
RETRYABLE = [
    ("server fault, 500 + 500000", answer(500, 500000, "Unexpected error")),
    ("proxy 502 page", html(502)),
    ("proxy 503 page", html(503)),
    ("gateway timeout page", html(504)),
    ("rate limit", answer(429, 400311, "RateLimit Exceed.")),
    ("rate limit code with 400", answer(400, 400311, "RateLimit Exceed.")),
]


@pytest.mark.parametrize(
    ("handler", "advice"), [c[1:] for c in REJECTED], ids=[c[0] for c in REJECTED]
)
def test_rejections_tell_the_person_what_is_wrong(handler: Handler, advice: str) -> None:
    """Each documented refusal is permanent, with advice naming what to fix."""
    with pytest.raises(AmityRejected) as caught:
        client(handler).create_post(body())
    assert not isinstance(caught.value, AmityAlreadyExists)
    assert advice in caught.value.advice
    assert isinstance(caught.value, Permanent) and not isinstance(caught.value, Retryable)


@pytest.mark.parametrize("handler", [c[1] for c in RETRYABLE], ids=[c[0] for c in RETRYABLE])
def test_server_faults_and_rate_limits_are_retried(handler: Handler) -> None:
    """Every 5xx (500 + 500000 included, HTML or JSON) and 429 / 400311 may pass later."""
    with pytest.raises(AmityRetryable) as caught:
        client(handler).create_post(body())
    assert isinstance(caught.value, Retryable) and caught.value.service == "Amity"


def test_existing_post_is_recognised() -> None:
    """400315 on create: the post ID is taken, the post exists."""
    with pytest.raises(AmityAlreadyExists):
        client(answer(403, 400315, "Data already exists")).create_post(body())


@pytest.mark.parametrize(("header", "least"), [(None, 5.0), ("1", 5.0), ("30", 30.0)])
def test_rate_limit_waits_at_least_amitys_window(header: str | None, least: float) -> None:
    """After a 429 the wait is Amity's 5 s window or Retry-After if longer, jittered up."""
    extra = {} if header is None else {"retry_after": header}
    with pytest.raises(AmityRetryable) as caught:
        client(answer(429, 400311, "RateLimit Exceed.", **extra)).create_post(body())
    wait = caught.value.retry_after
    assert wait is not None and least <= wait <= least * 1.5


@pytest.mark.parametrize(
    ("handler", "advice"),
    [
        (answer(413, 500000, "Payload too large."), "the file photo.png is too large for Amity"),
        (answer(422, 500000, "Parameters error.", detail=["bad"]), "photo.png invalid"),
        (answer(400, 400000, "Bad Request."), "photo.png invalid"),
    ],
)
def test_upload_rejections_name_the_file(handler: Handler, advice: str) -> None:
    """The same rules for uploads, and the advice names the file."""
    with pytest.raises(AmityRejected) as caught:
        client(handler).upload("image", io.BytesIO(b"png"), "photo.png", "image/png")
    assert advice in caught.value.advice


@pytest.mark.parametrize("handler", [answer(500, 500000, "Unexpected error"), html(502), html(503)])
def test_upload_server_faults_are_retried(handler: Handler) -> None:
    """An upload answered with a server fault is retried, not refused."""
    with pytest.raises(AmityRetryable):
        client(handler).upload("video", io.BytesIO(b"mp4"), "clip.mp4", "video/mp4")


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

    def dropped(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected without a response", request=request)

    for handler in (refuse, slow, dropped):
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
    assert client(answer(404, 400400, "Resource Not Found.")).get_community("nope") is None
    with pytest.raises(AmityRejected):
        client(answer(403, 400300, "Forbidden")).get_community("x")


def test_delete_of_a_post_already_gone_is_not_an_error() -> None:
    """DELETE answering 404 / 400400 means the post is gone already: False, no error; a
    403 is refused with advice."""
    gone = client(answer(404, 400400, "Resource Not Found."))
    assert gone.delete_post("slack-1") is False
    with pytest.raises(Permanent):
        client(answer(403, 400300, "Permission denied.")).delete_post("slack-1")


def test_update_post_sends_to_the_post_path() -> None:
    """PUT /api/v4/posts/{postId} with the update body; the text override drops mentions."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"posts": [{"postId": "slack-1"}]})

    created = CreatePost(
        data=PostData(text="hi @Alice"),
        targetId="comm1",
        postId="slack-1",
        mentionees=[Mentionees(userIds=["alice"])],
        metadata={"mentioned": [{"userId": "alice"}], "source": "slack"},
    )
    client(handler).update_post("slack-1", to_update_post(created))
    assert (seen[0].method, seen[0].url.path) == ("PUT", "/api/v4/posts/slack-1")
    assert json.loads(seen[0].content)["mentionees"] == [{"type": "user", "userIds": ["alice"]}]
    override = to_update_post(created, text="plain")
    assert override == {"data": {"text": "plain"}, "metadata": {"source": "slack"}}
