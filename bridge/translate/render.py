"""Pieces -> the post's text, with mention and link positions in UTF-16 code units.

``Names`` are what the caller resolved with Slack; ``Draft`` is the rendered text with
its mentions, links and hashtags, before any length check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from itertools import groupby
from urllib.parse import urlsplit

from bridge.amity.post import MAX_HASHTAGS, MAX_LINKS, Link, utf16_len
from bridge.translate.mrkdwn import (
    ChannelRef,
    LinkRef,
    Piece,
    Text,
    UsergroupRef,
    UserRef,
    find_hashtags,
    find_urls,
)

MAX_MENTIONS = 30  # the Web UIKit's cap: later mentions stay plain text
MAX_URL = 2000
# What a mention shows when Slack gave no name and none could be looked up: never an ID.
UNKNOWN_USER = "unknown user"
UNKNOWN_CHANNEL = "unknown channel"
UNKNOWN_GROUP = "unknown group"
_TRIM = re.compile(r"\A(?:[ \t]*\n)+|[ \t]+(?=\n)|\s+\Z")


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


def _name(sigil: str, *candidates: str | None) -> str:
    """The first non-blank candidate, without a leading ``sigil``."""
    for candidate in candidates:
        name = (candidate or "").strip().removeprefix(sigil).strip()
        if name:
            return name
    return ""


class Renderer:
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
            self._emit("#" + _name("#", piece.name, known, UNKNOWN_CHANNEL))
        elif isinstance(piece, UsergroupRef):
            known = self.names.usergroups.get(piece.usergroup_id)
            self._emit("@" + _name("@", piece.handle, known, UNKNOWN_GROUP))
        elif isinstance(piece, LinkRef):
            self._link_ref(piece)

    def _user(self, ref: UserRef) -> None:
        name = _name("@", self.names.users.get(ref.user_id), ref.label, UNKNOWN_USER)
        amity_id = self.user_map.get(ref.user_id)
        if ref.notify and amity_id and len(self.mentions) < MAX_MENTIONS:
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
