"""Slack payloads the bridge accepts, parsed into frozen models at the edge.

Unknown fields are ignored (Slack adds fields over time); a payload missing a field the
bridge needs fails validation and is answered or logged, never half-processed. Apps
installed org-wide (Enterprise Grid) get ``team: null`` in shortcuts: the workspace is
then the user's ``team_id``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator


class ReactedItem(BaseModel):
    """The reacted-to item."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    type: str
    channel: str | None = None
    ts: str | None = None


class ReactionAdded(BaseModel):
    """A ``reaction_added`` event (no message text: the worker fetches it)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    type: Literal["reaction_added"]
    user: str
    reaction: str
    item: ReactedItem
    item_user: str | None = None


class _Id(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    id: str


class _User(_Id):
    team_id: str | None = None


class _ShortcutMessage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    ts: str
    thread_ts: str | None = None


class MessageShortcut(BaseModel):
    """A message shortcut ("Share to community" in a message's menu)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    type: Literal["message_action"]
    team: _Id
    channel: _Id
    user: _User
    message: _ShortcutMessage
    response_url: str

    @model_validator(mode="before")
    @classmethod
    def _team_of_org_install(cls, data: Any) -> Any:
        """``team: null`` (org-wide install): the user's workspace, else the organisation."""
        if not isinstance(data, dict) or data.get("team"):
            return data
        user, enterprise = data.get("user"), data.get("enterprise")
        team_id = (user.get("team_id") if isinstance(user, dict) else None) or (
            enterprise.get("id") if isinstance(enterprise, dict) else None
        )
        return {**data, "team": {"id": team_id}} if team_id else data


class SlashCommand(BaseModel):
    """The fields of a slash command the bridge uses."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    team_id: str
    channel_id: str
    user_id: str
    text: str = ""
    response_url: str
    trigger_id: str
