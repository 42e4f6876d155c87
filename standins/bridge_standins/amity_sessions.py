"""Amity's users, community members and sessions, for :class:`bridge_standins.amity.FakeAmity`.

Endpoints (registered by ``FakeAmity``):

======================================  ======  ======  ===================================
endpoint                                HTTP    code    when
======================================  ======  ======  ===================================
POST /api/v4/authentication/token       200             secure mode on, right ``x-server-key``:
                                                        a plain-text auth token (10 minutes)
                                        401     400100  missing or wrong server key
                                        403     400300  secure mode is off
                                        422     500000  ``userId`` missing or too long
POST /api/v5/sessions                   200             ``accessToken``, ``expiresAt``,
                                                        ``users``; creates a missing user;
                                                        the same ``deviceId`` again revokes
                                                        the previous token
                                        401     400100  missing or wrong ``x-api-key``; in
                                                        secure mode a missing, wrong, expired
                                                        or another user's ``authToken``
                                        400     400000  body fails the documented schema
                                        403     400312  the user is globally banned
GET /api/v3/users/{userId}              200/404         the user, or 400400 "User Not Found."
======================================  ======  ======  ===================================

A post made with an access token is the session user's: refused with 401 / 400100
"Unauthorized" when the token is expired or revoked, and with 401 / 400100 "User ... is
not join this community ..." when the user is not a member of the target community.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bridge_standins.amity_rules import AmityApiError

AUTH_TOKEN_SECONDS = 600.0
SESSION_DAYS = 30.0


@dataclass
class _Session:
    user_id: str
    device_id: str
    expires: float  # time.time()


class Sessions:
    """Users, memberships, auth tokens and access tokens; thread-safe."""

    def __init__(self, api_key: str, server_key: str) -> None:
        self.api_key = api_key
        self.server_key = server_key
        self.secure_mode = False
        self.session_seconds = SESSION_DAYS * 86_400
        self.users: dict[str, dict[str, Any]] = {}
        self.banned: set[str] = set()
        self.members: dict[str, set[str]] = {}  # community → user IDs
        self.created: list[tuple[str, str]] = []  # (userId, deviceId) of each session made
        self._auth: dict[str, tuple[str, float]] = {}  # auth token → (userId, expires)
        self._tokens: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def add_user(self, user_id: str, display_name: str | None = None) -> None:
        """A user with an Amity account."""
        with self._lock:
            self.users[user_id] = user_object(user_id, display_name or user_id)

    def add_member(self, community_id: str, user_id: str) -> None:
        """Make ``user_id`` a member of ``community_id`` (who may post there)."""
        with self._lock:
            self.members.setdefault(community_id, set()).add(user_id)

    def expire_all(self) -> None:
        """Every access token and auth token given so far expires now."""
        with self._lock:
            for session in self._tokens.values():
                session.expires = 0.0
            self._auth = {k: (user, 0.0) for k, (user, _) in self._auth.items()}

    def session_user(self, token: str | None) -> str | None:
        """The user of a live access token (None: unknown, expired or revoked)."""
        with self._lock:
            session = self._tokens.get(token or "")
            return session.user_id if session and session.expires > time.time() else None

    def check_member(self, user_id: str, community_id: str) -> None:
        """400100 when ``user_id`` may not post in ``community_id``."""
        with self._lock:
            if user_id not in self.members.get(community_id, set()):
                raise AmityApiError(
                    401, 400100, f"User {user_id} is not join this community {community_id}"
                )

    def auth_token(self, server_key: str | None, body: Any) -> str:
        """``POST /api/v4/authentication/token``."""
        if not self.secure_mode:
            raise AmityApiError(403, 400300, "Secure mode is not enabled for this network")
        if server_key != self.server_key:
            raise AmityApiError(401, 400100, "Unauthorized")
        user_id = body.get("userId") if isinstance(body, dict) else None
        if not isinstance(user_id, str) or not 1 <= len(user_id) <= 50:
            raise AmityApiError(422, 500000, "Parameters error.", ["userId is invalid"])
        token = secrets.token_hex(16)
        with self._lock:
            self._auth[token] = (user_id, time.time() + AUTH_TOKEN_SECONDS)
        return token

    def register(self, api_key: str | None, body: Any) -> dict[str, Any]:
        """``POST /api/v5/sessions``."""
        if api_key != self.api_key:
            raise AmityApiError(401, 400100, "Unauthorized")
        problems = _session_problems(body)
        if problems:
            raise AmityApiError(400, 400000, f"Parameters error: {problems[0]}", problems)
        user_id, device_id = body["userId"], body["deviceId"]
        with self._lock:
            if self.secure_mode:
                issued = self._auth.pop(str(body.get("authToken")), None)
                if issued is None or issued[0] != user_id or issued[1] <= time.time():
                    raise AmityApiError(401, 400100, "Unauthorized")
            if user_id in self.banned:
                raise AmityApiError(403, 400312, "User is global banned.")
            name = body.get("displayName")
            user = self.users.setdefault(user_id, user_object(user_id, name or user_id))
            if name:
                user["displayName"] = name
            for session in self._tokens.values():  # a new session revokes the device's last
                if session.user_id == user_id and session.device_id == device_id:
                    session.expires = 0.0
            token = secrets.token_urlsafe(32)
            expires = time.time() + self.session_seconds
            self._tokens[token] = _Session(user_id, device_id, expires)
            self.created.append((user_id, device_id))
            issued_at = datetime.now(UTC)
            return {
                "accessToken": token,
                "refreshToken": secrets.token_hex(16),
                "issuedAt": _iso(issued_at),
                "expiresAt": _iso(datetime.fromtimestamp(expires, UTC)),
                "users": [dict(user)],
                "files": [],
            }

    def user(self, user_id: str) -> dict[str, Any]:
        """``GET /api/v3/users/{userId}``'s user, or 404 / 400400."""
        with self._lock:
            found = self.users.get(user_id)
            if found is None:
                raise AmityApiError(404, 400400, "User Not Found.")
            return dict(found)


def _session_problems(body: Any) -> list[str]:
    """The documented request schema of ``POST /api/v5/sessions``."""
    if not isinstance(body, dict):
        return ["body must be an object"]
    limits = {"userId": 50, "deviceId": 150, "displayName": 50, "authToken": 100}
    problems = [f"{key} is required" for key in ("userId", "deviceId") if key not in body]
    for key, limit in limits.items():
        value = body.get(key)
        if key in body and (not isinstance(value, str) or not value or len(value) > limit):
            problems.append(f"{key} must be a string of 1 to {limit} characters")
    return problems


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def user_object(user_id: str, display_name: str) -> dict[str, Any]:
    """A user as Amity answers it."""
    now = _iso(datetime.now(UTC) - timedelta(days=1))
    return {
        "userId": user_id,
        "displayName": display_name,
        "roles": [],
        "metadata": {},
        "isGlobalBan": False,
        "isDeleted": False,
        "createdAt": now,
        "updatedAt": now,
    }
