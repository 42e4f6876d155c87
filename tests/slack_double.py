"""An in-memory Slack for the unit tests of the delivery layer: it implements
``bridge.slack.port.SlackPort`` (mypy checks it where it is passed as one) and records
what was sent. The end-to-end tests use the HTTP stand-in instead."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bridge.slack.api import SlackRejected
from bridge.slack.message import SlackFile, SlackMessage


@dataclass
class Sent:
    """One message the bridge sent: where, to whom (ephemeral), and what."""

    channel: str
    text: str
    thread_ts: str | None = None
    user: str | None = None
    blocks: list[dict[str, Any]] | None = None


@dataclass
class SlackDouble:
    """Messages and files by ID; every call the delivery layer makes, recorded."""

    messages: dict[tuple[str, str], SlackMessage] = field(default_factory=dict)
    files: dict[str, SlackFile] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)  # by user ID
    tz: str | None = "Europe/Paris"
    members: set[tuple[str, str]] = field(default_factory=set)  # (channel, user) pairs
    replies: list[Sent] = field(default_factory=list)
    ephemerals: list[Sent] = field(default_factory=list)
    responses: list[tuple[str, str]] = field(default_factory=list)
    reactions: list[tuple[str, str, str]] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)

    def own_bot_id(self) -> str:
        return "B0BRIDGE"

    def can_read(self, channel: str, user: str) -> bool:
        return (channel, user) in self.members

    def fetch_message(self, channel: str, ts: str, thread_ts: str | None = None) -> SlackMessage:
        self.fetched.append(ts)
        try:
            return self.messages[channel, ts]
        except KeyError:
            raise SlackRejected("the message was not found", "message_not_found") from None

    def file_info(self, file_id: str) -> SlackFile:
        return self.files[file_id]

    def user_names(self, user_ids: Iterable[str]) -> dict[str, str]:
        return {u: self.names[u] for u in user_ids if u in self.names}

    def user_emails(self, user_ids: Iterable[str]) -> dict[str, str]:
        return {u: self.emails[u] for u in user_ids if u in self.emails}

    def channel_names(self, channel_ids: Iterable[str]) -> dict[str, str]:
        return {c: self.names[c] for c in channel_ids if c in self.names}

    def usergroup_handles(self, group_ids: Iterable[str]) -> dict[str, str]:
        return {g: self.names[g] for g in group_ids if g in self.names}

    def user_tz(self, user_id: str) -> str | None:
        return self.tz

    def permalink(self, channel: str, ts: str, thread_ts: str | None = None) -> str:
        return f"https://example.slack.com/archives/{channel}/p{ts.replace('.', '')}"

    def reply(
        self,
        channel: str,
        text: str,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> None:
        self.replies.append(Sent(channel, text, thread_ts, blocks=blocks))

    def thread_has(self, channel: str, thread_ts: str, piece: str, oldest: float) -> bool:
        return any(r.thread_ts == thread_ts and piece in r.text for r in self.replies)

    def react(self, channel: str, ts: str, name: str) -> None:
        self.reactions.append((channel, ts, name))

    def ephemeral(
        self,
        channel: str,
        user: str,
        text: str,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> None:
        self.ephemerals.append(Sent(channel, text, thread_ts, user, blocks))

    def respond(self, response_url: str, text: str, *, in_channel: bool = False) -> None:
        self.responses.append((response_url, text))

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """The Web API calls the directory makes: every user is a member of this
        workspace, every channel a public one."""
        if method == "users.info":
            return {"ok": True, "user": {"id": params["user"], "team_id": "T1"}}
        if method == "conversations.info":
            return {"ok": True, "channel": {"id": params["channel"], "is_channel": True}}
        raise SlackRejected(f"Slack {method} failed: unknown_method", "unknown_method")
