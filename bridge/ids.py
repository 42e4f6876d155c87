"""Amity IDs: which community, user, post and file IDs the bridge accepts, and how one
goes into a URL path.

Amity documents lengths (a ``postId`` or ``targetId`` of at most 900 characters, a
session's ``userId`` of at most 50) but no alphabet; its own community, post and file
IDs are 24 hexadecimal digits. The bridge accepts an ID made of letters, digits and
``_ . : @ + -``, 1 to 128 characters, without ``..`` (:data:`RULE`): enough for Amity's
IDs, the bridge's own ``slack-…`` post IDs, Slack user IDs and email addresses, and
nothing that could step out of a URL path segment. Routes (file, command, App Home) are
checked with it when they are read or added.

Whatever the ID, :func:`path_segment` quotes it (``quote(id, safe="")``) before it goes
into a path, so even a stored ``../../v4/posts/x`` stays one segment; it refuses only
what quoting cannot make safe (empty, ``.`` or ``..``, over 900 characters).
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote

from pydantic import AfterValidator

ALPHABET = re.compile(r"[A-Za-z0-9_.:@+-]{1,128}")
RULE = "letters, digits and _ . : @ + - only, 1 to 128 characters, no `..`"
MAX_PATH_ID = 900  # Amity's documented limit on a postId or targetId


def is_amity_id(value: str) -> bool:
    """Whether ``value`` follows the bridge's rule for Amity IDs (:data:`RULE`)."""
    return ALPHABET.fullmatch(value) is not None and ".." not in value


def check_amity_id(value: str) -> str:
    """``value`` when it is an acceptable Amity ID; ``ValueError`` saying why not."""
    if not is_amity_id(value):
        shown = value if len(value) <= 60 else value[:60] + "…"
        raise ValueError(f"`{shown}` is not an Amity ID ({RULE})")
    return value


def path_segment(value: str) -> str:
    """``value`` quoted as one URL path segment; ``ValueError`` when no quoting could
    make it one (empty, ``.``, ``..``, or longer than Amity allows)."""
    if value in ("", ".", "..") or len(value) > MAX_PATH_ID:
        raise ValueError("not an Amity ID: empty, a dot segment, or over 900 characters")
    return quote(value, safe="")


AmityId = Annotated[str, AfterValidator(check_amity_id)]
"""A pydantic field type for an Amity ID checked against :data:`RULE`."""
