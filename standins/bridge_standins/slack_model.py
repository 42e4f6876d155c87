"""The vocabulary of the fake Slack: errors, channels, paging, users, and the records of
what was received. Used by ``slack_workspace``, ``slack_methods`` and ``slack``.
"""

from __future__ import annotations

import base64
import binascii
import copy
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

BOT_USER_ID = "UBRIDGEBOT"
BOT_ID = "BBRIDGE"
APP_ID = "A0BRIDGE"


class MethodRefused(Exception):
    """A Web API refusal: ``{"ok": false, "error": error}`` (plus ``extra`` fields)."""

    def __init__(self, error: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.extra = dict(extra or {})


@dataclass
class Channel:
    """A channel and whether the bot is in it."""

    id: str
    name: str
    is_member: bool = True
    is_private: bool = False
    is_im: bool = False  # a direct message
    is_mpim: bool = False  # a group direct message
    is_ext_shared: bool = False  # shared with another organisation (Slack Connect)

    def info(self) -> dict[str, Any]:
        """The ``channel`` object of ``conversations.info``."""
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not (self.is_private or self.is_im or self.is_mpim),
            "is_group": False,
            "is_im": self.is_im,
            "is_mpim": self.is_mpim,
            "is_shared": self.is_ext_shared,
            "is_ext_shared": self.is_ext_shared,
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "is_private": self.is_private or self.is_im or self.is_mpim,
            "is_archived": False,
            "is_general": False,
            "is_member": self.is_member,
            "created": 1700000000,
        }


def ts_key(ts: Any) -> Decimal:
    """A Slack timestamp as a Decimal, for exact comparison; ``invalid_ts`` otherwise."""
    try:
        return Decimal(str(ts))
    except InvalidOperation:
        raise MethodRefused("invalid_ts") from None


@dataclass(frozen=True)
class Window:
    """The paging arguments of ``conversations.history`` / ``conversations.replies``."""

    latest: str | None = None
    oldest: str | None = None
    inclusive: bool = False
    limit: int = 100
    cursor: str | None = None

    def contains(self, ts: Any) -> bool:
        """Whether ``ts`` lies between ``oldest`` and ``latest`` (ends only if inclusive)."""
        key = ts_key(ts)
        low = ts_key(self.oldest) if self.oldest else Decimal(0)
        high = ts_key(self.latest) if self.latest else None
        if self.inclusive:
            return low <= key and (high is None or key <= high)
        return low < key and (high is None or key < high)


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(cursor).decode().removeprefix("offset:"))
    except (ValueError, binascii.Error):
        raise MethodRefused("invalid_cursor") from None


def page(messages: list[dict[str, Any]], window: Window) -> dict[str, Any]:
    start, limit = _offset(window.cursor), max(window.limit, 1)
    page = messages[start : start + limit]
    more = start + limit < len(messages)
    next_cursor = base64.b64encode(f"offset:{start + limit}".encode()).decode() if more else ""
    return {
        "ok": True,
        "messages": copy.deepcopy(page),
        "has_more": more,
        "response_metadata": {"next_cursor": next_cursor},
    }


def _tz_offset(tz: str) -> int:
    try:
        offset = datetime.now(ZoneInfo(tz)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    return int(offset.total_seconds()) if offset is not None else 0


def user_object(
    team_id: str,
    user_id: str,
    display_name: str,
    *,
    real_name: str | None = None,
    name: str | None = None,
    tz: str = "Europe/Paris",
    is_bot: bool = False,
) -> dict[str, Any]:
    """The ``user`` object of ``users.info`` (``name`` defaults to ``display.name``)."""
    real = real_name or display_name
    return {
        "id": user_id,
        "team_id": team_id,
        "name": name or (display_name or real or user_id).lower().replace(" ", "."),
        "real_name": real,
        "deleted": False,
        "tz": tz,
        "tz_offset": _tz_offset(tz),
        "is_bot": is_bot,
        "profile": {
            "display_name": display_name,
            "display_name_normalized": display_name,
            "real_name": real,
            "real_name_normalized": real,
        },
    }


@dataclass(frozen=True)
class PostedMessage:
    """A successful ``chat.postMessage`` (``params`` holds every argument sent)."""

    channel: str
    text: str
    thread_ts: str | None
    blocks: Any
    ts: str
    params: dict[str, Any]


@dataclass(frozen=True)
class EphemeralMessage:
    """A successful ``chat.postEphemeral`` (``ts`` is the ``message_ts`` answered)."""

    channel: str
    user: str
    text: str
    thread_ts: str | None
    blocks: Any
    ts: str
    params: dict[str, Any]


@dataclass(frozen=True)
class PublishedView:
    """A successful ``views.publish`` (``user_id`` set) or ``views.open`` (``trigger_id``)."""

    view: Any
    user_id: str | None = None
    trigger_id: str | None = None


@dataclass(frozen=True)
class BotReaction:
    """A successful ``reactions.add`` by the bot."""

    channel: str
    timestamp: str
    name: str


@dataclass(frozen=True)
class SlackCall:
    """One Web API call: method name, params (query + form or JSON body), headers."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass(frozen=True)
class ResponsePost:
    """A JSON body POSTed to a ``response_url``."""

    key: str
    body: Any


@dataclass(frozen=True)
class Download:
    """One GET of a file URL (``/files-pri/...``): its path and headers (names lower-cased)."""

    path: str
    headers: dict[str, str]
