"""Slack payloads the bridge accepts, parsed into frozen models at the edge.

Unknown fields are ignored (Slack adds fields over time); a payload missing a field the
bridge needs fails validation and is answered or logged, never half-processed.
:func:`to_problem` checks a whole request body (JSON event, slash-command form or
interactive ``payload``) before Bolt sees it, so that a signed request that is not a
Slack payload is answered HTTP 400 instead of reaching a listener. Apps installed
org-wide (Enterprise Grid) get ``team: null`` in shortcuts: the workspace is then the
user's ``team_id``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from pydantic import BaseModel, StringConstraints, ValidationError, model_validator

from bridge.frozen import Frozen
from bridge.slack.nesting import MAX_BODY_DEPTH, nests_deeper

SlackTs = Annotated[str, StringConstraints(pattern=r"^\d{9,10}\.\d{6}$")]  # "1712345678.000100"


class ReactedItem(Frozen):
    """The reacted-to item."""

    type: str
    channel: str | None = None
    ts: SlackTs | None = None

    @model_validator(mode="after")
    def _message_has_place(self) -> ReactedItem:
        if self.type == "message" and not (self.channel and self.ts):
            raise ValueError("a message item needs its channel and ts")
        return self


class ReactionAdded(Frozen):
    """A ``reaction_added`` event (no message text: the worker fetches it)."""

    type: Literal["reaction_added"]
    user: str
    reaction: str
    item: ReactedItem
    item_user: str | None = None


class _Id(Frozen):
    id: str


class _User(_Id):
    team_id: str | None = None


class _ShortcutMessage(Frozen):
    ts: SlackTs
    thread_ts: SlackTs | None = None
    user: str | None = None  # the author (absent for a bot's message)


class MessageShortcut(Frozen):
    """A message shortcut ("Share to community" in a message's menu)."""

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


class SlashCommand(Frozen):
    """The fields of a slash command the bridge uses."""

    team_id: str
    channel_id: str
    user_id: str
    text: str = ""
    response_url: str
    trigger_id: str


class _Action(Frozen):
    action_id: str
    value: str = ""


class BlockAction(Frozen):
    """A button pressed in a message or the App Home (``block_actions``)."""

    type: Literal["block_actions"]
    user: _User
    team: _Id | None = None
    channel: _Id | None = None  # absent in the App Home
    trigger_id: str = ""
    actions: list[_Action]

    @property
    def action(self) -> _Action:
        """The one action a button press carries."""
        return self.actions[0]


class _Event(Frozen):
    type: str


class EventCallback(Frozen):
    """The Events API envelope around an event."""

    type: Literal["event_callback"]
    team_id: str
    event: _Event


class HomeOpened(Frozen):
    """An ``app_home_opened`` event."""

    type: Literal["app_home_opened"]
    user: str


EVENTS: dict[str, type[BaseModel]] = {
    "reaction_added": ReactionAdded,
    "app_home_opened": HomeOpened,
}
FORM = "application/x-www-form-urlencoded"


def to_problem(body: bytes, content_type: str) -> str | None:
    """What makes ``body`` not a Slack request the bridge can take (None when it is one).

    The reason names fields and rules, never values: it is logged.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "the body is not UTF-8"
    media = content_type.split(";", maxsplit=1)[0].strip().lower()
    if media == "application/json" or text.startswith("{"):
        payload = _json(text)
        return (
            "the body is not a JSON object (or nests too deep)"
            if payload is None
            else _event_problem(payload)
        )
    if media != FORM:
        return f"the body is neither JSON nor a form ({media or 'no content type'})"
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "ssl_check" in form:
        return None
    if "payload" in form:
        payload = _json(form["payload"])
        if payload is None:
            return "the form's payload is not a JSON object (or nests too deep)"
        shortcut = payload.get("type") == "message_action"
        return _invalid(MessageShortcut, payload) if shortcut else None
    if "command" in form:
        return _invalid(SlashCommand, form)
    return "the form has neither a command nor a payload"


def _json(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # deeper than Python's parser goes
        return None
    if not isinstance(value, dict) or nests_deeper(value, MAX_BODY_DEPTH):
        return None
    return value


def _event_problem(payload: dict[str, Any]) -> str | None:
    if payload.get("type") == "url_verification":
        return None if isinstance(payload.get("challenge"), str) else "challenge: missing"
    if payload.get("type") != "event_callback":
        return None  # other envelopes (app_rate_limited, ...) are Bolt's to answer
    if problem := _invalid(EventCallback, payload):
        return problem
    model = EVENTS.get(str(payload["event"]["type"]))
    return None if model is None else _invalid(model, payload["event"], "event.")


def _invalid(model: type[BaseModel], data: Any, prefix: str = "") -> str | None:
    try:
        model.model_validate(data)
    except ValidationError as error:
        fields = [
            f"{prefix}{'.'.join(str(part) for part in item['loc'])}: {item['type']}"
            for item in error.errors()[:3]
        ]
        return f"{model.__name__} " + ", ".join(fields)
    return None
