"""Who people are and what channels are, as the permission rules need them, cached.

``users.info`` (admin, owner, which workspace), ``conversations.info`` (private, DM,
shared with other organisations) and ``usergroups.users.list`` (a group's members) are
asked once per ``ttl`` seconds per ID: rules are checked while Slack waits for its answer.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from bridge.slack.api import SlackRejected

T = TypeVar("T")


class SlackUser(BaseModel):
    """The fields of ``users.info`` the rules read."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    id: str
    team_id: str | None = None
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False
    is_stranger: bool = False  # a Slack Connect user the workspace sees without their team
    deleted: bool = False

    def is_outside(self, team: str) -> bool:
        """Written by someone from another organisation (Slack Connect)."""
        return self.is_stranger or (self.team_id is not None and self.team_id != team)

    @property
    def is_workspace_admin(self) -> bool:
        """A workspace admin or owner."""
        return self.is_admin or self.is_owner or self.is_primary_owner


class ChannelInfo(BaseModel):
    """The fields of ``conversations.info`` the rules read."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    id: str
    is_private: bool = False
    is_im: bool = False
    is_mpim: bool = False
    is_shared: bool = False
    is_ext_shared: bool = False
    is_pending_ext_shared: bool = False

    @property
    def is_closed(self) -> bool:
        """A private channel, a DM or a group DM."""
        return self.is_private or self.is_im or self.is_mpim

    @property
    def is_external(self) -> bool:
        """Shared with another organisation (Slack Connect), or about to be."""
        return self.is_ext_shared or self.is_shared or self.is_pending_ext_shared


class WebApi(Protocol):
    """What the directory needs of Slack: one Web API call (``SlackGateway.call``)."""

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Call ``method`` with ``params``; Slack's answer, or a ``SlackError``."""
        ...


class Directory:
    """Cached lookups of users, channels and user groups."""

    def __init__(self, slack: WebApi, *, ttl: float = 300.0) -> None:
        self.slack = slack
        self.ttl = ttl
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, object]] = {}

    def _cached(self, key: str) -> object | None:
        with self._lock:
            hit = self._cache.get(key)
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def _keep(self, key: str, value: T) -> T:
        with self._lock:
            self._cache[key] = (time.monotonic() + self.ttl, value)
        return value

    def user(self, user_id: str) -> SlackUser:
        """``users.info``."""
        hit = self._cached(f"user:{user_id}")
        if isinstance(hit, SlackUser):
            return hit
        try:
            raw = self.slack.call("users.info", user=user_id).get("user", {})
        except SlackRejected as error:
            if error.error != "user_not_found":
                raise
            raw = {"id": user_id}  # a deleted or unknown account: nothing to go on
        return self._keep(f"user:{user_id}", SlackUser.model_validate(raw))

    def channel(self, channel_id: str) -> ChannelInfo:
        """``conversations.info``."""
        hit = self._cached(f"channel:{channel_id}")
        if isinstance(hit, ChannelInfo):
            return hit
        raw = self.slack.call("conversations.info", channel=channel_id).get("channel", {})
        return self._keep(f"channel:{channel_id}", ChannelInfo.model_validate(raw))

    def group_members(self, group_id: str) -> frozenset[str]:
        """``usergroups.users.list``: the user IDs in the group."""
        hit = self._cached(f"group:{group_id}")
        if isinstance(hit, frozenset):
            return frozenset(str(u) for u in hit)
        raw = self.slack.call("usergroups.users.list", usergroup=group_id).get("users", [])
        return self._keep(f"group:{group_id}", frozenset(str(u) for u in raw))

    def group_id(self, handle: str) -> str | None:
        """The ID of the user group ``@handle`` (``usergroups.list``)."""
        groups = self.slack.call("usergroups.list").get("usergroups", [])
        wanted = handle.lstrip("@").lower()
        return next(
            (str(g["id"]) for g in groups if str(g.get("handle", "")).lower() == wanted), None
        )

    def is_member(self, channel_id: str, user_id: str) -> bool:
        """Whether ``user_id`` is in ``channel_id`` (``conversations.members``, paged);
        asked each time, so that someone who left is refused at once."""
        cursor: str | None = None
        while True:
            page = self.slack.call(
                "conversations.members", channel=channel_id, cursor=cursor, limit=500
            )
            if user_id in page.get("members", []):
                return True
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return False
