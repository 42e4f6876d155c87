"""Edits, deletions and interactions in the stand-in Slack, and the signed requests Slack
sends about them: ``message_changed``, ``message_deleted`` (and a thread parent's
tombstone), ``reaction_removed``, ``block_actions`` and ``view_submission``.

The ``*_body`` builders return the bytes to POST with :meth:`SlackSender.post`
(``JSON`` for events, ``FORM`` for interactive payloads), as Slack sends them.
"""

from __future__ import annotations

import copy
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from bridge_standins.slack_model import MethodRefused
from bridge_standins.slack_workspace import Workspace

TOMBSTONE_TEXT = "This message was deleted."


def edit(
    workspace: Workspace, channel: str, ts: str, changes: dict[str, Any], editor: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Change a stored message; returns (previous, new) copies. ``editor`` None: an
    unfurl or thread change by Slack itself (no ``edited`` stamp)."""
    message = workspace.find(channel, ts)
    if message is None:
        raise MethodRefused("message_not_found")
    previous = copy.deepcopy(message)
    message.update(copy.deepcopy(changes))
    if editor is not None:
        message["edited"] = {"user": editor, "ts": workspace.next_ts()}
    return previous, copy.deepcopy(message)


def delete(
    workspace: Workspace, channel: str, ts: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Delete a stored message. A thread parent with replies becomes a tombstone, as in
    Slack; returns (previous, tombstone or None)."""
    message = workspace.find(channel, ts)
    if message is None:
        raise MethodRefused("message_not_found")
    previous = copy.deepcopy(message)
    if message.get("reply_count"):
        for key in ("user", "blocks", "files", "attachments", "edited"):
            message.pop(key, None)
        message.update({"subtype": "tombstone", "text": TOMBSTONE_TEXT, "hidden": True})
        return previous, copy.deepcopy(message)
    workspace.messages[channel].remove(message)
    return previous, None


def _envelope(team_id: str, event: dict[str, Any]) -> bytes:
    now = time.time()
    return json.dumps(
        {
            "token": "deprecated-verification-token",
            "team_id": team_id,
            "api_app_id": "A0BRIDGE",
            "event": {"event_ts": f"{now:.6f}", **event},
            "type": "event_callback",
            "event_id": "Ev" + secrets.token_hex(5).upper(),
            "event_time": int(now),
            "authorizations": [{"team_id": team_id, "user_id": "UBRIDGEBOT", "is_bot": True}],
        }
    ).encode()


def message_changed_body(
    team_id: str, channel: str, previous: dict[str, Any], new: dict[str, Any]
) -> bytes:
    """``message`` / ``message_changed`` for a change of ``previous`` into ``new``."""
    event = {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": channel,
        "ts": f"{time.time():.6f}",
        "message": new,
        "previous_message": previous,
    }
    return _envelope(team_id, event)


def message_deleted_body(team_id: str, channel: str, previous: dict[str, Any]) -> bytes:
    """``message`` / ``message_deleted``."""
    event = {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": channel,
        "ts": f"{time.time():.6f}",
        "deleted_ts": previous["ts"],
        "previous_message": previous,
    }
    return _envelope(team_id, event)


def reaction_removed_body(team_id: str, user: str, reaction: str, channel: str, ts: str) -> bytes:
    """``reaction_removed``."""
    event = {
        "type": "reaction_removed",
        "user": user,
        "reaction": reaction,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "item_user": "U0AUTHOR",
    }
    return _envelope(team_id, event)


def block_action_form(
    team_id: str, user: str, channel: str, action: dict[str, Any], response_url: str
) -> bytes:
    """A ``block_actions`` payload: ``user`` pressed the button ``action`` (after its
    confirmation) in a message of ``channel``."""
    payload = {
        "type": "block_actions",
        "team": {"id": team_id, "domain": "fakeworkspace"},
        "user": {"id": user, "username": "someone", "team_id": team_id},
        "api_app_id": "A0BRIDGE",
        "token": "deprecated-verification-token",
        "container": {"type": "message", "channel_id": channel, "is_ephemeral": False},
        "trigger_id": f"{secrets.randbelow(10**10)}.{secrets.token_hex(16)}",
        "channel": {"id": channel, "name": "channel"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action["action_id"],
                "block_id": "b1",
                "text": action.get("text"),
                "value": action.get("value", ""),
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def view_submission_form(
    team_id: str, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]]
) -> bytes:
    """A ``view_submission`` payload for ``view`` (as ``views.open`` answered it) with
    the inputs' ``values`` (``{block_id: {action_id: value object}}``)."""
    submitted = {**view, "state": {"values": values}}
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "fakeworkspace"},
        "user": {"id": user, "username": "someone", "team_id": team_id},
        "api_app_id": "A0BRIDGE",
        "token": "deprecated-verification-token",
        "trigger_id": f"{secrets.randbelow(10**10)}.{secrets.token_hex(16)}",
        "view": submitted,
        "response_urls": [],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()
