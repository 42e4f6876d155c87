"""Slack mrkdwn (a message's ``text``, a slash command's text) parsed into pieces.

A piece is the unit shared with ``bridge.translate.richtext``: both inputs become one sequence of
pieces, which ``bridge.translate.draft`` renders into the post text. Parsing is pure: names are
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

from bridge.translate.emojis import to_emoji


@dataclass(frozen=True)
class Text:
    """Literal text. ``code`` text is never scanned for hashtags or bare URLs."""

    text: str
    code: bool = False


@dataclass(frozen=True)
class UserRef:
    """A user mention; ``label`` is the name written in the token, if any. ``notify`` is
    False where the name only says who wrote something (a forward's author, ``/me``)."""

    user_id: str
    label: str | None = None
    notify: bool = True


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
_SHORTCODE = re.compile(r":([\w+'-]+):(?::skin-tone-([2-6]):)?")
_SPAN = re.compile(
    r"[ \t]*```(.*?)```[ \t]*|`([^`\n]+)`|<([^<>\n]*)>|((?i:https?)://(?:(?!&[lg]t;)[^\s<>\"])+)",
    re.DOTALL,
)
_TOKEN = re.compile(r"<([^<>\n]*)>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_QUOTE = re.compile(r"(?:&gt;|>)(?P<more>(?:&gt;|>){2})?[ \t]?")
_SLOT = "\x00"
_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_URL_END = ".,;:!?'\""
_MARKERS = "*_~"
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_HASHTAG = re.compile(r"(?<![\w#&])#(\w+)")
MAX_HASHTAG = 100


def emojize_shortcodes(text: str) -> str:
    """Replace Slack's ``:name:`` / ``:name::skin-tone-N:`` shortcodes; keep custom ones.

    The closing colon of an unknown name may open the next one (``10:30:tada:``); a skin
    tone after a custom emoji is dropped (custom emoji have none).
    """
    parts: list[str] = []
    position = 0
    while (match := _SHORTCODE.search(text, position)) is not None:
        tone = int(match.group(2)) if match.group(2) else None
        glyph = to_emoji(match.group(1), tone)
        if glyph is not None:
            parts.append(text[position : match.start()] + glyph)
            position = match.end()
        elif tone is not None:
            parts.append(text[position : match.end(1)] + ":")
            position = match.end()
        else:
            parts.append(text[position : match.end(1)])
            position = match.end(1)
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
    return [(m.start(), m.start() + len(_trim_url(m.group(0)))) for m in _URL.finditer(text)]


def _trim_url(url: str, opened: str = "") -> str:
    """``url`` without the punctuation that ends a sentence, an unbalanced ``)``, or a
    closing emphasis marker among ``opened``."""
    while True:
        trimmed = url.rstrip(_URL_END + opened)
        if trimmed.endswith(")") and trimmed.count(")") > trimmed.count("("):
            trimmed = trimmed[:-1]
        if trimmed == url:
            return url
        url = trimmed


def find_hashtags(text: str) -> list[str]:
    """``#word`` tags (letters, digits, ``_``; at least one letter; at most 100 long)."""
    tags = (match.group(1) for match in _HASHTAG.finditer(text))
    return [tag for tag in tags if len(tag) <= MAX_HASHTAG and any(c.isalpha() for c in tag)]


def parse_mrkdwn(text: str) -> list[Piece]:
    """Parse mrkdwn into pieces (formatting markers dropped, emoji converted)."""
    slots: list[list[Piece]] = []

    def stash(match: re.Match[str]) -> str:
        block, inline, token, url = match.groups()
        if url is not None:  # an atom: no emphasis, emoji or quote inside a URL
            kept = _trim_url(url, _open_markers(match.string, match.start()))
            slots.append([Text(decode_entities(kept))])
            return _SLOT + url[len(kept) :]
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


def _open_markers(source: str, end: int) -> str:
    """Emphasis markers opened (at the start or after a space) and not closed again on
    the line up to ``end``: ``_a_ https://x/_`` keeps the URL's ``_``."""
    line = source[source.rfind("\n", 0, end) + 1 : end + 1]
    for closed in _EMPHASIS:
        line = closed.sub("", line)
    return "".join(m for m in _MARKERS if re.search(rf"(?:^|\s){re.escape(m)}\S", line))


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
    if _USER_ID.fullmatch(head) and label.startswith("@"):  # <U1234|@cal> (system messages)
        return [UserRef(head, label)]
    if head.startswith("!"):
        return _special(head[1:], label)
    if not head:
        return [Text(label)] if label else []
    return [LinkRef(decode_entities(head), emojize_shortcodes(label) or None)]


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
