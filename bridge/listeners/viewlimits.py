"""Slack's documented view limits, and the helpers that keep a view inside them.

A view Slack refuses (``invalid_blocks``) shows nothing at all, so every text the bridge
puts in one is cut to its limit with "…", and a view never has more than 100 blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MAX_BLOCKS = 100  # blocks in a view
SECTION_TEXT = 3000  # characters of a section's text
LINE = 500  # characters of one line in a list of activity (a failure's reason, ...)
MODAL_TITLE = 24


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with "…", never inside a ``<...>`` token."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    opening = cut.rfind("<")
    if opening > cut.rfind(">"):
        cut = cut[:opening]
    return cut.rstrip() + "…"


def section(text: str) -> dict[str, Any]:
    """A section block with mrkdwn ``text`` (cut to Slack's 3,000 characters)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_TEXT)}}


def list_section(title: str, lines: Sequence[str], empty: str, hidden: int = 0) -> dict[str, Any]:
    """``title`` then as many ``lines`` (each cut to :data:`LINE`) as fit in one section,
    with how many more there are; ``hidden`` lines the viewer may not see are counted."""
    text = title
    shown = 0
    for raw in lines:
        line = clip(raw, LINE)
        if len(text) + 1 + len(line) > SECTION_TEXT - 100:  # room for the notes below
            break
        text += "\n" + line
        shown += 1
    if not lines:
        text += "\n" + empty
    if shown < len(lines):
        text += f"\n…and {len(lines) - shown} more"
    if hidden:
        text += f"\n_{hidden} more in private channels you are not a member of_"
    return section(text)


def capped(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most :data:`MAX_BLOCKS` blocks, the last saying that some were left out."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    return [*blocks[: MAX_BLOCKS - 1], section("_More is not shown here._")]
