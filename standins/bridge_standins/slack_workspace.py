"""The state behind :class:`bridge_standins.slack.FakeSlack`: one workspace's channels,
users, user groups and messages, with Slack's reading rules (history, threads).

Not thread-safe by itself: ``FakeSlack`` calls it under its lock. A refusal is a
:class:`MethodRefused` carrying Slack's error string (``channel_not_found``, ...).
"""

from __future__ import annotations

import copy
import time
from typing import Any

from bridge_standins.slack_model import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    Channel,
    MethodRefused,
    Window,
    page,
    ts_key,
)


def _is_reply(message: dict[str, Any]) -> bool:
    thread_ts = message.get("thread_ts")
    return thread_ts is not None and thread_ts != message.get("ts")


class Workspace:
    """Channels, users, user groups and messages of one fake workspace."""

    def __init__(self, team_id: str) -> None:
        self.team_id = team_id
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: list[dict[str, Any]] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self._last_micros = 0

    def next_ts(self) -> str:
        """A fresh timestamp, later than every one seen so far."""
        self._last_micros = max(time.time_ns() // 1000, self._last_micros + 1)
        seconds, micros = divmod(self._last_micros, 1_000_000)
        return f"{seconds}.{micros:06d}"

    def add_channel(self, channel: Channel) -> None:
        """Add or replace a channel."""
        self.channels[channel.id] = channel
        self.messages.setdefault(channel.id, [])

    def add_user(self, user: dict[str, Any]) -> dict[str, Any]:
        """Add or replace a user (a ``users.info`` object); returns a copy."""
        self.users[user["id"]] = copy.deepcopy(user)
        return copy.deepcopy(user)

    def channel(self, channel_id: Any, *, need_member: bool = True) -> Channel:
        """The channel, or ``channel_not_found`` / ``not_in_channel``."""
        channel = self.channels.get(str(channel_id))
        if channel is None or (channel.is_private and not channel.is_member):
            raise MethodRefused("channel_not_found")
        if need_member and not channel.is_member:
            raise MethodRefused("not_in_channel")
        return channel

    def add_message(self, channel_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """Store a message (``type`` and ``ts`` filled when absent); returns a copy."""
        if channel_id not in self.channels:
            raise KeyError(f"unknown channel {channel_id!r}: add_channel() it first")
        stored = {"type": "message", **copy.deepcopy(message)}
        if "ts" in stored:
            micros = int(ts_key(stored["ts"]) * 1_000_000)
            self._last_micros = max(self._last_micros, micros)
        else:
            stored["ts"] = self.next_ts()
        self.messages[channel_id].append(stored)
        if _is_reply(stored):
            self._link_reply(channel_id, stored)
        return copy.deepcopy(stored)

    def _link_reply(self, channel_id: str, reply: dict[str, Any]) -> None:
        """Update the parent's thread fields, as Slack shows them."""
        parent = self.find(channel_id, reply["thread_ts"])
        if parent is None or _is_reply(parent):
            return
        parent["thread_ts"] = parent["ts"]
        parent["reply_count"] = parent.get("reply_count", 0) + 1
        users = parent.setdefault("reply_users", [])
        if reply.get("user") and reply["user"] not in users:
            users.append(reply["user"])
        parent["reply_users_count"] = len(users)
        parent["latest_reply"] = max(
            parent.get("latest_reply", reply["ts"]), reply["ts"], key=ts_key
        )

    def find(self, channel_id: str, ts: Any) -> dict[str, Any] | None:
        """The stored message (not a copy) with this ``ts``, or None."""
        key = ts_key(ts)
        for message in self.messages.get(channel_id, []):
            if ts_key(message["ts"]) == key:
                return message
        return None

    def history(self, channel_id: Any, window: Window) -> dict[str, Any]:
        """``conversations.history``: top-level messages in range, newest first."""
        channel = self.channel(channel_id)
        shown = [
            message
            for message in self.messages[channel.id]
            if (not _is_reply(message) or message.get("subtype") == "thread_broadcast")
            and window.contains(message["ts"])
        ]
        shown.sort(key=lambda message: ts_key(message["ts"]), reverse=True)
        return {**page(shown, window), "pin_count": 0}

    def replies(self, channel_id: Any, ts: Any, window: Window) -> dict[str, Any]:
        """``conversations.replies``: the parent first, then the replies in range, ascending."""
        channel = self.channel(channel_id)
        message = self.find(channel.id, ts) if ts else None
        if message is None:
            raise MethodRefused("thread_not_found")
        root = ts_key(message.get("thread_ts") or message["ts"])
        parent = self.find(channel.id, root)
        replies = [
            m
            for m in self.messages[channel.id]
            if _is_reply(m) and ts_key(m["thread_ts"]) == root and window.contains(m["ts"])
        ]
        replies.sort(key=lambda m: ts_key(m["ts"]))
        answer = page(replies, window)
        answer["messages"] = copy.deepcopy([parent] if parent else []) + answer["messages"]
        return answer

    def bot_message(
        self, channel: Channel, text: str, blocks: Any, thread_ts: Any
    ) -> dict[str, Any]:
        """Store a message posted by the bot (a thread reply when ``thread_ts``)."""
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": self.team_id,
            "text": text,
            "bot_profile": {
                "id": BOT_ID,
                "app_id": APP_ID,
                "name": "bridge",
                "team_id": self.team_id,
            },
        }
        if blocks:
            message["blocks"] = blocks
        if thread_ts:
            message["thread_ts"] = str(thread_ts)
        return self.add_message(channel.id, message)

    def add_reaction(self, channel: Channel, ts: Any, name: str) -> None:
        """Add the bot's reaction; ``message_not_found`` / ``already_reacted``."""
        message = self.find(channel.id, ts) if ts else None
        if message is None:
            raise MethodRefused("message_not_found")
        reactions: list[dict[str, Any]] = message.setdefault("reactions", [])
        entry = next((r for r in reactions if r["name"] == name), None)
        if entry is None:
            entry = {"name": name, "users": [], "count": 0}
            reactions.append(entry)
        if BOT_USER_ID in entry["users"]:
            raise MethodRefused("already_reacted")
        entry["users"].append(BOT_USER_ID)
        entry["count"] += 1
