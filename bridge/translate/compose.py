"""A whole Slack message as one sequence of pieces, in the order a reader sees it.

1. The message's own content: its blocks (``rich_text`` from Slack's editor, or the
   ``header``/``section``/``context`` blocks of apps and workflows), else its mrkdwn
   ``text`` — never both, since ``text`` is then only the blocks' summary.
2. The content of apps' legacy attachments (``pretext``, ``title``, ``text``, ``fields``).
3. Each forwarded message, introduced by its author and channel and quoted.

Link previews are left out: Amity builds its own from the post's links. Mentions that
``rich_text`` gives without a name get the label Slack wrote in ``text``
(``<#C123|general>``), so that a channel the bridge cannot see keeps its name.
"""

from __future__ import annotations

from dataclasses import replace

from bridge.slack.message import SlackAttachment, SlackMessage
from bridge.translate.blocks import attachment_pieces, blocks_to_pieces
from bridge.translate.mrkdwn import ChannelRef, Piece, Text, UsergroupRef, UserRef, parse_mrkdwn
from bridge.translate.richtext import append_block, has_text, prefix_lines, trim_newlines

# Slack's notices (someone joined, a topic changed, a message was pinned...), by subtype.
SYSTEM_SUBTYPES = {
    "channel_join": "someone joined the channel",
    "channel_leave": "someone left the channel",
    "channel_topic": "the channel topic changed",
    "channel_purpose": "the channel description changed",
    "channel_name": "the channel was renamed",
    "channel_archive": "the channel was archived",
    "channel_unarchive": "the channel was unarchived",
    "channel_posting_permissions": "who may post here changed",
    "channel_convert_to_private": "the channel became private",
    "channel_convert_to_public": "the channel became public",
    "group_join": "someone joined the channel",
    "group_leave": "someone left the channel",
    "group_topic": "the channel topic changed",
    "group_purpose": "the channel description changed",
    "group_name": "the channel was renamed",
    "group_archive": "the channel was archived",
    "group_unarchive": "the channel was unarchived",
    "pinned_item": "a message was pinned",
    "unpinned_item": "a message was unpinned",
    "bot_add": "an app was added",
    "bot_remove": "an app was removed",
    "reminder_add": "a reminder was set",
    "ekm_access_denied": "a message hidden by the workspace's key management",
    "tombstone": "a deleted message",
    "message_deleted": "a deleted message",
    "message_changed": "an edit",
    "message_replied": "a reply notice",
    "huddle_thread": "a huddle",
    "sh_room_created": "a huddle",
    "joiner_notification": "someone joined the channel",
    "joiner_notification_for_inviter": "someone joined the channel",
    "assistant_app_thread": "an assistant thread",
}


def system_notice(subtype: str | None) -> str | None:
    """What a system message is about (``someone joined the channel``), or None for
    messages people write (plain, ``file_share``, ``thread_broadcast``, ``me_message``...)."""
    if not subtype:
        return None
    if subtype in SYSTEM_SUBTYPES:
        return SYSTEM_SUBTYPES[subtype]
    if subtype.startswith(("channel_", "group_")):
        return "a change to the channel"
    return None


def message_pieces(message: SlackMessage) -> list[Piece]:
    """Own content, then apps' attachments, then forwarded messages (see the module doc)."""
    pieces = _own(message)
    if message.subtype == "me_message" and message.user:
        author: list[Piece] = [Text("*"), UserRef(message.user, notify=False), Text("*")]
        pieces = [*author, Text(" "), *pieces] if has_text(pieces) else author
    for attachment in message.attachments:
        if attachment.is_forward():
            _paragraph(pieces, _forward(attachment))
        elif not attachment.is_preview():
            append_block(pieces, attachment_pieces(attachment))
    texts = [message.text, *(a.text or "" for a in message.attachments if a.is_forward())]
    return with_labels(pieces, "\n".join(texts))


def _own(message: SlackMessage) -> list[Piece]:
    """The blocks when they show anything, else the mrkdwn ``text``."""
    pieces = _blocks(message.blocks)
    return pieces if has_text(pieces) else parse_mrkdwn(message.text)


def _blocks(blocks: list[dict[str, object]]) -> list[Piece]:
    try:
        return blocks_to_pieces(blocks)
    except ValueError:  # a malformed block: the message's text says the same
        return []


def _forward(attachment: SlackAttachment) -> list[Piece]:
    """``Forwarded from @Name in #channel:`` then the message, quoted."""
    body = _blocks(attachment.shared_blocks())
    if not has_text(body):
        body = parse_mrkdwn(attachment.text or attachment.fallback or "")
    label = attachment.author_subname or attachment.author_name
    intro: list[Piece] = [Text("Forwarded from ")]
    if attachment.author_id:
        intro.append(UserRef(attachment.author_id, label, notify=False))
    elif label:
        intro.append(Text("@" + label.removeprefix("@")))
    channel = attachment.channel_id or ""
    if channel.startswith(("C", "G")):  # not a direct message: those have no name
        if len(intro) > 1:
            intro.append(Text(" in "))
        intro.append(ChannelRef(channel, attachment.channel_name or None))
    if len(intro) == 1:
        intro = [Text("Forwarded message")]
    body = trim_newlines(body)
    return [*intro, Text(":"), *([Text("\n"), *prefix_lines(body, "> ", "> ")] if body else [])]


def _paragraph(pieces: list[Piece], block: list[Piece]) -> None:
    """Append ``block`` after a blank line (or first)."""
    if pieces and has_text(pieces):
        ends_line = isinstance(pieces[-1], Text) and pieces[-1].text.endswith("\n")
        pieces.append(Text("\n" if ends_line else "\n\n"))
    pieces.extend(block)


def with_labels(pieces: list[Piece], text: str) -> list[Piece]:
    """Give nameless mentions the label that the mrkdwn ``text`` has for the same ID."""
    users: dict[str, str] = {}
    channels: dict[str, str] = {}
    groups: dict[str, str] = {}
    for piece in parse_mrkdwn(text):
        if isinstance(piece, UserRef) and piece.label:
            users[piece.user_id] = piece.label
        elif isinstance(piece, ChannelRef) and piece.name:
            channels[piece.channel_id] = piece.name
        elif isinstance(piece, UsergroupRef) and piece.handle:
            groups[piece.usergroup_id] = piece.handle
    return [_labelled(piece, users, channels, groups) for piece in pieces]


def _labelled(
    piece: Piece, users: dict[str, str], channels: dict[str, str], groups: dict[str, str]
) -> Piece:
    if isinstance(piece, UserRef) and not piece.label and piece.user_id in users:
        return replace(piece, label=users[piece.user_id])
    if isinstance(piece, ChannelRef) and not piece.name and piece.channel_id in channels:
        return replace(piece, name=channels[piece.channel_id])
    if isinstance(piece, UsergroupRef) and not piece.handle and piece.usergroup_id in groups:
        return replace(piece, handle=groups[piece.usergroup_id])
    return piece
