"""rich_text blocks: containers, lists, quotes, leaf elements, tolerance."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.amity.post import Link
from bridge.slack.message import SlackMessage
from bridge.translate.blocks import blocks_to_pieces
from bridge.translate.draft import Mention, Names, to_draft
from bridge.translate.mrkdwn import ChannelRef, LinkRef, Text, UsergroupRef, UserRef
from bridge.translate.richtext import has_rich_text

Block = dict[str, Any]


def text(value: str, **style: bool) -> Block:
    """A ``text`` leaf element, optionally styled."""
    element: Block = {"type": "text", "text": value}
    if style:
        element["style"] = style
    return element


def section(*elements: Block) -> Block:
    """A ``rich_text_section`` container."""
    return {"type": "rich_text_section", "elements": list(elements)}


def items(style: str, indent: int, *labels: str, offset: int | None = None) -> Block:
    """A ``rich_text_list`` whose items are plain sections."""
    block: Block = {
        "type": "rich_text_list",
        "style": style,
        "indent": indent,
        "border": 0,
        "elements": [section(text(label)) for label in labels],
    }
    if offset is not None:
        block["offset"] = offset
    return block


def rich(*elements: Block) -> Block:
    """A ``rich_text`` block."""
    return {"type": "rich_text", "block_id": "aB3", "elements": list(elements)}


def render(*elements: Block, names: Names | None = None) -> str:
    """The post text of a message holding one rich_text block."""
    message = SlackMessage(ts="1700000000.000100", text="fallback", blocks=[rich(*elements)])
    return to_draft(message, names or Names(), {}).text


RELEASE_NOTE = rich(
    section(
        text("Launch", bold=True),
        text(" is "),
        text("not", strike=True),
        text(" delayed, see "),
        text("deploy.sh", code=True),
        text(" and "),
        {"type": "link", "url": "https://example.com/plan", "text": "the plan"},
        text("\n"),
    ),
    items("ordered", 0, "design", "build"),
    items("ordered", 1, "backend"),
    items("ordered", 2, "schema"),
    items("ordered", 0, "ship", offset=2),
    section(text("\n")),
    items("bullet", 0, "docs", "tests"),
    {"type": "rich_text_quote", "elements": [text("ship it")]},
    {"type": "rich_text_preformatted", "border": 0, "elements": [text("make release :rocket:")]},
    section(
        {"type": "user", "user_id": "U0A1"},
        text(" "),
        {"type": "usergroup", "usergroup_id": "S0B2"},
        text(" "),
        {"type": "channel", "channel_id": "C0C3"},
        text(" "),
        {"type": "date", "timestamp": 1700000000, "format": "{date_long}", "fallback": "Nov 14"},
        text(" "),
        {"type": "date", "timestamp": "1700000000", "format": "{ago}"},
    ),
)

RELEASE_TEXT = (
    "Launch is not delayed, see deploy.sh and the plan (https://example.com/plan)\n"
    "1. design\n"
    "2. build\n"
    "    1. backend\n"
    "        1. schema\n"
    "3. ship\n"
    "\n"
    "• docs\n"
    "• tests\n"
    "> ship it\n"
    "make release :rocket:\n"
    "@Dana @oncall #releases Nov 14 2023-11-14"
)


def test_complex_block_text() -> None:
    """A block shaped like Slack's richest payload renders line by line."""
    names = Names(
        users={"U0A1": "Dana"}, channels={"C0C3": "releases"}, usergroups={"S0B2": "oncall"}
    )
    message = SlackMessage(ts="1.0", text="fallback", blocks=[RELEASE_NOTE])
    draft = to_draft(message, names, {"U0A1": "amity-dana"})
    assert draft.text == RELEASE_TEXT
    assert draft.links == (
        Link(url="https://example.com/plan", index=51, length=24, domain="example.com"),
    )
    assert draft.mentions == (Mention("amity-dana", 185, 4),)
    assert draft.hashtags == ()


def test_section_elements_become_pieces() -> None:
    """Leaf elements map to the shared pieces; rich_text text is not unescaped."""
    block = rich(
        section(
            text("a &amp; <b> "),
            {"type": "user", "user_id": "U1"},
            {"type": "channel", "channel_id": "C1"},
            {"type": "usergroup", "usergroup_id": "S1"},
            {"type": "link", "url": "https://x.com"},
            {"type": "broadcast", "range": "channel"},
        )
    )
    assert blocks_to_pieces([block]) == [
        Text("a &amp; <b> "),
        UserRef("U1"),
        ChannelRef("C1"),
        UsergroupRef("S1"),
        LinkRef("https://x.com"),
        Text("@channel"),
    ]


def test_bullets_by_indent() -> None:
    """Bullets cycle • ◦ ▪ with four spaces per indent level."""
    lists = [items("bullet", level, label) for level, label in enumerate("abcd")]
    assert render(*lists) == "• a\n    ◦ b\n        ▪ c\n            • d"


def test_ordered_lists_restart_without_offset() -> None:
    """Numbering continues across list blocks only when ``offset`` says so."""
    assert render(items("ordered", 0, "a", "b"), items("ordered", 0, "c")) == "1. a\n2. b\n1. c"
    assert render(items("ordered", 0, "a"), items("ordered", 0, "b", offset=1)) == "1. a\n2. b"


def test_list_item_continuation_lines_are_indented() -> None:
    """A line break inside an item is indented under the item's text."""
    block = {"type": "rich_text_list", "style": "ordered", "elements": [section(text("one\ntwo"))]}
    assert render(block) == "1. one\n   two"


def test_quote_prefixes_every_line() -> None:
    """Each quoted line starts with ``> ``; a blank quoted line is just ``>``."""
    quote = {"type": "rich_text_quote", "elements": [text("one\n\ntwo *x*\n")]}
    assert render(section(text("said:")), quote) == "said:\n> one\n>\n> two *x*"


def test_code_style_is_not_a_hashtag() -> None:
    """Code-styled text is never scanned for hashtags; plain text is."""
    block = rich(section(text("#notatag", code=True), text(" #tag")))
    message = SlackMessage(ts="1.0", text="", blocks=[block])
    assert to_draft(message, Names(), {}).hashtags == ("tag",)


def test_preformatted_is_verbatim() -> None:
    """Preformatted text keeps indentation and shortcodes."""
    block = {"type": "rich_text_preformatted", "elements": [text("if x:\n    y(':tada:')")]}
    assert render(block) == "if x:\n    y(':tada:')"


def test_styles_render_as_plain_text() -> None:
    """Bold, italic, strike and code styles leave no markers."""
    styled = section(text("b", bold=True), text("i", italic=True), text("s", strike=True))
    assert render(styled, section(text("c", code=True))) == "bis\nc"


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        (
            {"type": "emoji", "name": "woman_technologist", "unicode": "1f469-200d-1f4bb"},
            "\U0001f469\u200d\U0001f4bb",
        ),
        ({"type": "emoji", "name": "+1", "skin_tone": 3}, "\U0001f44d\U0001f3fc"),
        (
            {"type": "emoji", "name": "+1", "unicode": "1f44d", "skin_tone": 3},
            "\U0001f44d\U0001f3fc",
        ),
        (
            {"type": "emoji", "name": "+1", "unicode": "1f44d-1f3fc", "skin_tone": 3},
            "\U0001f44d\U0001f3fc",
        ),
        ({"type": "emoji", "name": "tada"}, "\U0001f389"),
        ({"type": "emoji", "name": "partyparrot"}, ":partyparrot:"),
        ({"type": "broadcast", "range": "everyone"}, "@everyone"),
        ({"type": "date", "timestamp": 1392734382, "fallback": "Feb 18, 2014"}, "Feb 18, 2014"),
        ({"type": "date", "timestamp": "1392734382", "format": "{date}"}, "2014-02-18"),
        ({"type": "link", "url": "https://x.com", "text": "x.com"}, "https://x.com"),
        ({"type": "color", "value": "#3AA3E3"}, "#3AA3E3"),
        ({"type": "team", "team_id": "T0123"}, "@a Slack workspace"),
        ({"type": "team", "team_id": "T0123", "name": "Acme"}, "@Acme"),
        ({"type": "emoji", "name": "egg"}, "\U0001f95a"),
        ({"type": "emoji", "name": "wave", "skin_tone": 2}, "\U0001f44b\U0001f3fb"),
    ],
)
def test_leaf_elements(element: Block, expected: str) -> None:
    """Emoji, broadcasts, dates and links render as documented."""
    assert render(section(element)) == expected


def test_unknown_elements_show_their_text_or_type() -> None:
    """Unknown leaves and containers show their text, else a visible ``[type]``."""
    odd = section(text("a"), {"type": "sparkle", "text": "zzz"}, text("b"))
    marquee = {"type": "rich_text_marquee", "elements": []}
    assert render(odd, marquee, section(text("c"))) == "azzzb\n[rich_text_marquee]\nc"


def test_unknown_element_types_are_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    """The first element of an unknown type is logged (with its type), later ones are not."""
    caplog.set_level("INFO", logger="bridge.translate.richtext")
    odd = section({"type": "hologram_once", "fallback": "[hologram]"})
    assert render(odd) == "[hologram]"
    assert render(odd, odd) == "[hologram]\n[hologram]"
    logged = [r for r in caplog.records if r.getMessage() == "bridge.unknown_rich_text_element"]
    assert [getattr(r, "element_type", None) for r in logged] == ["hologram_once"]


def test_lists_skip_empty_items_and_cap_the_indent() -> None:
    """Empty list items leave no lone bullet; absurd indents stop at Slack's deepest."""
    deep = items("bullet", 40, "deep")
    empty = {"type": "rich_text_list", "style": "bullet", "elements": [section(text(" "))]}
    assert render(deep, empty, items("ordered", 0, "one")) == " " * 32 + "▪ deep\n1. one"


def test_blocks_are_joined_by_newline() -> None:
    """Several rich_text blocks render in order; other block types are ignored."""
    blocks = [
        rich(section(text("first"))),
        {"type": "divider"},
        rich(section(text("second"))),
    ]
    message = SlackMessage(ts="1.0", text="fallback", blocks=blocks)
    assert to_draft(message, Names(), {}).text == "first\nsecond"


def test_has_rich_text() -> None:
    """Only a block of type ``rich_text`` counts."""
    assert has_rich_text([{"type": "section"}, {"type": "rich_text", "elements": []}])
    assert not has_rich_text([{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}])
