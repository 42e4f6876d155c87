"""The Slack message as the bridge reads it, parsed at the edge into frozen models.

Slack sends many more fields than these; unknown ones are ignored so that a new field
never breaks parsing. ``blocks`` stay raw here: ``bridge.richtext`` parses the
``rich_text`` ones into its own models.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SlackFile(BaseModel):
    """A file attached to a message (only the fields the bridge uses)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    name: str | None = None
    title: str | None = None
    mimetype: str | None = None
    filetype: str | None = None
    size: int | None = None
    mode: str | None = None
    url_private: str | None = None
    url_private_download: str | None = None
    file_access: str | None = None


class SlackMessage(BaseModel):
    """One message from ``conversations.history`` / ``conversations.replies``."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    ts: str
    thread_ts: str | None = None
    user: str | None = None
    bot_id: str | None = None
    subtype: str | None = None
    text: str = ""
    blocks: list[dict[str, Any]] = Field(default_factory=list)
    files: list[SlackFile] = Field(default_factory=list)

    def is_from_bot(self) -> bool:
        """Bot messages (the bridge's own replies included) are never cross-posted."""
        return self.bot_id is not None or self.subtype == "bot_message"
