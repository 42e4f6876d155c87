"""Amity sessions: an access token to act as one user (posting as the message's author).

In secure mode, ``POST /api/v4/authentication/token`` (``x-server-key``) first gives a
short-lived auth token for the user; ``POST /api/v5/sessions`` (``x-api-key``) then
registers a session for the user on a device and answers an access token valid about 30
days. There is no refresh: a new session on the same device replaces the last one. The
API key and the server key are sent only to the Amity API origin, and only to these
two endpoints; never the admin token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from bridge.amity.errors import AmityRetryable, to_error

AUTH_TOKEN = "api/v4/authentication/token"  # noqa: S105 (a path, not a secret)
SESSIONS = "api/v5/sessions"


@dataclass(frozen=True)
class Session:
    """What the bridge keeps of a registered session."""

    access_token: str
    expires_at: datetime  # aware, UTC


class SessionClient:
    """The two unauthenticated endpoints that make sessions."""

    def __init__(self, http: httpx.Client, api_key: str, server_key: str | None) -> None:
        self.http = http
        self.api_key = api_key
        self.server_key = server_key

    @classmethod
    def create(
        cls, base_url: str, api_key: str, server_key: str | None, *, timeout: float = 20.0
    ) -> SessionClient:
        """A client of its own (no admin token in its headers) on the Amity origin."""
        http = httpx.Client(
            base_url=base_url,
            headers={"User-Agent": "bridge"},
            timeout=httpx.Timeout(timeout, connect=5.0),
        )
        return cls(http, api_key, server_key)

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def _post(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> httpx.Response:
        try:
            response = self.http.post(path, headers=headers, json=body)
        except httpx.TimeoutException as error:
            reason = f"Amity did not answer in time ({type(error).__name__})"
            raise AmityRetryable(reason) from error
        except httpx.TransportError as error:
            raise AmityRetryable(f"Amity could not be reached ({type(error).__name__})") from error
        if not response.is_success:
            raise to_error(response)
        return response

    def auth_token(self, user_id: str) -> str:
        """A secure-mode auth token for ``user_id`` (plain text, valid ~10 minutes)."""
        headers = {"x-server-key": self.server_key or ""}
        token = self._post(AUTH_TOKEN, headers, {"userId": user_id}).text.strip()
        if not token:
            raise AmityRetryable("Amity's auth token answer was empty")
        return token

    def register(self, user_id: str, device_id: str, display_name: str | None) -> Session:
        """A new session for ``user_id`` on ``device_id`` (in secure mode, with an auth
        token first when a server key is set)."""
        body: dict[str, Any] = {"userId": user_id, "deviceId": device_id}
        if display_name:
            body["displayName"] = display_name[:50]
        if self.server_key:
            body["authToken"] = self.auth_token(user_id)
        answer = self._post(SESSIONS, {"x-api-key": self.api_key}, body)
        try:
            data = answer.json()
            expires = datetime.fromisoformat(str(data["expiresAt"]).replace("Z", "+00:00"))
            return Session(access_token=str(data["accessToken"]), expires_at=expires)
        except (ValueError, KeyError, TypeError) as error:
            raise AmityRetryable("Amity's session answer had no access token in it") from error
