"""The Slack message as the bridge reads it, parsed at the edge into frozen models.

Slack sends many more fields than these; unknown ones are ignored so that a new field
never breaks parsing. ``blocks`` stay raw here: ``bridge.translate.blocks`` and
``bridge.translate.richtext`` parse them into their own models.

Legacy ``attachments`` carry three different things: a forwarded (shared) message
(``is_share`` / ``is_msg_unfurl``), a link preview (``from_url`` / ``original_url``), or an
app's content (``pretext``, ``title``, ``text``, ``fields``). The files of a forwarded
message go along like the message's own: they are appended to ``files`` when parsing.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from bridge.frozen import Frozen
from bridge.slack.nesting import shallow_blocks

# Raw blocks, without any nesting deeper than Slack's ever do (bridge.slack.nesting)
Blocks = Annotated[list[dict[str, Any]], BeforeValidator(shallow_blocks)]


class SlackFile(Frozen):
    """A file attached to a message (only the fields the bridge uses)."""

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


class AttachmentField(Frozen):
    """One ``title``/``value`` pair of a legacy attachment."""

    title: str = ""
    value: str = ""


class SharedMessage(Frozen):
    """The forwarded message inside ``message_blocks`` (its real blocks)."""

    text: str = ""
    blocks: Blocks = Field(default_factory=list)


class MessageBlock(Frozen):
    """One entry of ``message_blocks``."""

    message: SharedMessage | None = None


class SlackAttachment(Frozen):
    """A legacy attachment: a forwarded message, a link preview, or an app's content."""

    is_share: bool = False
    is_msg_unfurl: bool = False
    is_app_unfurl: bool = False
    from_url: str | None = None
    original_url: str | None = None
    author_id: str | None = None
    author_name: str | None = None
    author_subname: str | None = None
    channel_id: str | None = None
    channel_name: str | None = None
    pretext: str | None = None
    title: str | None = None
    title_link: str | None = None
    text: str | None = None
    fallback: str | None = None
    fields: list[AttachmentField] = Field(default_factory=list)
    blocks: Blocks = Field(default_factory=list)
    message_blocks: list[MessageBlock] = Field(default_factory=list)
    files: list[SlackFile] = Field(default_factory=list)

    def is_forward(self) -> bool:
        """A message shared into the conversation ("Forward" in Slack's menu)."""
        return self.is_share or self.is_msg_unfurl

    def is_preview(self) -> bool:
        """A link preview (Amity builds its own from the post's links) or an app unfurl."""
        return not self.is_forward() and bool(
            self.from_url or self.original_url or self.is_app_unfurl
        )

    def shared_blocks(self) -> list[dict[str, Any]]:
        """The forwarded message's own blocks, from ``message_blocks`` or ``blocks``."""
        found = [b for entry in self.message_blocks if entry.message for b in entry.message.blocks]
        return found or list(self.blocks)


class SlackMessage(Frozen):
    """One message from ``conversations.history`` / ``conversations.replies``."""

    ts: str
    thread_ts: str | None = None
    user: str | None = None
    bot_id: str | None = None
    subtype: str | None = None
    text: str = ""
    blocks: Blocks = Field(default_factory=list)
    files: list[SlackFile] = Field(default_factory=list)
    attachments: list[SlackAttachment] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _with_forwarded_files(cls, data: Any) -> Any:
        """Append the files of forwarded messages to ``files`` (once each, in order)."""
        if not isinstance(data, dict) or not isinstance(data.get("attachments"), list):
            return data
        files = list(data.get("files") or [])
        known = {file.get("id") for file in files if isinstance(file, dict)}
        for attachment in data["attachments"]:
            if not isinstance(attachment, dict) or not (
                attachment.get("is_share") or attachment.get("is_msg_unfurl")
            ):
                continue
            for file in attachment.get("files") or []:
                if isinstance(file, dict) and file.get("id") not in known:
                    known.add(file.get("id"))
                    files.append(file)
        return {**data, "files": files}

    def is_from(self, bot_id: str) -> bool:
        """Whether the bot ``bot_id`` wrote this message."""
        return bool(bot_id) and self.bot_id == bot_id
