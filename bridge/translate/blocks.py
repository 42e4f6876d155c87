"""Block Kit blocks and legacy attachments → pieces: what apps and workflows post.

Messages from apps and workflows keep their content in ``header``, ``section`` (text,
then ``fields``) and ``context`` blocks, or in legacy attachments (``pretext``, ``title``,
``text``, ``fields``); their ``text`` is only a summary for notifications. Each block
becomes its own lines, in order; ``rich_text`` blocks go to ``bridge.translate.richtext``.
Interactive and visual blocks (buttons, menus, inputs, images, dividers) have no text
worth posting and are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import Field

from bridge.frozen import Frozen
from bridge.slack.message import AttachmentField, SlackAttachment
from bridge.translate.mrkdwn import LinkRef, Piece, Text, emojize_shortcodes, parse_mrkdwn
from bridge.translate.richtext import append_block, rich_text_pieces

CONTEXT_SEPARATOR = " · "


class TextObject(Frozen):
    """A ``plain_text`` or ``mrkdwn`` text object; context elements may be images."""

    type: str = "plain_text"
    text: str = ""
    emoji: bool = True


class Block(Frozen):
    """The fields of the text-bearing block types."""

    type: str = ""
    text: TextObject | str | None = None
    fields: list[TextObject] = Field(default_factory=list)
    elements: list[dict[str, Any]] = Field(default_factory=list)


TEXT_BLOCKS = frozenset({"header", "section", "context", "markdown"})


def blocks_to_pieces(blocks: Iterable[Mapping[str, Any]]) -> list[Piece]:
    """Every block with text, in order, one after the other on new lines.

    Raises ValueError when a block is malformed (the caller then uses ``text``).
    """
    pieces: list[Piece] = []
    for raw in blocks:
        if raw.get("type") == "rich_text":
            append_block(pieces, rich_text_pieces(raw))
        elif raw.get("type") in TEXT_BLOCKS:
            append_block(pieces, _block(Block.model_validate(raw)))
    return pieces


def attachment_pieces(attachment: SlackAttachment) -> list[Piece]:
    """An app's legacy attachment: pretext, title (linked), text, fields, blocks, in order;
    its ``fallback`` only when it has none of these."""
    pieces: list[Piece] = []
    append_block(pieces, parse_mrkdwn(attachment.pretext or ""))
    link = attachment.title_link or ""
    if attachment.title and link.lower().startswith(("https://", "http://")):
        append_block(pieces, [LinkRef(link, attachment.title)])
    else:
        append_block(pieces, parse_mrkdwn(attachment.title or ""))
    append_block(pieces, parse_mrkdwn(attachment.text or ""))
    for field in attachment.fields:
        append_block(pieces, parse_mrkdwn(_field_line(field)))
    append_block(pieces, blocks_to_pieces(attachment.blocks))
    if not pieces:
        append_block(pieces, parse_mrkdwn(attachment.fallback or ""))
    return pieces


def _block(block: Block) -> list[Piece]:
    if block.type in ("header", "section"):
        pieces = _text(block.text)
        for field in block.fields:
            append_block(pieces, _text(_label_value(field)))
        return pieces
    if block.type == "context":
        context: list[Piece] = []
        for raw in block.elements:
            if raw.get("type") in ("mrkdwn", "plain_text") and str(raw.get("text", "")).strip():
                if context:
                    context.append(Text(CONTEXT_SEPARATOR))
                context.extend(_text(TextObject.model_validate(raw)))
        return context
    if block.type == "markdown" and isinstance(block.text, str):
        return [Text(block.text)]
    return []


def _text(text: TextObject | str | None) -> list[Piece]:
    """mrkdwn is parsed; plain text is literal, with Slack's emoji names converted."""
    if not isinstance(text, TextObject):
        return []
    if text.type == "mrkdwn":
        return parse_mrkdwn(text.text)
    plain = emojize_shortcodes(text.text) if text.emoji else text.text
    return [Text(plain)] if plain else []


def _label_value(field: TextObject) -> TextObject:
    """A section field written ``*Label:*\\nvalue`` as one line ``Label: value``."""
    label, newline, value = field.text.strip().partition("\n")
    if not newline:
        return field
    label = label.rstrip()
    for ending in (":*", ":_", ":"):
        if label.endswith(ending):
            label = label[: -len(ending)] + ending[1:]
            break
    return field.model_copy(update={"text": f"{label}: {value.strip()}"})


def _field_line(field: AttachmentField) -> str:
    """A legacy attachment field as ``title: value`` (either alone when the other is blank)."""
    title, value = field.title.strip(), field.value.strip()
    return f"{title.removesuffix(':')}: {value}" if title and value else title or value
