"""Slack ``rich_text`` blocks parsed into the pieces of ``bridge.translate.mrkdwn``.

Messages written in Slack's editor carry their real structure here (``text`` is only a
fallback). The raw block dicts are validated into one tolerant model, then each container
(section, list, quote, preformatted) becomes pieces. Text in rich_text is already
unescaped: nothing is decoded. Every element has a rendering: an element type Slack adds
later falls back to its ``text`` or ``fallback``, else to a visible ``[type]``, and is
logged once per type so that it can be given a real rendering.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import Field

from bridge.frozen import Frozen
from bridge.translate.emojis import to_emoji, with_skin_tone
from bridge.translate.mrkdwn import (
    ChannelRef,
    LinkRef,
    Piece,
    Text,
    UsergroupRef,
    UserRef,
    iso_date,
)

log = logging.getLogger("bridge.translate.richtext")
_seen_unknown: set[str] = set()
_seen_lock = threading.Lock()
BULLETS = ("•", "◦", "▪")
INDENT = "    "
MAX_INDENT = 8  # Slack's editor nests lists at most this deep


class Style(Frozen):
    """A text element's style; only ``code`` changes the output."""

    code: bool = False


class Element(Frozen):
    """Any rich_text block, container or leaf element (fields by element type)."""

    type: str = ""
    elements: list[Element] = Field(default_factory=list)
    text: str | None = None
    style: Style | str | None = None
    indent: int = 0
    offset: int = 0
    url: str | None = None
    user_id: str | None = None
    usergroup_id: str | None = None
    channel_id: str | None = None
    team_id: str | None = None
    value: str | None = None
    name: str | None = None
    unicode: str | None = None
    skin_tone: int | None = None
    range: str | None = None
    timestamp: float | None = None
    fallback: str | None = None


def has_rich_text(blocks: Iterable[Mapping[str, Any]]) -> bool:
    """True when any block is of type ``rich_text``."""
    return any(block.get("type") == "rich_text" for block in blocks)


def rich_text_pieces(block: Mapping[str, Any]) -> list[Piece]:
    """One ``rich_text`` block as pieces; raises ValueError when it is malformed."""
    return _containers(Element.model_validate(block).elements)


def append_block(pieces: list[Piece], block: list[Piece]) -> None:
    """Append ``block`` on a new line (unless it is empty or a line just ended)."""
    if not block:
        return
    if pieces and not (isinstance(pieces[-1], Text) and pieces[-1].text.endswith("\n")):
        pieces.append(Text("\n"))
    pieces.extend(block)


def _containers(elements: Iterable[Element]) -> list[Piece]:
    pieces: list[Piece] = []
    for element in elements:
        append_block(pieces, _container(element))
    return pieces


def _container(element: Element) -> list[Piece]:
    if element.type == "rich_text_section":
        return _inline(element.elements)
    if element.type == "rich_text_list":
        return _list(element)
    if element.type == "rich_text_quote":
        body = trim_newlines(_inline(element.elements))
        return prefix_lines(body, "> ", "> ") if has_text(body) else []
    if element.type == "rich_text_preformatted":
        return _inline(element.elements, code=True)
    if element.type in _LEAVES:  # a leaf where a container belongs: shown all the same
        return _LEAVES[element.type](element, False)
    return _inline(element.elements) or _unknown(element, False)


def _list(element: Element) -> list[Piece]:
    """One list level: ``1. `` numbering from ``offset``, bullets by ``indent``."""
    indent = min(max(element.indent, 0), MAX_INDENT)
    pieces: list[Piece] = []
    for number, item in enumerate(element.elements, start=element.offset + 1):
        body = trim_newlines(_container(item))
        if not has_text(body):
            continue
        if element.style == "ordered":
            marker = f"{INDENT * indent}{number}. "
        else:
            marker = f"{INDENT * indent}{BULLETS[indent % len(BULLETS)]} "
        if pieces:
            pieces.append(Text("\n"))
        pieces.extend(prefix_lines(body, marker, " " * len(marker)))
    return pieces


def prefix_lines(pieces: list[Piece], first: str, rest: str) -> list[Piece]:
    """Prefix the first line with ``first`` and every following line with ``rest``."""
    out: list[Piece] = [Text(first)]
    for piece in pieces:
        if not isinstance(piece, Text) or "\n" not in piece.text:
            out.append(piece)
            continue
        head, *lines = piece.text.split("\n")
        out.append(Text(head, piece.code))
        for line in lines:
            out.extend((Text("\n" + rest), Text(line, piece.code)))
    return [piece for piece in out if not isinstance(piece, Text) or piece.text]


def has_text(pieces: list[Piece]) -> bool:
    """Whether ``pieces`` show anything (a mention, a link or non-blank text)."""
    return any(not isinstance(piece, Text) or piece.text.strip() for piece in pieces)


def trim_newlines(pieces: list[Piece]) -> list[Piece]:
    """Drop the line breaks that end a list item or a quote."""
    pieces = list(pieces)
    while pieces and isinstance(last := pieces[-1], Text) and last.text.endswith("\n"):
        pieces.pop()
        if trimmed := last.text.rstrip("\n"):
            pieces.append(Text(trimmed, last.code))
    return pieces


def _inline(elements: Iterable[Element], *, code: bool = False) -> list[Piece]:
    pieces: list[Piece] = []
    for element in elements:
        pieces.extend(_LEAVES.get(element.type, _unknown)(element, code))
    return pieces


def _text(element: Element, code: bool) -> list[Piece]:
    styled = isinstance(element.style, Style) and element.style.code
    return [Text(element.text, code or styled)] if element.text else []


def _link(element: Element, _code: bool) -> list[Piece]:
    if element.url:
        return [LinkRef(element.url, element.text or None)]
    return [Text(element.text)] if element.text else []


def _user(element: Element, _code: bool) -> list[Piece]:
    return [UserRef(element.user_id)] if element.user_id else []


def _usergroup(element: Element, _code: bool) -> list[Piece]:
    return [UsergroupRef(element.usergroup_id)] if element.usergroup_id else []


def _channel(element: Element, _code: bool) -> list[Piece]:
    return [ChannelRef(element.channel_id)] if element.channel_id else []


def _broadcast(element: Element, _code: bool) -> list[Piece]:
    return [Text("@" + element.range)] if element.range else []


def _date(element: Element, _code: bool) -> list[Piece]:
    if element.fallback:
        return [Text(element.fallback)]
    return [Text(iso_date(element.timestamp))] if element.timestamp is not None else []


def _emoji(element: Element, _code: bool) -> list[Piece]:
    """``unicode`` code points when present, else Slack's name, else ``:name:`` (custom)."""
    glyph = _from_code_points(element.unicode or "")
    if glyph:
        return [Text(with_skin_tone(glyph, element.skin_tone))]
    if not element.name:
        return []
    return [Text(to_emoji(element.name, element.skin_tone) or f":{element.name}:")]


def _color(element: Element, _code: bool) -> list[Piece]:
    """A colour swatch: its hex value, as Slack writes it next to the swatch."""
    return [Text(element.value)] if element.value else []


def _team(element: Element, _code: bool) -> list[Piece]:
    """A workspace mention: Slack gives no name, and looking one up needs ``team:read``."""
    if not (element.team_id or element.name or element.text):
        return []
    return [Text("@" + (element.name or element.text or "a Slack workspace"))]


def _unknown(element: Element, code: bool) -> list[Piece]:
    """An element type the bridge has no rendering for: its text, else ``[type]``."""
    with _seen_lock:
        first = element.type not in _seen_unknown
        _seen_unknown.add(element.type)
    if first:
        log.info("bridge.unknown_rich_text_element", extra={"element_type": element.type})
    label = element.text or element.fallback or element.name or f"[{element.type or 'element'}]"
    return [Text(label, code)]


def _from_code_points(code_points: str) -> str | None:
    """``1f469-200d-1f4bb`` as a string, or None when empty or invalid."""
    try:
        return "".join(chr(int(point, 16)) for point in code_points.split("-")) or None
    except (ValueError, OverflowError):
        return None


_LEAVES: dict[str, Callable[[Element, bool], list[Piece]]] = {
    "text": _text,
    "link": _link,
    "user": _user,
    "usergroup": _usergroup,
    "channel": _channel,
    "emoji": _emoji,
    "broadcast": _broadcast,
    "date": _date,
    "color": _color,
    "team": _team,
}
