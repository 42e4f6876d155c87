"""Slack message -> Amity post: the pure translation layer (no I/O).

Both inputs (mrkdwn ``text`` and ``rich_text`` blocks) become pieces (``bridge.mrkdwn``);
one renderer turns pieces into the post text while counting UTF-16 code units, the unit of
Amity's JavaScript, Swift and Kotlin clients, for mention and link positions.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import groupby
from typing import Any
from urllib.parse import urlsplit

from bridge.message import SlackMessage
from bridge.mrkdwn import (
    ChannelRef,
    LinkRef,
    Piece,
    Text,
    UsergroupRef,
    UserRef,
    find_hashtags,
    find_urls,
    parse_mrkdwn,
)
from bridge.post import (
    MAX_HASHTAGS,
    MAX_LINKS,
    MAX_TEXT,
    Attachment,
    CreatePost,
    Link,
    Mentionees,
    PostData,
    utf16_len,
)
from bridge.richtext import blocks_to_pieces, has_rich_text

MAX_MENTIONS = 30  # the Web UIKit's cap: later mentions stay plain text
MAX_URL = 2000
_TRIM = re.compile(r"\A(?:[ \t]*\n)+|[ \t]+(?=\n)|\s+\Z")


@dataclass(frozen=True)
class Refs:
    """Ids the caller must resolve with Slack before translating."""

    users: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()  # mentioned without a name in the token
    usergroups: frozenset[str] = frozenset()  # mentioned without a handle in the token


@dataclass(frozen=True)
class Names:
    """What the caller resolved (no ``@``/``#``); anything missing falls back gracefully."""

    users: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)
    usergroups: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Mention:
    """A mapped user's mention: ``index`` of the ``@``, ``length`` without it (UTF-16)."""

    amity_user_id: str
    index: int
    length: int


@dataclass(frozen=True)
class Draft:
    """The post text with its mentions, links and hashtags, before any length check."""

    text: str
    mentions: tuple[Mention, ...]
    links: tuple[Link, ...]
    hashtags: tuple[str, ...]


class TranslationError(Exception):
    """The message cannot be posted; ``str(error)`` tells the Slack user what to do."""


class EmptyMessage(TranslationError):
    """Nothing to post: no text and no attachments."""

    def __init__(self) -> None:
        super().__init__(
            "There is nothing to post: the message has no text and no files. "
            "Add some text or a file, then try again."
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
    """Render a message: its rich_text blocks if it has any, else its mrkdwn ``text``."""
    return _Renderer(names, user_map).render(_message_pieces(message))


def text_to_draft(text: str, names: Names, user_map: Mapping[str, str]) -> Draft:
    """Render mrkdwn text (a slash command's text, escaped like message text)."""
    return _Renderer(names, user_map).render(parse_mrkdwn(text))


def to_create_post(
    draft: Draft,
    *,
    community_id: str,
    post_id: str,
    created_at: datetime,
    metadata: Mapping[str, Any],
    attachments: Sequence[Attachment] = (),
) -> CreatePost:
    """The create-post body; raises EmptyMessage or TextTooLong (never truncates)."""
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
    return CreatePost(
        data=PostData(text=draft.text),
        targetId=community_id,
        postId=post_id,
        createdAt=_timestamp(created_at),
        links=list(draft.links[:MAX_LINKS]) or None,
        hashtags=list(draft.hashtags[:MAX_HASHTAGS]) or None,
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
    """Rich text when present and well-formed, else the mrkdwn fallback ``text``."""
    if has_rich_text(message.blocks):
        with contextlib.suppress(ValueError):
            return blocks_to_pieces(message.blocks)
    return parse_mrkdwn(message.text)


def _refs(pieces: list[Piece]) -> Refs:
    return Refs(
        users=frozenset(p.user_id for p in pieces if isinstance(p, UserRef)),
        channels=frozenset(
            p.channel_id for p in pieces if isinstance(p, ChannelRef) and not p.name
        ),
        usergroups=frozenset(
            p.usergroup_id for p in pieces if isinstance(p, UsergroupRef) and not p.handle
        ),
    )


def _name(sigil: str, *candidates: str | None) -> str:
    """The first non-blank candidate, without a leading ``sigil``."""
    for candidate in candidates:
        name = (candidate or "").strip().removeprefix(sigil).strip()
        if name:
            return name
    return ""


class _Renderer:
    """Pieces -> Draft, counting UTF-16 offsets as the text grows."""

    def __init__(self, names: Names, user_map: Mapping[str, str]) -> None:
        self.names = names
        self.user_map = user_map
        self.parts: list[str] = []
        self.offset = 0
        self.mentions: list[Mention] = []
        self.links: list[tuple[str, int]] = []
        self.hashtags: list[str] = []

    def render(self, pieces: Iterable[Piece]) -> Draft:
        for code, group in groupby(pieces, lambda p: p.code if isinstance(p, Text) else None):
            if code is None:
                for piece in group:
                    self._ref(piece)
            else:
                self._text("".join(p.text for p in group if isinstance(p, Text)), code=code)
        text, shift = _trim("".join(self.parts))
        return Draft(
            text=text,
            mentions=tuple(replace(m, index=shift(m.index)) for m in self.mentions),
            links=tuple(_link_entry(url, shift(index)) for url, index in self.links),
            hashtags=tuple(self.hashtags),
        )

    def _emit(self, text: str) -> None:
        self.parts.append(text)
        self.offset += utf16_len(text)

    def _text(self, text: str, *, code: bool) -> None:
        """Plain text is scanned for bare URLs and hashtags; code text is not."""
        if not code:
            start = 0
            for begin, end in find_urls(text):
                self._hashtags(text[start:begin])
                self._link(text[begin:end], self.offset + utf16_len(text[:begin]))
                start = end
            self._hashtags(text[start:])
        self._emit(text)

    def _ref(self, piece: Piece) -> None:
        if isinstance(piece, UserRef):
            self._user(piece)
        elif isinstance(piece, ChannelRef):
            known = self.names.channels.get(piece.channel_id)
            self._emit("#" + _name("#", piece.name, known, piece.channel_id))
        elif isinstance(piece, UsergroupRef):
            known = self.names.usergroups.get(piece.usergroup_id)
            self._emit("@" + _name("@", piece.handle, known, piece.usergroup_id))
        elif isinstance(piece, LinkRef):
            self._link_ref(piece)

    def _user(self, ref: UserRef) -> None:
        name = _name("@", self.names.users.get(ref.user_id), ref.label, ref.user_id)
        amity_id = self.user_map.get(ref.user_id)
        if amity_id and len(self.mentions) < MAX_MENTIONS:
            self.mentions.append(Mention(amity_id, self.offset, utf16_len(name)))
        self._emit("@" + name)

    def _link_ref(self, ref: LinkRef) -> None:
        """``label (url)``, or just the URL; ``mailto:`` shows the address, unlinked."""
        url = ref.url
        if url.lower().startswith("mailto:"):
            url = url[len("mailto:") :]
        label = (ref.label or "").strip()
        if label and _bare(label) != _bare(url):
            self._emit(f"{label} (")
            self._url(url)
            self._emit(")")
        else:
            self._url(url)

    def _url(self, url: str) -> None:
        if url.lower().startswith(("http://", "https://")):
            self._link(url, self.offset)
        self._emit(url)

    def _link(self, url: str, index: int) -> None:
        if len(self.links) < MAX_LINKS and 0 < len(url) <= MAX_URL:
            self.links.append((url, index))

    def _hashtags(self, text: str) -> None:
        for tag in find_hashtags(text):
            if tag not in self.hashtags and len(self.hashtags) < MAX_HASHTAGS:
                self.hashtags.append(tag)


def _bare(url: str) -> str:
    """A URL without scheme and trailing slash, to compare it with a label."""
    return re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.lower()).rstrip("/")


def _link_entry(url: str, index: int) -> Link:
    try:
        domain = urlsplit(url).hostname
    except ValueError:
        domain = None
    return Link(url=url, index=index, length=utf16_len(url), domain=domain)


def _trim(text: str) -> tuple[str, Callable[[int], int]]:
    """Strip leading blank lines and trailing whitespace (per line); map old offsets."""
    removed: list[tuple[int, int]] = []  # (UTF-16 start, UTF-16 length)
    position = units = 0
    for match in _TRIM.finditer(text):
        units += utf16_len(text[position : match.start()])
        removed.append((units, utf16_len(match.group(0))))
        units += removed[-1][1]
        position = match.end()

    def shift(index: int) -> int:
        return index - sum(length for start, length in removed if start < index)

    return _TRIM.sub("", text), shift
