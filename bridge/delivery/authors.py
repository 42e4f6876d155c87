"""Posting as the author: one Amity session per person, kept in the store, encrypted.

With ``AMITY_API_KEY`` set, a person whose Slack user maps to an Amity user (by the
mention strategy) posts under that Amity identity. Their access token comes from a
session registered on a device ID that is stable per user (a new session on the same
device replaces the last, so the bridge keeps one live token per person), is stored
encrypted with ``BRIDGE_SECRET_KEY`` (Fernet) in ``amity_sessions``, and is renewed
``renew_before`` its ``expiresAt`` (Amity has no refresh endpoint). A person without an
Amity account (the admin's ``GET /api/v3/users/{id}`` says 404) gets no session — a
session would create the account — and the post falls back to the admin token, as it
does when Amity refuses the session. Each token has a rate budget of its own, shared
through the store like the admin's. Tokens are never logged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, timedelta

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bridge.amity.client import AmityClient, AmityRejected
from bridge.amity.ratelimit import Limiter
from bridge.amity.sessions import Session, SessionClient
from bridge.delivery.jobs import Clock, amity_sessions

log = logging.getLogger("bridge.delivery.authors")
RENEW_BEFORE = timedelta(days=1)
Transaction = Callable[[], AbstractContextManager[Connection]]


def device_id(user_id: str) -> str:
    """The one device the bridge registers for ``user_id`` (stable across processes)."""
    return f"bridge-{user_id}"


class Authors:
    """Amity clients that post as a given user."""

    def __init__(
        self,
        transaction: Transaction,
        sessions: SessionClient,
        admin: AmityClient,
        secret: Fernet,
        budget: Callable[[str], Limiter],
        clock: Clock,
        renew_before: timedelta = RENEW_BEFORE,
    ) -> None:
        self.transaction = transaction
        self.sessions = sessions
        self.admin = admin
        self.secret = secret
        self.budget = budget
        self.clock = clock
        self.renew_before = renew_before
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def client(self, user_id: str, name: str | None, *, renew: bool = False) -> AmityClient | None:
        """A client posting as ``user_id``: the stored token while it is not near expiry
        (a new session with ``renew``), or None when the user has no Amity account or
        Amity refuses the session."""
        with self._lock(user_id):
            token = None if renew else self._stored(user_id)
            if token is None:
                session = self._register(user_id, name)
                if session is None:
                    return None
                token = session.access_token
        return self.admin.as_user(token, self.budget(token))

    def _lock(self, user_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(user_id, threading.Lock())

    def _stored(self, user_id: str) -> str | None:
        query = select(amity_sessions.c.token, amity_sessions.c.expires_at).where(
            amity_sessions.c.user_id == user_id
        )
        with self.transaction() as conn:
            row = conn.execute(query).first()
        if row is None or row.expires_at - self.clock() < self.renew_before:
            return None
        try:
            return self.secret.decrypt(row.token.encode()).decode()
        except InvalidToken:  # BRIDGE_SECRET_KEY changed: register a new session
            log.warning("bridge.session_unreadable", extra={"amity_user": user_id})
            return None

    def _register(self, user_id: str, name: str | None) -> Session | None:
        if not self.admin.user_exists(user_id):
            log.info("bridge.author_has_no_account", extra={"amity_user": user_id})
            return None
        try:
            return self.register(user_id, name)
        except AmityRejected as error:
            log.warning(
                "bridge.session_refused",
                extra={"amity_user": user_id, "code": error.code, "status": error.status},
            )
            return None

    def register(self, user_id: str, name: str | None) -> Session:
        """Register a new session for ``user_id`` and store it (raises ``AmityError``)."""
        session = self.sessions.register(user_id, device_id(user_id), name)
        self._save(user_id, session)
        log.info("bridge.session_registered", extra={"amity_user": user_id})
        return session

    def known_user(self) -> str | None:
        """An Amity user the bridge holds a session for, if any."""
        with self.transaction() as conn:
            return conn.execute(select(amity_sessions.c.user_id).limit(1)).scalar_one_or_none()

    def _save(self, user_id: str, session: Session) -> None:
        values = {
            "device_id": device_id(user_id),
            "token": self.secret.encrypt(session.access_token.encode()).decode(),
            "expires_at": session.expires_at.astimezone(UTC).replace(tzinfo=None),
            "updated_at": self.clock(),
        }
        try:
            with self.transaction() as conn:
                conn.execute(delete(amity_sessions).where(amity_sessions.c.user_id == user_id))
                conn.execute(amity_sessions.insert().values(user_id=user_id, **values))
        except IntegrityError:  # another process stored its session for this user meanwhile
            log.info("bridge.session_raced", extra={"amity_user": user_id})
