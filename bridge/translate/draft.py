"""Slack message -> Amity post: the pure translation layer (no I/O).

Both inputs (mrkdwn ``text`` and ``rich_text`` blocks) become pieces (``bridge.translate.mrkdwn``);
one renderer (``bridge.translate.render``) turns pieces into the post text while counting UTF-16
code units, the unit of Amity's JavaScript, Swift and Kotlin clients, for mention and link
positions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from bridge.amity.post import (
    MAX_HASHTAGS,
    MAX_LINKS,
    MAX_TEXT,
    Attachment,
    CreatePost,
    Mentionees,
    PostData,
    utf16_len,
)
from bridge.failures import Permanent
from bridge.routes import PostDefaults
from bridge.slack.message import SlackMessage
from bridge.translate.compose import message_pieces, system_notice
from bridge.translate.mrkdwn import (
    ChannelRef,
    Piece,
    UsergroupRef,
    UserRef,
    parse_mrkdwn,
)
from bridge.translate.render import MAX_MENTIONS, MAX_URL, Draft, Mention, Names, Renderer

# Names looked up in Slack per message at most (users, channels, groups each): a message
# mentioning more people shows the later ones by the name written in the mention, or
# "@unknown user", and costs no more users.info calls (Slack allows ~100 a minute).
MAX_LOOKUPS = 50

__all__ = [
    "MAX_LOOKUPS",
    "MAX_MENTIONS",
    "MAX_URL",
    "Draft",
    "EmptyMessage",
    "Mention",
    "Names",
    "Refs",
    "SystemMessage",
    "TextTooLong",
    "TranslationError",
    "referenced_ids",
    "referenced_ids_in_text",
    "text_to_draft",
    "to_create_post",
    "to_draft",
    "with_footer",
]


@dataclass(frozen=True)
class Refs:
    """Ids the caller must resolve with Slack before translating."""

    users: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()  # mentioned without a name in the token
    usergroups: frozenset[str] = frozenset()  # mentioned without a handle in the token


class TranslationError(Permanent):
    """The message cannot be posted; ``str(error)`` tells the Slack user what to do."""


class EmptyMessage(TranslationError):
    """Nothing to post: no text and no attachments."""

    def __init__(self) -> None:
        super().__init__(
            "There is nothing to post: the message has no text and no files. "
            "Add some text or a file, then try again."
        )


class SystemMessage(TranslationError):
    """A notice Slack wrote (someone joined, a topic changed), not a person's message."""

    def __init__(self, notice: str) -> None:
        self.notice = notice
        super().__init__(
            f"This is a message Slack wrote itself ({notice}), not one a person wrote: "
            "only people's messages can be shared."
        )


class TextTooLong(TranslationError):
    """The text exceeds Amity's limit (UTF-16 code units); it is never truncated."""

    def __init__(self, length: int, limit: int = MAX_TEXT) -> None:
        self.length = length
        self.limit = limit
        super().__init__(
            f"The message is {length:,} characters long, but a post can have at most "
            f"{limit:,}. Shorten it or split it into several messages, then try again."
        )


def referenced_ids(message: SlackMessage) -> Refs:
    """The users, channels and user groups of ``message`` that need a name lookup."""
    return _refs(_message_pieces(message))


def referenced_ids_in_text(text: str) -> Refs:
    """Like ``referenced_ids`` for mrkdwn text (a slash command's text)."""
    return _refs(parse_mrkdwn(text))


def to_draft(message: SlackMessage, names: Names, user_map: Mapping[str, str]) -> Draft:
    """Render a message (its blocks or its ``text``, attachments, forwards); raises
    SystemMessage for Slack's own notices."""
    return Renderer(names, user_map).render(_message_pieces(message))


def text_to_draft(text: str, names: Names, user_map: Mapping[str, str]) -> Draft:
    """Render mrkdwn text (a slash command's text, escaped like message text)."""
    return Renderer(names, user_map).render(parse_mrkdwn(text))


def with_footer(draft: Draft, lines: Sequence[str]) -> Draft:
    """The draft with ``lines`` (attribution) after its text, a blank line between; the
    lines are plain text, and mention and link positions before them do not move."""
    footer = "\n".join(line for line in lines if line.strip())
    if not footer:
        return draft
    text = f"{draft.text}\n\n{footer}" if draft.text.strip() else footer
    return replace(draft, text=text)


def to_create_post(
    draft: Draft,
    *,
    community_id: str,
    post_id: str,
    created_at: datetime,
    metadata: Mapping[str, Any],
    attachments: Sequence[Attachment] = (),
    defaults: PostDefaults | None = None,
) -> CreatePost:
    """The create-post body with the route's ``defaults`` (tags, hashtags first, whether
    discoverable); raises EmptyMessage or TextTooLong (never truncates)."""
    if not draft.text.strip() and not attachments:
        raise EmptyMessage
    length = utf16_len(draft.text)
    if length > MAX_TEXT:
        raise TextTooLong(length, MAX_TEXT)
    mentions = draft.mentions[:MAX_MENTIONS]
    extra = dict(metadata)
    if mentions:
        extra["mentioned"] = [
            {"type": "user", "userId": m.amity_user_id, "index": m.index, "length": m.length}
            for m in mentions
        ]
    user_ids = list(dict.fromkeys(mention.amity_user_id for mention in mentions))
    defaults = defaults or PostDefaults()
    hashtags = list(dict.fromkeys([*defaults.hashtags, *draft.hashtags]))[:MAX_HASHTAGS]
    return CreatePost(
        data=PostData(text=draft.text),
        targetId=community_id,
        postId=post_id,
        createdAt=_timestamp(created_at),
        links=list(draft.links[:MAX_LINKS]) or None,
        hashtags=hashtags or None,
        tags=list(defaults.tags) or None,
        isDiscoverable=None if defaults.discoverable else False,
        mentionees=[Mentionees(userIds=user_ids)] if user_ids else None,
        metadata=extra,
        attachments=list(attachments) or None,
    )


def _timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and ``Z``; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _message_pieces(message: SlackMessage) -> list[Piece]:
    """The message's pieces (``bridge.translate.compose``); Slack's own notices are refused."""
    notice = system_notice(message.subtype)
    if notice is not None:
        raise SystemMessage(notice)
    return message_pieces(message)


def _first(ids: Iterable[str]) -> frozenset[str]:
    """The first :data:`MAX_LOOKUPS` distinct IDs, in the message's order."""
    return frozenset(list(dict.fromkeys(ids))[:MAX_LOOKUPS])


def _refs(pieces: list[Piece]) -> Refs:
    return Refs(
        users=_first(p.user_id for p in pieces if isinstance(p, UserRef)),
        channels=_first(p.channel_id for p in pieces if isinstance(p, ChannelRef) and not p.name),
        usergroups=_first(
            p.usergroup_id for p in pieces if isinstance(p, UsergroupRef) and not p.handle
        ),
    )
