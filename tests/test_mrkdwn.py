"""mrkdwn parsing: tokens into pieces, formatting, escapes, emoji, plain-text scanning."""

from __future__ import annotations

import pytest

from bridge.translate.draft import Names, text_to_draft
from bridge.translate.mrkdwn import (
    ChannelRef,
    LinkRef,
    Piece,
    Text,
    UsergroupRef,
    UserRef,
    emojize_shortcodes,
    find_hashtags,
    find_urls,
    iso_date,
    parse_mrkdwn,
)

TADA = "\U0001f389"
THUMBS_UP = "\U0001f44d"
TONE_3 = "\U0001f3fc"
TONE_6 = "\U0001f3ff"


def rendered(text: str) -> str:
    """The post text for ``text`` with no names resolved."""
    return text_to_draft(text, Names(), {}).text


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("<@U024BE7LH>", [UserRef("U024BE7LH")]),
        ("<@U024BE7LH|bob>", [UserRef("U024BE7LH", "bob")]),
        ("<#C024BE7LR>", [ChannelRef("C024BE7LR")]),
        ("<#C024BE7LR|general>", [ChannelRef("C024BE7LR", "general")]),
        ("<!subteam^SAZ94GDB8>", [UsergroupRef("SAZ94GDB8")]),
        ("<!subteam^SAZ94GDB8|@team>", [UsergroupRef("SAZ94GDB8", "@team")]),
        ("<!here>", [Text("@here")]),
        ("<!channel>", [Text("@channel")]),
        ("<!everyone>", [Text("@everyone")]),
        ("<!here|here>", [Text("@here")]),
        ("<!date^1392734382^{date_short}|Feb 18, 2014>", [Text("Feb 18, 2014")]),
        ("<!date^1392734382^{date_short}>", [Text("2014-02-18")]),
        ("<https://x.com>", [LinkRef("https://x.com")]),
        ("<https://x.com|label>", [LinkRef("https://x.com", "label")]),
        ("<mailto:a@b.c|a@b.c>", [LinkRef("mailto:a@b.c", "a@b.c")]),
        ("<https://x.com/?a=1&amp;b=2|Q &amp; A>", [LinkRef("https://x.com/?a=1&b=2", "Q & A")]),
    ],
)
def test_token_becomes_piece(text: str, pieces: list[Piece]) -> None:
    """Each Slack ``<...>`` token becomes exactly one piece."""
    assert parse_mrkdwn(text) == pieces


def test_text_around_tokens_is_kept() -> None:
    """Plain text between tokens stays in order."""
    assert parse_mrkdwn("hi <@U1>, see <#C1|dev>!") == [
        Text("hi "),
        UserRef("U1"),
        Text(", see "),
        ChannelRef("C1", "dev"),
        Text("!"),
    ]


def test_escaped_token_is_literal_text() -> None:
    """Entities are decoded after token parsing: ``&lt;@U1&gt;`` is never a mention."""
    assert parse_mrkdwn("&lt;@U1&gt; &amp;lt; 1 &gt; 0 &amp; more") == [
        Text("<@U1> &lt; 1 > 0 & more")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*bold* _italic_ ~strike~", "bold italic strike"),
        ("*bold with _nested italic_*", "bold with nested italic"),
        ("_*italic bold*_", "italic bold"),
        ("snake_case_name", "snake_case_name"),
        ("2*3*4", "2*3*4"),
        ("__init__.py", "__init__.py"),
        ("a * b * c", "a * b * c"),
        ("*not closed", "*not closed"),
        ("*multi\nline*", "*multi\nline*"),
        ("*hi <@U1|al>*", "hi @al"),
    ],
)
def test_emphasis_markers(text: str, expected: str) -> None:
    """Markers are removed only when they wrap words at word boundaries."""
    assert rendered(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("run `make *all* :tada:` now", "run make *all* :tada: now"),
        ("`a &lt;b&gt;`", "a <b>"),
        ("```\nline *1*\n:tada:\n```", "line *1*\n:tada:"),
        ("run ```ls -la``` now", "run\nls -la\nnow"),
        ("before\n```x = _y_```\nafter", "before\nx = _y_\nafter"),
        ("```&gt; not a quote```", "> not a quote"),
    ],
)
def test_code_is_not_converted(text: str, expected: str) -> None:
    """Code loses its backticks; blocks get their own lines; nothing inside is formatted."""
    assert rendered(text) == expected


def test_code_text_is_marked_as_code() -> None:
    """Code pieces carry ``code=True`` so they are never scanned for hashtags."""
    assert parse_mrkdwn("`#tag`") == [Text("#tag", code=True)]


def test_tokens_inside_code_stay_live() -> None:
    """Slack encodes mentions and links typed in code as tokens: they stay tokens."""
    assert parse_mrkdwn("`ping <@U1> at <https://x.com>`") == [
        Text("ping ", code=True),
        UserRef("U1"),
        Text(" at ", code=True),
        LinkRef("https://x.com"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("&gt; quoted *text*\nnot quoted", "> quoted text\nnot quoted"),
        ("&gt;no space", "> no space"),
        ("> raw marker", "> raw marker"),
        ("a\n&gt; b\n&gt;\n&gt; c", "a\n> b\n>\n> c"),
        ("&gt;&gt;&gt; all\nof this", "> all\n> of this"),
        ("5 &gt; 3", "5 > 3"),
    ],
)
def test_quote_lines(text: str, expected: str) -> None:
    """Lines starting with ``>`` (escaped or not) stay quote lines written ``> ``."""
    assert rendered(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (":tada:", TADA),
        (":+1::skin-tone-3:", THUMBS_UP + TONE_3),
        (":v::skin-tone-6:", "\u270c" + TONE_6),
        (":partyparrot:", ":partyparrot:"),
        (":partyparrot::skin-tone-3:", ":partyparrot:"),
        ("at 10:30:45", "at 10:30:45"),
        ("at 10:30:tada:", f"at 10:30{TADA}"),
        ("done :white_check_mark: ok", "done \u2705 ok"),
    ],
)
def test_emoji_shortcodes(text: str, expected: str) -> None:
    """Known shortcodes become Unicode with skin tones; custom ones stay ``:name:`` (a tone
    after a custom emoji is dropped: custom emoji have none)."""
    assert emojize_shortcodes(text) == expected


def test_emoji_converted_in_message_text() -> None:
    """Shortcodes in mrkdwn text are converted, next to tokens too."""
    assert rendered(":tada: <!here> :+1::skin-tone-3:") == f"{TADA} @here {THUMBS_UP}{TONE_3}"


def test_date_without_fallback_is_iso_date() -> None:
    """A timestamp renders as its UTC date."""
    assert iso_date(1700000000) == "2023-11-14"


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("see https://x.com/a_(b). ok", [(4, 23)]),
        ("(https://x.com)", [(1, 14)]),
        ("a http://x.io, b https://y.io/?q=1!", [(2, 13), (17, 34)]),
        ("no url here: x.com", []),
    ],
)
def test_find_urls(text: str, spans: list[tuple[int, int]]) -> None:
    """Bare URLs are found without the punctuation that ends the sentence."""
    assert find_urls(text) == spans


def test_find_hashtags() -> None:
    """Tags need a letter, at most 100 characters, and a boundary before the ``#``."""
    text = f"#release #123 C#x ##no #v2_final #日本語 #{'a' * 100} #{'b' * 101}!"
    assert find_hashtags(text) == ["release", "v2_final", "日本語", "a" * 100]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "get https://example.com/_next/static_/app.js now",
            "get https://example.com/_next/static_/app.js now",
        ),
        ("_see https://x.com/a_b_", "see https://x.com/a_b"),
        ("_0_ https://www.example.com/_", "0 https://www.example.com/_"),
        ("*https://x.com/*", "https://x.com/"),
        ("https://x.com/:tada:/ :tada:", "https://x.com/:tada:/ \U0001f389"),
        ("(https://x.com/a_(b)_c).", "(https://x.com/a_(b)_c)."),
        ("https://x.com/?a=1&amp;b=2&gt;", "https://x.com/?a=1&b=2>"),
    ],
)
def test_bare_urls_are_atoms(text: str, expected: str) -> None:
    """Nothing inside a bare URL is emphasis or emoji; a closing marker is not part of it."""
    assert rendered(text) == expected


def test_bare_url_with_underscores_is_one_link() -> None:
    """The link entry has the whole URL, underscores included."""
    draft = text_to_draft("build: https://cdn.example.com/_next/static_/app_1.js", Names(), {})
    assert [link.url for link in draft.links] == ["https://cdn.example.com/_next/static_/app_1.js"]


def test_user_id_with_at_label_is_a_name() -> None:
    """Slack's ``<U1234|@cal>`` (system messages) is ``@cal``, not a link."""
    assert parse_mrkdwn("<U1234|@cal> joined") == [UserRef("U1234", "@cal"), Text(" joined")]
    assert rendered("<U1234|@cal> joined") == "@cal joined"


def test_link_labels_get_emoji() -> None:
    """A link's label is text like any other: its emoji names are converted."""
    assert rendered("<https://x.com|:tada: party>") == "\U0001f389 party (https://x.com)"
