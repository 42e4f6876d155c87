"""FakeAmity's users, members and sessions over real HTTP: each documented answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from bridge_standins.amity import FakeAmity

COMMUNITY = "64be1f6cb9b4106b5a6bbf3f"
API_KEY = "amity-api-key"
SERVER_KEY = "amity-server-key"
POST = {"data": {"text": "hi"}, "targetType": "community", "targetId": COMMUNITY}


@pytest.fixture
def amity() -> Iterator[FakeAmity]:
    with FakeAmity() as fake:
        fake.add_community(COMMUNITY, "Announcements")
        yield fake
        assert fake.errors == []


@pytest.fixture
def http(amity: FakeAmity) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=amity.url, timeout=10) as client:
        yield client


def session(http: httpx.Client, key: str = API_KEY, **body: Any) -> httpx.Response:
    return http.post(
        "/api/v5/sessions",
        headers={"x-api-key": key},
        json={"userId": "u1", "deviceId": "d"} | body,
    )


def refused(response: httpx.Response) -> tuple[int, int]:
    envelope = response.json()
    assert envelope["status"] == "error"
    return response.status_code, envelope["code"]


def test_a_session_gives_a_token_that_posts_as_the_user(
    amity: FakeAmity, http: httpx.Client
) -> None:
    """200 with accessToken/expiresAt/users; the user is created; the post is theirs."""
    answer = session(http, displayName="User One")
    assert answer.status_code == 200
    data = answer.json()
    assert {"accessToken", "expiresAt", "issuedAt", "users"} <= data.keys()
    assert data["users"][0]["userId"] == "u1" and data["users"][0]["displayName"] == "User One"
    amity.sessions.add_member(COMMUNITY, "u1")
    auth = {"Authorization": f"Bearer {data['accessToken']}"}
    created = http.post("/api/v4/posts", headers=auth, json=POST)
    assert created.status_code == 200
    post_id = created.json()["posts"][0]["postId"]
    assert amity.get_post(post_id)["postedUserId"] == "u1"  # type: ignore[index]
    assert amity.post_token(post_id) == data["accessToken"]


def test_session_refusals(amity: FakeAmity, http: httpx.Client) -> None:
    """Wrong API key 401/400100; bad body 400/400000; globally banned 403/400312."""
    assert refused(session(http, key="wrong")) == (401, 400100)
    assert refused(session(http, userId="x" * 51)) == (400, 400000)
    assert refused(http.post("/api/v5/sessions", headers={"x-api-key": API_KEY}, json={})) == (
        400,
        400000,
    )
    amity.sessions.banned.add("u1")
    assert refused(session(http)) == (403, 400312)
    assert amity.sessions.created == []


def test_secure_mode_needs_a_fresh_auth_token(amity: FakeAmity, http: httpx.Client) -> None:
    """Auth token: 403 when secure mode is off, 401 with a wrong server key, 422 without a
    user; the session needs the user's own unexpired auth token, once."""
    token_url = "/api/v4/authentication/token"
    server = {"x-server-key": SERVER_KEY}
    assert refused(http.post(token_url, headers=server, json={"userId": "u1"})) == (403, 400300)
    amity.sessions.secure_mode = True
    assert refused(http.post(token_url, headers={"x-server-key": "no"}, json={"userId": "u1"})) == (
        401,
        400100,
    )
    assert refused(http.post(token_url, headers=server, json={})) == (422, 500000)
    assert refused(session(http)) == (401, 400100)  # no auth token
    other = http.post(token_url, headers=server, json={"userId": "u2"}).text
    assert refused(session(http, authToken=other)) == (401, 400100)  # someone else's
    mine = http.post(token_url, headers=server, json={"userId": "u1"})
    assert mine.status_code == 200 and mine.headers["content-type"].startswith("text/plain")
    amity.sessions.expire_all()
    assert refused(session(http, authToken=mine.text)) == (401, 400100)  # expired
    fresh = http.post(token_url, headers=server, json={"userId": "u1"}).text
    assert session(http, authToken=fresh).status_code == 200
    assert refused(session(http, authToken=fresh)) == (401, 400100)  # used once


def test_tokens_expire_and_are_replaced(amity: FakeAmity, http: httpx.Client) -> None:
    """A second session on the same device revokes the first token; expired tokens fail."""
    amity.sessions.add_member(COMMUNITY, "u1")
    first = session(http).json()["accessToken"]
    second = session(http).json()["accessToken"]
    other_device = session(http, deviceId="d2").json()["accessToken"]

    def post(token: str) -> httpx.Response:
        return http.post("/api/v4/posts", headers={"Authorization": f"Bearer {token}"}, json=POST)

    assert refused(post(first)) == (401, 400100)
    assert post(second).status_code == 200 and post(other_device).status_code == 200
    amity.sessions.expire_all()
    assert refused(post(second)) == (401, 400100)


def test_a_non_member_cannot_post(amity: FakeAmity, http: httpx.Client) -> None:
    """400100 "not join this community" for a user who is not a member."""
    token = session(http).json()["accessToken"]
    answer = http.post("/api/v4/posts", headers={"Authorization": f"Bearer {token}"}, json=POST)
    assert refused(answer) == (401, 400100)
    assert "is not join this community" in answer.json()["message"]
    assert amity.post_count() == 0


def test_users_exist_or_not(amity: FakeAmity, http: httpx.Client) -> None:
    """GET /api/v3/users/{id}: the user, or 404 / 400400 "User Not Found."."""
    amity.sessions.add_user("u9", "Nine")
    auth = {"Authorization": f"Bearer {amity.token}"}
    found = http.get("/api/v3/users/u9", headers=auth)
    assert found.status_code == 200 and found.json()["users"][0]["displayName"] == "Nine"
    assert refused(http.get("/api/v3/users/u404", headers=auth)) == (404, 400400)
    assert refused(http.get("/api/v3/users/u9")) == (401, 400100)  # needs a token
