"""Slack events about messages that were already shared: edits, deletions, reactions
removed, and the "Remove from community" button.

:func:`is_real_change` decides whether a ``message_changed`` is an edit worth carrying
over: Slack also sends one when it adds a link preview (unfurl), when a thread gets a
reply (``reply_count``, ``latest_reply``) or when it renumbers block IDs.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from bridge.frozen import Frozen
from bridge.slack.message import SlackMessage

TOMBSTONE = "tombstone"  # a thread parent deleted while it has replies
TAKE_BACK = "bridge_take_back"  # action_id of the "Remove from community" button


class Edited(Frozen):
    """``message.edited``: who edited and when."""

    ts: str


class ChangedMessage(SlackMessage):
    """The message inside a ``message_changed`` event."""

    edited: Edited | None = None
    hidden: bool = False


class MessageChanged(Frozen):
    """A ``message`` event with subtype ``message_changed``."""

    type: Literal["message"]
    subtype: Literal["message_changed"]
    channel: str
    message: ChangedMessage
    previous_message: ChangedMessage | None = None
    event_ts: str = ""

    def is_deletion(self) -> bool:
        """A thread parent replaced by "This message was deleted." (it had replies)."""
        return self.message.subtype == TOMBSTONE

    def edit_ts(self) -> str:
        """What identifies this edit (Slack's ``edited.ts``, else the event's time)."""
        return self.message.edited.ts if self.message.edited else self.event_ts


class MessageDeleted(Frozen):
    """A ``message`` event with subtype ``message_deleted``."""

    type: Literal["message"]
    subtype: Literal["message_deleted"]
    channel: str
    deleted_ts: str


class ReactionRemoved(Frozen):
    """A ``reaction_removed`` event."""

    type: Literal["reaction_removed"]
    user: str
    reaction: str
    item: dict[str, Any] = Field(default_factory=dict)


class _Action(Frozen):
    action_id: str
    value: str = ""


class _Who(Frozen):
    id: str


class TakeBackAction(Frozen):
    """A ``block_actions`` payload from the "Remove from community" button."""

    type: Literal["block_actions"]
    user: _Who
    actions: list[_Action] = Field(min_length=1)
    response_url: str | None = None
    channel: _Who | None = None

    def post_id(self) -> str:
        """The post the button belongs to (its value)."""
        return self.actions[0].value


def _shape(value: Any) -> Any:
    """``value`` without ``block_id`` keys, which Slack may renumber on any change."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items() if k != "block_id"}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return value


def _content(message: SlackMessage) -> tuple[Any, ...]:
    forwards = [a.model_dump() for a in message.attachments if a.is_forward()]
    return (
        message.text,
        _shape(message.blocks),
        sorted(f.id for f in message.files),
        forwards,
    )


def is_real_change(change: MessageChanged) -> bool:
    """The text, blocks, files or forwarded content changed (not only previews or thread
    counters). Without the previous message, the change is taken as real."""
    if change.previous_message is None:
        return True
    return _content(change.message) != _content(change.previous_message)
