"""Slack mrkdwn (a message's ``text``, a slash command's text) parsed into pieces.

A piece is the unit shared with ``bridge.richtext``: both inputs become one sequence of
pieces, which ``bridge.translate`` renders into the post text. Parsing is pure: names are
resolved only when rendering.

Order matters and follows Slack: code spans and ``<...>`` tokens are cut out first (so
nothing inside code is formatted), then quote markers, emoji shortcodes and emphasis
markers are handled in the remaining text, and ``&amp; &lt; &gt;`` are decoded last (so
``&lt;@U1&gt;`` stays the literal text ``<@U1>``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import emoji


@dataclass(frozen=True)
class Text:
    """Literal text. ``code`` text is never scanned for hashtags or bare URLs."""

    text: str
    code: bool = False


@dataclass(frozen=True)
class UserRef:
    """A user mention; ``label`` is the name written in the token, if any."""

    user_id: str
    label: str | None = None


@dataclass(frozen=True)
class ChannelRef:
    """A channel mention; ``name`` is the name written in the token, if any."""

    channel_id: str
    name: str | None = None


@dataclass(frozen=True)
class UsergroupRef:
    """A user-group mention; ``handle`` is the handle written in the token, if any."""

    usergroup_id: str
    handle: str | None = None


@dataclass(frozen=True)
class LinkRef:
    """A link with its optional label (already unescaped)."""

    url: str
    label: str | None = None


Piece = Text | UserRef | ChannelRef | UsergroupRef | LinkRef

BROADCASTS = frozenset({"here", "channel", "everyone"})
_SKIN_TONE_BASE = 0x1F3F9  # skin-tone-2 -> U+1F3FB ... skin-tone-6 -> U+1F3FF
_VS16 = "\ufe0f"
_SHORTCODE = re.compile(r":([\w+'-]+):(?::skin-tone-([2-6]):)?")
_SPAN = re.compile(r"[ \t]*```(.*?)```[ \t]*|`([^`\n]+)`|<([^<>\n]*)>", re.DOTALL)
_TOKEN = re.compile(r"<([^<>\n]*)>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_QUOTE = re.compile(r"(?:&gt;|>)(?P<more>(?:&gt;|>){2})?[ \t]?")
_SLOT = "\x00"
_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_URL_END = ".,;:!?'\""
_HASHTAG = re.compile(r"(?<![\w#&])#(\w+)")
MAX_HASHTAG = 100


def with_skin_tone(glyph: str, tone: int | None) -> str:
    """Append the Fitzpatrick modifier for Slack's ``skin-tone-2`` .. ``skin-tone-6``."""
    if tone is None or not 2 <= tone <= 6:
        return glyph
    if any(0x1F3FB <= ord(char) <= 0x1F3FF for char in glyph):
        return glyph
    return glyph.removesuffix(_VS16) + chr(_SKIN_TONE_BASE + tone)


def shortcode_emoji(name: str, tone: int | None = None) -> str | None:
    """The Unicode emoji for a Slack shortcode name (``tada``, ``+1``), or None if unknown."""
    code = f":{name}:"
    glyph: str = emoji.emojize(code, language="alias")
    if glyph == code:
        return None
    return with_skin_tone(glyph, tone)


def emojize_shortcodes(text: str) -> str:
    """Replace known ``:name:`` / ``:name::skin-tone-N:`` shortcodes; keep unknown ones.

    The closing colon of an unknown name may open the next one (``10:30:tada:``).
    """
    parts: list[str] = []
    position = 0
    while (match := _SHORTCODE.search(text, position)) is not None:
        tone = int(match.group(2)) if match.group(2) else None
        glyph = shortcode_emoji(match.group(1), tone)
        end = match.end() if glyph else match.end(1)
        parts.append(text[position : match.start()] + glyph if glyph else text[position:end])
        position = end
    return "".join(parts) + text[position:]


def iso_date(timestamp: float) -> str:
    """A Unix timestamp as an ISO 8601 date in UTC (``2014-02-18``)."""
    try:
        return datetime.fromtimestamp(timestamp, tz=UTC).date().isoformat()
    except (ValueError, OverflowError, OSError):
        return f"{timestamp:g}"


def decode_entities(text: str) -> str:
    """Decode Slack's three escapes, in one pass (``&amp;lt;`` becomes ``&lt;``)."""
    return _ENTITY.sub(lambda match: _ENTITIES[match.group(1)], text)


def find_urls(text: str) -> list[tuple[int, int]]:
    """Spans of the bare http(s) URLs in plain text, without sentence punctuation."""
    spans: list[tuple[int, int]] = []
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_URL_END)
        while url.endswith(")") and url.count(")") > url.count("("):
            url = url[:-1].rstrip(_URL_END)
        spans.append((match.start(), match.start() + len(url)))
    return spans


def find_hashtags(text: str) -> list[str]:
    """``#word`` tags (letters, digits, ``_``; at least one letter; at most 100 long)."""
    tags = (match.group(1) for match in _HASHTAG.finditer(text))
    return [tag for tag in tags if len(tag) <= MAX_HASHTAG and any(c.isalpha() for c in tag)]


def parse_mrkdwn(text: str) -> list[Piece]:
    """Parse mrkdwn into pieces (formatting markers dropped, emoji converted)."""
    slots: list[list[Piece]] = []

    def stash(match: re.Match[str]) -> str:
        block, inline, token = match.groups()
        if token is not None:
            slots.append(_token(token))
            return _SLOT
        if inline is not None:
            slots.append(_code(inline))
            return _SLOT
        slots.append(_code(_strip_one_newline(block)))
        return _own_line(match)

    masked = _SPAN.sub(stash, text.replace(_SLOT, ""))
    masked = _strip_emphasis(emojize_shortcodes(_quote_lines(masked)))
    pieces: list[Piece] = []
    for index, part in enumerate(decode_entities(masked).split(_SLOT)):
        if index:
            pieces.extend(slots[index - 1])
        if part:
            pieces.append(Text(part))
    return pieces


def _own_line(match: re.Match[str]) -> str:
    """The slot for a code block, with line breaks around it where there are none."""
    source, start, end = match.string, match.start(), match.end()
    before = "" if start == 0 or source[start - 1] == "\n" else "\n"
    after = "" if end == len(source) or source[end] == "\n" else "\n"
    return before + _SLOT + after


def _strip_one_newline(block: str) -> str:
    return block.removeprefix("\n").removesuffix("\n")


def _code(raw: str) -> list[Piece]:
    """Code: Slack's own ``<...>`` tokens stay live, the rest is literal text."""
    pieces: list[Piece] = []
    position = 0
    for match in _TOKEN.finditer(raw):
        pieces.append(Text(decode_entities(raw[position : match.start()]), code=True))
        pieces.extend(_token(match.group(1)))
        position = match.end()
    pieces.append(Text(decode_entities(raw[position:]), code=True))
    return [piece for piece in pieces if not isinstance(piece, Text) or piece.text]


def _token(body: str) -> list[Piece]:
    """One ``<...>`` token (without the angle brackets)."""
    head, _, label = body.partition("|")
    label = decode_entities(label)
    if head.startswith("@") and len(head) > 1:
        return [UserRef(head[1:], label or None)]
    if head.startswith("#") and len(head) > 1:
        return [ChannelRef(head[1:], label or None)]
    if head.startswith("!"):
        return _special(head[1:], label)
    if not head:
        return [Text(label)] if label else []
    return [LinkRef(decode_entities(head), label or None)]


def _special(command: str, label: str) -> list[Piece]:
    """``<!...>`` tokens: user groups, broadcasts (as plain text), dates."""
    if command.startswith("subteam^") and len(command) > len("subteam^"):
        return [UsergroupRef(command.removeprefix("subteam^"), label or None)]
    if command in BROADCASTS:
        return [Text("@" + command)]
    if command.startswith("date^") and not label:
        stamp = command.split("^")[1]
        return [Text(iso_date(int(stamp)))] if stamp.isdigit() else []
    return [Text(label)] if label else []


def _quote_lines(masked: str) -> str:
    """Normalise quote markers to ``> ``; ``>>>`` quotes every following line."""
    lines: list[str] = []
    quote_rest = False
    for line in masked.split("\n"):
        marker = _QUOTE.match(line)
        quoted = quote_rest or marker is not None
        body = line[marker.end() :] if marker is not None else line
        quote_rest = quote_rest or (marker is not None and marker.group("more") is not None)
        lines.append(("> " + body if body else ">") if quoted else body)
    return "\n".join(lines)


def _emphasis(marker: str) -> re.Pattern[str]:
    """``*x*``-style markers, only at word boundaries (``snake_case``, ``2*3*4`` survive)."""
    m = re.escape(marker)
    edge = rf"[^\s{m}]"
    return re.compile(rf"(?<![^\W_]|{m}){m}({edge}(?:[^\n]*?{edge})?){m}(?![^\W_]|{m})")


_EMPHASIS = tuple(_emphasis(marker) for marker in "*_~")


def _strip_emphasis(text: str) -> str:
    for pattern in _EMPHASIS:
        text = pattern.sub(r"\1", text)
    return text
