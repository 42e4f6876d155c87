"""A local stand-in for Amity Social Cloud's REST API, as a real HTTP server.

Endpoints: ``POST /api/v4/posts``, ``GET /api/v3/posts/{postId}``, ``PUT`` and
``DELETE /api/v4/posts/{postId}`` (:mod:`bridge_standins.amity_edits`, with their answers),
``GET /api/v3/communities/{communityId}``; uploads (``POST /api/v4/images|videos|files``)
and attachments: see :mod:`bridge_standins.amity_files`; users, auth tokens and sessions:
see :mod:`bridge_standins.amity_sessions`. Every request but the auth token's and the
session's needs ``Authorization: Bearer <token>``: the admin token, or a live access token
(a post made with one is that user's, and needs the user to be a community member).
Errors use Amity's envelope
``{"status": "error", "code", "message"[, "data": {"detail": [...]}]}``.

======  ======  ============================================================
HTTP    code    when
======  ======  ============================================================
429     400311  more than ``rate_limit`` requests (default 100) with one token in the
                last ``rate_period`` seconds (default 5) ("RateLimit Exceed.");
                ``rate_limit = None`` turns the limit off
401     400100  missing or wrong admin token ("Unauthorized")
400     400000  body not JSON, fails the JSON Schema (``data.detail`` lists
                every error), or "require text or at least 1 attachments"
404     400400  unknown community (``targetType: community``), post or path
404     400400  an attachment's ``fileId`` was not uploaded ("File not found <id>.")
400     400315  ``postId`` already used ("Data already exists")
400     400308  text or title contains a word of ``blocked_words``
400     400309  a link's domain is outside ``link_allowlist`` (when set)
413     500000  an upload above its limit ("Payload Too Large")
any     any     queued by :meth:`FakeAmity.fail_next`, with ``data.detail`` and a
                ``Retry-After`` header when asked: e.g. 500 + 500000 "Unexpected
                error" (Amity's server fault), 413 + 500000, 422 + 500000 "Parameters
                error." with its detail, 429 + 400311, 403 + 4003xx
                (``code=None``: an HTML body like a proxy's, e.g. 502/503)
none    none    :meth:`FakeAmity.drop_next`: the connection is closed unanswered
502     none    :meth:`FakeAmity.fail_after_commit_next`: post stored, answer lost
any     any     drawn at random by :meth:`FakeAmity.chaos` (see :mod:`bridge_standins.chaos`)
======  ======  ============================================================

Order of a request: recorded → rate limit → ``delay_seconds`` → queued fault → random
fault → auth → route. Requests refused for the rate limit do not count against it.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from bridge_standins import amity_edits as edits
from bridge_standins import amity_rules as rules
from bridge_standins.amity_files import AmityFileServer, Upload
from bridge_standins.amity_rules import AmityApiError
from bridge_standins.amity_sessions import Sessions
from bridge_standins.chaos import Chaos, Fault
from bridge_standins.server import (
    HttpRequest,
    Reply,
    hang_up,
    json_reply,
    parse_json,
    text_reply,
)

__all__ = ["AmityApiError", "AmityRequest", "FakeAmity", "Fault", "Upload"]


@dataclass(frozen=True)
class AmityRequest:
    """One request received (header names lower-cased; ``json`` None if not JSON)."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any


@dataclass
class _Fault:
    status: int  # 0: no answer, the connection is closed
    code: int | None
    message: str
    times: int
    path_prefix: str
    detail: list[str] | None = None
    retry_after: int | None = None


UNAUTHENTICATED = frozenset({"/api/v4/authentication/token", "/api/v5/sessions"})


class FakeAmity(AmityFileServer):
    """Amity's post, community and upload endpoints, with settable rules and faults."""

    def __init__(
        self,
        token: str = "amity-admin-token",  # noqa: S107 - a stand-in's test token
        *,
        api_key: str = "amity-api-key",
        server_key: str = "amity-server-key",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host, port)
        self.token = token
        self.sessions = Sessions(api_key, server_key)
        self._post_tokens: dict[str, str] = {}
        self.blocked_words: set[str] = set()
        self.link_allowlist: set[str] | None = None
        self.delay_seconds: float = 0.0
        self.rate_limit: int | None = 100
        self.rate_period: float = 5.0
        self._sent: dict[str, deque[float]] = {}
        self._rate_limited = 0
        self._chaos: Chaos | None = None
        self._answer = threading.local()  # how this thread's create-post answer is lost
        self._requests: list[AmityRequest] = []
        self._bodies: list[dict[str, Any]] = []
        self._posts: dict[str, dict[str, Any]] = {}
        self._communities: dict[str, dict[str, Any]] = {}
        self._faults: list[_Fault] = []
        self._lost_answers = 0
        self.add_route("POST", r"/api/v4/posts", self._create_post)
        self.add_route("GET", r"/api/v3/posts/(?P<id>[^/]+)", self._get_post)
        self.add_route("PUT", r"/api/v4/posts/(?P<id>[^/]+)", self._update_post)
        self.add_route("DELETE", r"/api/v4/posts/(?P<id>[^/]+)", self._delete_post)
        self.forbidden: set[str] = set()  # post IDs the admin user may not change
        self.updates: list[tuple[str, dict[str, Any]]] = []  # (postId, accepted update body)
        self.deleted: list[str] = []  # postIds deleted, in order
        self.add_route("GET", r"/api/v3/communities/(?P<id>[^/]+)", self._get_community)
        self.add_route("GET", r"/api/v3/communities", self._search_communities)
        self.add_route("POST", r"/api/v4/authentication/token", self._auth_token)
        self.add_route("POST", r"/api/v5/sessions", self._register)
        self.add_route("GET", r"/api/v3/users/(?P<id>[^/]+)", self._get_user)

    def add_community(
        self,
        community_id: str,
        display_name: str = "Bridge test community",
        *,
        is_public: bool = True,
        only_admin_can_post: bool = False,
        need_approval: bool = False,
    ) -> dict[str, Any]:
        """Register a community that posts may target; returns a copy of its object."""
        community = rules.build_community(
            community_id,
            display_name,
            is_public=is_public,
            only_admin_can_post=only_admin_can_post,
            need_approval=need_approval,
        )
        with self._lock:
            self._communities[community_id] = community
            return copy.deepcopy(community)

    def fail_next(
        self,
        status: int,
        code: int | None,
        message: str = "Injected failure",
        times: int = 1,
        path_prefix: str = "/api/v4/posts",
        *,
        detail: list[str] | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next ``times`` requests under ``path_prefix`` with this error.

        ``code=None`` answers an HTML page instead of Amity's JSON envelope; ``detail``
        goes in ``data.detail``; ``retry_after`` is sent as a ``Retry-After`` header.
        """
        fault = _Fault(status, code, message, times, path_prefix, detail, retry_after)
        with self._lock:
            self._faults.append(fault)

    def drop_next(self, times: int = 1, path_prefix: str = "/api/v4/posts") -> None:
        """Close the connection of the next ``times`` requests without answering
        (Amity down behind its load balancer, or the network cut)."""
        with self._lock:
            self._faults.append(_Fault(0, None, "", times, path_prefix))

    def fail_after_commit_next(self, times: int = 1) -> None:
        """Store the next ``times`` accepted posts but answer HTTP 502 (answer lost)."""
        with self._lock:
            self._lost_answers += times

    def chaos(
        self,
        faults: list[Fault],
        rate: float,
        *,
        path_prefix: str = "/api/v4/posts",
        seed: int = 0,
    ) -> Chaos:
        """Give requests under ``path_prefix`` one of ``faults`` at random, with
        probability ``rate`` each (an empty list turns it off); returns the drawer,
        whose ``drawn`` counts the faults given."""
        chaos = Chaos(faults, rate, path_prefix, seed)
        with self._lock:
            self._chaos = chaos
        return chaos

    @property
    def posts(self) -> list[dict[str, Any]]:
        """The request bodies of accepted posts, oldest first."""
        with self._lock:
            return copy.deepcopy(self._bodies)

    @property
    def stored_posts(self) -> list[dict[str, Any]]:
        """The post objects as Amity returns them, oldest first."""
        with self._lock:
            return copy.deepcopy(list(self._posts.values()))

    @property
    def requests(self) -> list[AmityRequest]:
        """Every request received, in order (including refused ones)."""
        with self._lock:
            return copy.deepcopy(self._requests)

    @property
    def rate_limited(self) -> int:
        """How many requests were refused with 429 / 400311 for the rate limit."""
        with self._lock:
            return self._rate_limited

    def post_token(self, post_id: str) -> str | None:
        """The bearer token the post ``post_id`` was created with."""
        with self._lock:
            return self._post_tokens.get(post_id)

    def post_count(self, post_id: str | None = None) -> int:
        """How many posts are stored (with ``post_id``: 1 if that one is, else 0)."""
        with self._lock:
            return len(self._posts) if post_id is None else int(post_id in self._posts)

    def get_post(self, post_id: str) -> dict[str, Any] | None:
        """A copy of the stored post object, or None."""
        with self._lock:
            return copy.deepcopy(self._posts.get(post_id))

    def before(self, request: HttpRequest) -> Reply | None:
        """Record, wait ``delay_seconds``, answer a queued fault, then check the token."""
        self._record(request)
        if self._over_rate_limit(request.bearer_token() or ""):
            return AmityApiError(429, 400311, "RateLimit Exceed.").reply()
        self.pause(self.delay_seconds)
        fault = self._take_fault(request.path)
        if fault is not None:
            return self._fault_reply(fault)
        if (early := self._random_fault(request.path)) is not None:
            return early
        if request.path in UNAUTHENTICATED:
            return None
        token = request.bearer_token()
        if token != self.token and self.sessions.session_user(token) is None:
            return AmityApiError(401, 400100, "Unauthorized").reply()
        return None

    @staticmethod
    def _fault_reply(fault: _Fault) -> Reply:
        if fault.status == 0:
            return hang_up()
        if fault.code is None:
            reply = rules.proxy_page(fault.status)
        else:
            reply = AmityApiError(fault.status, fault.code, fault.message, fault.detail).reply()
        if fault.retry_after is None:
            return reply
        headers = {**reply.headers, "Retry-After": str(fault.retry_after)}
        return dataclasses.replace(reply, headers=headers)

    def not_found(self, request: HttpRequest) -> Reply:
        """Amity's 404 envelope."""
        return AmityApiError(404, 400400, "Resource Not Found.").reply()

    def _record(self, request: HttpRequest) -> None:
        try:
            multipart = request.content_type.startswith("multipart/")
            body = parse_json(request.body) if request.body and not multipart else None
        except ValueError:
            body = None
        entry = AmityRequest(request.method, request.path, dict(request.headers), body)
        with self._lock:
            self._requests.append(entry)

    def _over_rate_limit(self, token: str) -> bool:
        """Count the request in its token's window; True when the window is full."""
        with self._lock:
            if self.rate_limit is None:
                return False
            now = time.monotonic()
            sent = self._sent.setdefault(token, deque())
            while sent and sent[0] <= now - self.rate_period:
                sent.popleft()
            if len(sent) >= self.rate_limit:
                self._rate_limited += 1
                return True
            sent.append(now)
            return False

    def _random_fault(self, path: str) -> Reply | None:
        """Apply a fault drawn by :meth:`chaos`: an answer now, or a lost answer later."""
        self._answer.lost = None
        with self._lock:
            chaos = self._chaos
        fault = chaos.draw(path) if chaos is not None else None
        if fault is None:
            return None
        if fault.kind == "error":
            if fault.code is None:
                return rules.proxy_page(fault.status)
            return AmityApiError(fault.status, fault.code, fault.message).reply()
        if fault.kind == "hang_up":
            return hang_up()
        if fault.kind == "slow":
            self.pause(fault.seconds)
            return None
        self._answer.lost = hang_up() if fault.kind == "lost_hang_up" else rules.proxy_page(502)
        return None

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.path_prefix):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _create_post(self, request: HttpRequest, _match: re.Match[str]) -> Reply:
        try:
            body = parse_json(request.body)
        except ValueError:
            return AmityApiError(400, 400000, "Bad Request: the body is not JSON").reply()
        token = request.bearer_token() or ""
        user = self.sessions.session_user(token)
        try:
            rules.validate_body(body)
            rules.check_has_content(body)
            if user is not None and body.get("targetType") == "community":
                self.sessions.check_member(user, str(body.get("targetId")))
            with self._lock:
                post, community = self._store(body, token, user)
                lost: Reply | None = getattr(self._answer, "lost", None)
                if lost is None and self._lost_answers > 0:
                    self._lost_answers -= 1
                    lost = rules.proxy_page(502)
        except AmityApiError as fault:
            return fault.reply()
        if lost is not None:
            return lost
        communities = [community] if community else []
        users, attached = [rules.admin_user()], self.attached(post["postId"])
        answer = rules.response(posts=[post], users=users, communities=communities, **attached)
        return json_reply(200, answer)

    def _store(
        self, body: dict[str, Any], token: str, user: str | None
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Check what depends on state and store the post (caller holds the lock)."""
        community = None
        if body.get("targetType") == "community":
            community = self._communities.get(str(body.get("targetId")))
            if community is None:
                raise AmityApiError(404, 400400, "Resource Not Found.")
        post_id = str(body.get("postId") or rules.new_object_id())
        if post_id in self._posts:
            raise AmityApiError(400, 400315, "Data already exists")
        rules.check_blocked_words(body, set(self.blocked_words))
        allowlist = self.link_allowlist
        rules.check_links(body, None if allowlist is None else set(allowlist))
        self.check_attachments(body)
        post = rules.build_post(body, post_id)
        if user is not None:
            post["postedUserId"] = user
        self.attach(post, body)
        self._posts[post_id] = post
        self._post_tokens[post_id] = token
        self._bodies.append(copy.deepcopy(body))
        if community is not None:
            community["postsCount"] += 1
        return copy.deepcopy(post), copy.deepcopy(community)

    def _get_post(self, request: HttpRequest, match: re.Match[str]) -> Reply:
        with self._lock:
            post = copy.deepcopy(self._posts.get(unquote(match["id"])))
            community = self._communities.get(post["targetId"]) if post else None
            communities = [copy.deepcopy(community)] if community else []
        if post is None:
            return self.not_found(request)
        users, attached = [rules.admin_user()], self.attached(post["postId"])
        answer = rules.response(posts=[post], users=users, communities=communities, **attached)
        return json_reply(200, answer)

    def _search_communities(self, request: HttpRequest, match: re.Match[str]) -> Reply:
        """``GET /api/v3/communities?keyword=``: communities whose name contains the keyword
        (case-insensitive), as Amity's keyword search answers; no keyword lists them all."""
        keyword = request.query.get("keyword", "").lower()
        with self._lock:
            found = [
                copy.deepcopy(c)
                for c in self._communities.values()
                if keyword in str(c.get("displayName", "")).lower()
            ]
        return json_reply(200, rules.response(communities=found))

    def _update_post(self, request: HttpRequest, match: re.Match[str]) -> Reply:
        post_id = unquote(match["id"])
        try:
            body = parse_json(request.body)
        except ValueError:
            return AmityApiError(400, 400000, "Bad Request: the body is not JSON").reply()
        try:
            edits.validate_update(body)
            with self._lock:
                post = edits.live_post(self._posts, post_id, self.forbidden)
                rules.check_blocked_words(body, set(self.blocked_words))
                edits.apply_update(post, body)
                self.updates.append((post_id, copy.deepcopy(body)))
                answer = rules.response(posts=[copy.deepcopy(post)], users=[rules.admin_user()])
        except AmityApiError as fault:
            return fault.reply()
        return json_reply(200, answer)

    def _delete_post(self, request: HttpRequest, match: re.Match[str]) -> Reply:
        post_id = unquote(match["id"])
        try:
            with self._lock:
                post = edits.live_post(self._posts, post_id, self.forbidden)
                post["isDeleted"] = True
                self.deleted.append(post_id)
        except AmityApiError as fault:
            return fault.reply()
        return json_reply(200, {"status": "ok", "data": {"success": True}})

    def _get_community(self, request: HttpRequest, match: re.Match[str]) -> Reply:
        with self._lock:
            community = copy.deepcopy(self._communities.get(unquote(match["id"])))
        if community is None:
            return self.not_found(request)
        return json_reply(200, rules.response(communities=[community]))

    def _auth_token(self, request: HttpRequest, _match: re.Match[str]) -> Reply:
        try:
            body = parse_json(request.body) if request.body else {}
            token = self.sessions.auth_token(request.headers.get("x-server-key"), body)
        except ValueError:
            return AmityApiError(422, 500000, "Parameters error.", ["body is not JSON"]).reply()
        except AmityApiError as refused:
            return refused.reply()
        return text_reply(200, token)

    def _register(self, request: HttpRequest, _match: re.Match[str]) -> Reply:
        try:
            body = parse_json(request.body)
            answer = self.sessions.register(request.headers.get("x-api-key"), body)
        except ValueError:
            return AmityApiError(400, 400000, "Bad Request: the body is not JSON").reply()
        except AmityApiError as refused:
            return refused.reply()
        return json_reply(200, answer)

    def _get_user(self, request: HttpRequest, match: re.Match[str]) -> Reply:
        try:
            user = self.sessions.user(unquote(match["id"]))
        except AmityApiError as refused:
            return refused.reply()
        return json_reply(200, rules.response(users=[user]))
