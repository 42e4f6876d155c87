"""Posting as the author end to end: sessions made, stored encrypted, reused, renewed,
and the admin token with "shared by" when the person cannot post as themselves."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from bridge_standins.server import wait_for
from bridge_standins.signed import JSON, SlackSender
from bridge_standins.slack_changes import message_changed_body
from bridge_standins.stack import AMITY_TOKEN, COMMUNITY, NEWS, SIGNING_SECRET, TEAM, LocalStack
from bridge_standins.stack import start_stack as start
from cryptography.fernet import Fernet
from sqlalchemy import select

from bridge.delivery.budget import budget_key
from bridge.delivery.jobs import amity_sessions, rate_budget
from bridge.delivery.outbox import JobState
from tests.e2e import MovableClock, job_state

SECRET_KEY = Fernet.generate_key().decode()
API_KEY = "amity-api-key"
SERVER_KEY = "amity-server-key"
ALICE = "alice-amity"  # U0ALICE01 in the stack's users: table


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def stack(tmp_path: Path, database_url: str, clock: MovableClock) -> Iterator[LocalStack]:
    running = start(
        tmp_path,
        database_url=database_url,
        clock=clock,
        AMITY_API_KEY=API_KEY,
        BRIDGE_SECRET_KEY=SECRET_KEY,
    )
    running.amity.sessions.add_user(ALICE, "Alice M.")
    running.amity.sessions.add_member(COMMUNITY, ALICE)
    yield running
    running.stop()


def share(stack: LocalStack, text: str, author: str = "U0ALICE01") -> dict[str, Any]:
    """Bob reacts to ``author``'s message; returns the stored post."""
    msg = stack.slack.add_message(NEWS, {"user": author, "text": text})
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        slack.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    return next(p for p in stack.amity.stored_posts if p["data"]["text"].startswith(text))


def stored(stack: LocalStack) -> list[Any]:
    with stack.bridge.outbox.transaction() as conn:
        return list(conn.execute(select(amity_sessions)).all())


def session_requests(stack: LocalStack) -> list[Any]:
    return [r for r in stack.amity.requests if r.path == "/api/v5/sessions"]


def test_a_mapped_author_posts_as_themselves(stack: LocalStack) -> None:
    """A session for Alice (API key, stable device), her token creates the post, the
    store holds the token encrypted with BRIDGE_SECRET_KEY."""
    post = share(stack, "Hello from Alice")
    assert post["postedUserId"] == ALICE
    assert post["data"]["text"] == "Hello from Alice"  # no "shared by": it is hers
    token = stack.amity.post_token(post["postId"])
    assert token and token != AMITY_TOKEN
    [request] = session_requests(stack)
    assert request.headers["x-api-key"] == API_KEY
    assert "authorization" not in request.headers  # the admin token stays out of it
    assert request.json == {
        "userId": ALICE,
        "deviceId": "bridge-alice-amity",
        "displayName": "Alice",
    }
    [row] = stored(stack)
    assert row.user_id == ALICE and token not in row.token
    assert Fernet(SECRET_KEY.encode()).decrypt(row.token.encode()).decode() == token


def test_the_session_is_reused(stack: LocalStack) -> None:
    """A second post reuses the stored token: one session, one token for both posts."""
    first = share(stack, "One")
    second = share(stack, "Two")
    assert stack.amity.sessions.created == [(ALICE, "bridge-alice-amity")]
    assert stack.amity.post_token(first["postId"]) == stack.amity.post_token(second["postId"])


def test_a_token_near_expiry_is_renewed_first(stack: LocalStack, clock: MovableClock) -> None:
    """Within a day of expiresAt, a new session is registered before posting."""
    first = share(stack, "One")
    [before] = stored(stack)
    clock.advance(timedelta(days=29, hours=1))
    second = share(stack, "Two")
    assert len(stack.amity.sessions.created) == 2
    assert stack.amity.post_token(second["postId"]) != stack.amity.post_token(first["postId"])
    assert second["postedUserId"] == ALICE
    [after] = stored(stack)
    assert after.token != before.token and after.expires_at > before.expires_at


def test_a_token_amity_no_longer_takes_is_replaced(stack: LocalStack) -> None:
    """A stored token that expired early (or was revoked) gets 401: a new session, then
    the post, once, as the author."""
    share(stack, "One")
    stack.amity.sessions.expire_all()
    post = share(stack, "Two")
    assert post["postedUserId"] == ALICE
    assert len(stack.amity.sessions.created) == 2
    assert len(stack.amity.posts) == 2


def test_each_token_has_its_own_budget(stack: LocalStack) -> None:
    """The author's token takes from a budget row of its own, beside the admin's."""
    post = share(stack, "Budget")
    token = stack.amity.post_token(post["postId"])
    assert token
    with stack.bridge.outbox.transaction() as conn:
        keys = set(conn.execute(select(rate_budget.c.key)).scalars())
    assert {budget_key(token), budget_key(AMITY_TOKEN)} <= keys


def test_a_muted_author_is_told_not_posted_by_the_admin(stack: LocalStack) -> None:
    """Amity refusing the author for moderation (muted) fails the job with advice naming
    the author's Amity user; the admin does not post it instead."""
    stack.amity.fail_next(403, 400302, "User is muted")
    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "Muted"})
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        slack.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.failed)
    wait_for(lambda: len(stack.slack.ephemerals) == 1)  # told after the job is marked failed
    assert stack.amity.posts == []
    [told] = stack.slack.ephemerals
    assert "the Amity user alice-amity is muted in this community" in told.text


def test_not_a_member_falls_back_to_the_admin(stack: LocalStack) -> None:
    """400100 "not join this community": the admin posts it, saying who shared it."""
    stack.amity.sessions.members[COMMUNITY].clear()
    post = share(stack, "Members only?")
    assert post["postedUserId"] == "bridge-admin"
    assert stack.amity.post_token(post["postId"]) == AMITY_TOKEN
    assert post["data"]["text"] == "Members only?\n\n— shared by Alice"


def test_no_amity_account_falls_back_without_creating_one(stack: LocalStack) -> None:
    """A mapped person without an Amity account: no session (it would create the user),
    the admin posts with "shared by"."""
    stack.amity.sessions.users.clear()
    post = share(stack, "Who am I")
    assert stack.amity.sessions.created == [] and stack.amity.sessions.users == {}
    assert post["postedUserId"] == "bridge-admin"
    assert post["data"]["text"].endswith("— shared by Alice")


def test_an_unmapped_author_is_posted_by_the_admin_as_before(stack: LocalStack) -> None:
    """Bob is not in the users: table: nobody to post as, no session, no "shared by"."""
    post = share(stack, "Plain", author="U0BOB0001")
    assert post["postedUserId"] == "bridge-admin" and post["data"]["text"] == "Plain"
    assert session_requests(stack) == []


def test_a_refused_api_key_falls_back(stack: LocalStack) -> None:
    """A wrong AMITY_API_KEY (401 on the session): the admin posts, saying who shared it."""
    stack.amity.sessions.api_key = "another-key"
    post = share(stack, "Key?")
    assert post["postedUserId"] == "bridge-admin"
    assert post["data"]["text"].endswith("— shared by Alice")
    assert stored(stack) == []


def test_the_attribution_template_replaces_shared_by(tmp_path: Path, database_url: str) -> None:
    """A route whose attribution names {author} says it once, not twice."""
    routes = f"""routes:
  - name: announcements
    channels: [{NEWS}]
    emoji: mega
    community: {COMMUNITY}
    post:
      attribution: "via Slack, by {{author}}"
users:
  U0ALICE01: {ALICE}
"""
    running = start(
        tmp_path,
        database_url=database_url,
        routes=routes,
        AMITY_API_KEY=API_KEY,
        BRIDGE_SECRET_KEY=SECRET_KEY,
    )
    try:
        running.amity.sessions.add_user(ALICE)  # not a member
        post = share(running, "Hi")
        assert post["data"]["text"] == "Hi\n\nvia Slack, by Alice"
        assert post["postedUserId"] == "bridge-admin"
    finally:
        running.stop()


@pytest.mark.parametrize("server_key", [SERVER_KEY, None])
def test_secure_mode(tmp_path: Path, database_url: str, server_key: str | None) -> None:
    """Secure mode: with AMITY_SERVER_KEY an auth token comes first (x-server-key) and
    goes in the session; without it Amity refuses the session and the admin posts."""
    running = start(
        tmp_path,
        database_url=database_url,
        AMITY_API_KEY=API_KEY,
        BRIDGE_SECRET_KEY=SECRET_KEY,
        AMITY_SERVER_KEY=server_key or "",
    )
    try:
        running.amity.sessions.secure_mode = True
        running.amity.sessions.add_user(ALICE)
        running.amity.sessions.add_member(COMMUNITY, ALICE)
        post = share(running, "Secure")
        auth = [r for r in running.amity.requests if r.path == "/api/v4/authentication/token"]
        if server_key:
            [request] = auth
            assert request.headers["x-server-key"] == SERVER_KEY
            assert request.json == {"userId": ALICE}
            assert "authorization" not in request.headers
            [session] = session_requests(running)
            assert session.json["authToken"]
            assert post["postedUserId"] == ALICE
        else:
            assert auth == []
            assert post["postedUserId"] == "bridge-admin"
    finally:
        running.stop()


def test_tokens_are_never_logged(stack: LocalStack, caplog: pytest.LogCaptureFixture) -> None:
    """Neither the access token nor the API key appears in any log record."""
    caplog.set_level(logging.DEBUG)
    post = share(stack, "Quiet")
    token = stack.amity.post_token(post["postId"])
    assert token
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert token not in logged and API_KEY not in logged and SECRET_KEY not in logged


def test_an_edit_keeps_the_shared_by_line_of_an_admin_post(stack: LocalStack) -> None:
    """The admin posted for Alice (not a member): her edit updates the text and the post
    still says who shared it, as when it was created."""
    stack.amity.sessions.members[COMMUNITY].clear()
    post = share(stack, "First words")
    assert post["data"]["text"] == "First words\n\n— shared by Alice"
    ts = post["metadata"]["slack"]["ts"]
    previous, new = stack.slack.edit_message(NEWS, ts, {"text": "Second words"}, "U0ALICE01")
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        assert slack.post(message_changed_body(TEAM, NEWS, previous, new), JSON).status_code == 200
    wait_for(lambda: job_state(stack, ":edit:") is JobState.done)
    edited = stack.amity.get_post(post["postId"])
    assert edited is not None
    assert edited["data"]["text"] == "Second words\n\n— shared by Alice"
