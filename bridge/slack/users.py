"""People: their names, emails, time zones and roles, user groups, the bridge's own
bot."""

from __future__ import annotations

from collections.abc import Iterable

from bridge.slack.calls import SlackCalls
from bridge.slack.errors import SlackRejected


class Users(SlackCalls):
    """``users.info``, ``usergroups.list`` and ``auth.test``."""

    def user_names(self, user_ids: Iterable[str]) -> dict[str, str]:
        """Display names (``profile.display_name``, else real name, else name); cached."""
        names = {}
        for user_id in user_ids:
            name = self._cached(f"user:{user_id}")
            if name is None and self._lookup_user(user_id):
                name = self._cached(f"user:{user_id}")
            if name:  # "" remembers an unknown user
                names[user_id] = name
        return names

    def user_emails(self, user_ids: Iterable[str]) -> dict[str, str]:
        """Emails (``profile.email``, given only with the ``users:read.email`` scope) of
        the users who have one; cached with their names."""
        emails = {}
        for user_id in user_ids:
            if self._cached(f"user:{user_id}") is None and not self._lookup_user(user_id):
                continue
            email = self._cached(f"email:{user_id}")
            if email:
                emails[user_id] = email
        return emails

    def _lookup_user(self, user_id: str) -> bool:
        """One ``users.info``: remember the name and the email (empty when not given)."""
        try:
            user = self._call("users.info", user=user_id).get("user", {})
        except SlackRejected:  # unknown: remembered as long as a known user, asked once a period
            self._remember(f"user:{user_id}", "")
            self._remember(f"email:{user_id}", "")
            return False  # the translation falls back to the label
        profile = user.get("profile", {})
        name = profile.get("display_name") or user.get("real_name") or user.get("name")
        self._remember(f"user:{user_id}", str(name or user_id))
        self._remember(f"email:{user_id}", str(profile.get("email") or ""))
        return True

    def user_tz(self, user_id: str) -> str | None:
        """The person's time zone name from ``users.info`` (None if unknown)."""
        try:
            tz = self._call("users.info", user=user_id).get("user", {}).get("tz")
        except SlackRejected:
            return None
        return str(tz) if tz else None

    def is_admin(self, user: str) -> bool:
        """Whether ``user`` is an admin or owner of the workspace (``users.info``)."""
        found = self._call("users.info", user=user).get("user") or {}
        return any(found.get(k) for k in ("is_admin", "is_owner", "is_primary_owner"))

    def usergroup_handles(self, group_ids: Iterable[str]) -> dict[str, str]:
        """User-group handles by ID (``usergroups.list`` needs ``usergroups:read``)."""
        wanted = set(group_ids)
        if not wanted:
            return {}
        try:
            groups = self._call("usergroups.list").get("usergroups", [])
        except SlackRejected:
            return {}
        return {g["id"]: g["handle"] for g in groups if g.get("id") in wanted and g.get("handle")}

    def own_bot_id(self) -> str:
        """The bridge's own bot ID (``auth.test``), asked once."""
        cached = self._cached("own:bot_id")
        if cached is not None:
            return cached
        return self._remember("own:bot_id", str(self._call("auth.test").get("bot_id") or ""))
