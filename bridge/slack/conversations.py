"""Reading conversations: a message, its files, who may read it, the thread's replies,
channel names and message links."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bridge.slack.calls import SlackCalls
from bridge.slack.errors import ADVICE, SlackRejected
from bridge.slack.message import SlackFile, SlackMessage


class Conversations(SlackCalls):
    """``conversations.*``, ``files.info`` and links to messages."""

    def fetch_message(self, channel: str, ts: str, thread_ts: str | None = None) -> SlackMessage:
        """The message ``ts`` in ``channel`` (a thread reply is looked up in its thread)."""
        window = {"channel": channel, "latest": ts, "oldest": ts, "inclusive": True}
        if thread_ts is None or thread_ts == ts:
            found = self._call("conversations.history", limit=1, **window).get("messages", [])
            if message := with_ts(found, ts):
                return message
        root = thread_ts or ts
        found = self._call("conversations.replies", ts=root, limit=10, **window).get("messages", [])
        if message := with_ts(found, ts):
            return message
        raise SlackRejected(ADVICE["message_not_found"], "message_not_found")

    def file_info(self, file_id: str) -> SlackFile:
        """A file's full metadata (``files.info``), for files marked check_file_info."""
        return SlackFile.model_validate(self._call("files.info", file=file_id).get("file", {}))

    def can_read(self, channel: str, user: str) -> bool:
        """Whether ``user`` may read ``channel``: any public channel, or a private one they
        are a member of (``conversations.members``, paged)."""
        info = self._call("conversations.info", channel=channel).get("channel", {})
        if not info.get("is_private") and not info.get("is_im") and not info.get("is_mpim"):
            return True
        cursor: str | None = None
        while True:
            page = self._call("conversations.members", channel=channel, cursor=cursor, limit=500)
            if user in page.get("members", []):
                return True
            cursor = page.get("response_metadata", {}).get("next_cursor") or None
            if cursor is None:
                return False

    def thread_has(self, channel: str, thread_ts: str, piece: str, oldest: float) -> bool:
        """Whether a bot message containing ``piece`` was posted in the thread since
        ``oldest`` (seconds since the epoch)."""
        since = f"{oldest:.6f}"
        answer = self._call(
            "conversations.replies", channel=channel, ts=thread_ts, oldest=since, limit=200
        )
        found = answer.get("messages", [])
        return any(m.get("bot_id") and piece in str(m.get("text", "")) for m in found)

    def channel_names(self, channel_ids: Iterable[str]) -> dict[str, str]:
        """Channel names by ID; channels the bridge cannot see are left out."""
        names = {}
        for channel_id in channel_ids:
            name = self._cached(f"channel:{channel_id}")
            if name is None:
                try:
                    info = self._call("conversations.info", channel=channel_id)
                except SlackRejected:
                    continue
                name = self._remember(f"channel:{channel_id}", str(info["channel"]["name"]))
            names[channel_id] = name
        return names

    def permalink(self, channel: str, ts: str, thread_ts: str | None = None) -> str:
        """The message's link, built from the workspace URL (one ``auth.test``, cached)."""
        if self._workspace_url is None:
            self._workspace_url = str(self._call("auth.test").get("url", "https://slack.com/"))
        link = f"{self._workspace_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"
        if thread_ts and thread_ts != ts:
            link += f"?thread_ts={thread_ts}&cid={channel}"
        return link


def with_ts(messages: list[dict[str, Any]], ts: str) -> SlackMessage | None:
    for raw in messages:
        if raw.get("ts") == ts:
            return SlackMessage.model_validate(raw)
    return None
