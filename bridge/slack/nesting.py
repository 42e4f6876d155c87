"""How deep Slack's JSON may nest before the bridge stops reading it.

Slack's own payloads nest a dozen levels at most (a list in a quote in a rich_text
block is about ten). Anything much deeper is crafted: a request body deeper than
:data:`MAX_BODY_DEPTH` is refused with HTTP 400 (:func:`nests_deeper`, without
recursion), and a message's block nesting deeper than :data:`MAX_BLOCK_DEPTH` levels is
left out (:func:`shallow_blocks`: the message is read from its ``text``), so translating
and saving a job's progress never reach Python's or pydantic's recursion limits.
"""

from __future__ import annotations

from typing import Any

MAX_BODY_DEPTH = 100  # JSON levels of a request body (objects and arrays)
MAX_BLOCK_DEPTH = 40  # JSON levels of one block of a message; a deeper block is left out


def nests_deeper(value: Any, limit: int) -> bool:
    """Whether ``value`` (parsed JSON) has objects or arrays more than ``limit`` deep."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def shallow_blocks(value: Any) -> Any:
    """A message's ``blocks`` without those nesting deeper than :data:`MAX_BLOCK_DEPTH`
    (the message is then read from its ``text``, Slack's fallback)."""
    if not isinstance(value, list):
        return value
    return [block for block in value if not nests_deeper(block, MAX_BLOCK_DEPTH)]
