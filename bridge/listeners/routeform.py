"""Route editing in the App Home: the modal (Block Kit) and what its submission does.

``route_modal`` builds the form (``views.open``), empty or filled with a stored route;
``submit`` reads the ``view_submission`` state, resolves the community and the user groups,
and saves the route, or returns Slack's ``errors`` (block ID → message) to show under
the fields. Each input block's ``block_id`` is the Route field it fills.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from bridge.amity.client import AmityClient
from bridge.delivery.routestore import RouteRefused, RouteStore
from bridge.listeners.routing import resolve_community
from bridge.listeners.viewlimits import section
from bridge.routes import Route
from bridge.slack.api import SlackError
from bridge.slack.directory import Directory

FORM = "route_form"  # callback_id of the modal
WHO = {
    "anyone": "Anyone in the channel",
    "listed": "Only the people and groups below",
    "author": "Only the message's author",
    "approval": "Anyone, after an approver (people and groups below) agrees",
}
OPTIONS = {
    "workspace_wide": "Workspace-wide: the emoji works in every channel the bot is in",
    "allow_private": "Allow private channels, DMs and group DMs",
    "allow_external": "Allow Slack Connect channels and people from other organisations",
}


def _text(label: str, value: str, *, optional: bool = False, hint: str = "") -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "v"}
    if value:
        element["initial_value"] = value
    block: dict[str, Any] = {
        "type": "input",
        "label": {"type": "plain_text", "text": label},
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def route_modal(route: Route | None) -> dict[str, Any]:
    """The form for a new route, or for changing ``route``."""
    r = route
    channels: dict[str, Any] = {"type": "multi_conversations_select", "action_id": "v"}
    if r and r.channels:
        channels["initial_conversations"] = list(r.channels)
    people: dict[str, Any] = {"type": "multi_users_select", "action_id": "v"}
    if r and r.people:
        people["initial_users"] = list(r.people)
    who = r.who if r else "anyone"
    options: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": "v",
        "options": [_option(k, t) for k, t in OPTIONS.items()],
    }
    chosen = [_option(k, t) for k, t in OPTIONS.items() if r and getattr(r, k)]
    if chosen:
        options["initial_options"] = chosen
    blocks = [
        {"block_id": "name", **_text("Name", r.name if r else "")},
        {
            "block_id": "channels",
            "type": "input",
            "optional": True,
            "label": {"type": "plain_text", "text": "Channels"},
            "element": channels,
        },
        {"block_id": "emoji", **_text("Emoji", f":{r.emoji}:" if r else "", hint=":mega:")},
        {
            "block_id": "community",
            **_text("Amity community", r.community if r else "", hint="its ID or its name"),
        },
        {
            "block_id": "who",
            "type": "input",
            "label": {"type": "plain_text", "text": "Who may publish"},
            "element": {
                "type": "static_select",
                "action_id": "v",
                "options": [_option(k, t) for k, t in WHO.items()],
                "initial_option": _option(who, WHO[who]),
            },
        },
        {
            "block_id": "people",
            "type": "input",
            "optional": True,
            "label": {"type": "plain_text", "text": "People (publish or approve)"},
            "element": people,
        },
        {
            "block_id": "groups",
            **_text(
                "User groups (publish or approve)",
                ", ".join(r.groups) if r else "",
                optional=True,
                hint="@handles or IDs, separated by commas",
            ),
        },
        {
            "block_id": "approval_emoji",
            **_text("Approval emoji", f":{r.approval_emoji}:" if r else "", optional=True),
        },
        {
            "block_id": "approval_hours",
            **_text(
                "Approval expires after (hours)",
                f"{r.approval_hours:g}" if r else "",
                optional=True,
            ),
        },
        {
            "block_id": "options",
            "type": "input",
            "optional": True,
            "label": {"type": "plain_text", "text": "Privacy"},
            "element": options,
        },
    ]
    return {
        "type": "modal",
        "callback_id": FORM,
        "private_metadata": r.name if r else "",
        "title": {"type": "plain_text", "text": "Change route" if r else "Add a route"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def notice_modal(text: str) -> dict[str, Any]:
    """A modal that only says ``text`` (a refusal)."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Routes"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [section(text)],
    }


def _value(state: dict[str, Any], block: str) -> Any:
    element = state.get(block, {}).get("v", {})
    kind = element.get("type")
    if kind == "multi_conversations_select":
        return element.get("selected_conversations") or []
    if kind == "multi_users_select":
        return element.get("selected_users") or []
    if kind == "static_select":
        return (element.get("selected_option") or {}).get("value")
    if kind == "checkboxes":
        return [o["value"] for o in element.get("selected_options") or []]
    return (element.get("value") or "").strip()


def read_form(state: dict[str, Any]) -> dict[str, Any]:
    """The fields of a Route as the form gives them (community and groups unresolved)."""
    fields: dict[str, Any] = {
        "name": _value(state, "name"),
        "channels": _value(state, "channels"),
        "emoji": _value(state, "emoji").strip(":"),
        "who": _value(state, "who") or "anyone",
        "people": _value(state, "people"),
    }
    if emoji := _value(state, "approval_emoji").strip(":"):
        fields["approval_emoji"] = emoji
    if hours := _value(state, "approval_hours").lower().removesuffix("h"):
        fields["approval_hours"] = hours
    for option in _value(state, "options"):
        fields[option] = True
    return fields


def _groups(text: str, directory: Directory) -> list[str] | str:
    found = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        if item.startswith("S") and item.isalnum():
            found.append(item)
            continue
        try:
            group = directory.group_id(item)
        except SlackError:
            return "Slack did not list the user groups; try again"
        if group is None:
            return f"no user group is called {item}"
        found.append(group)
    return found


def submit(
    state: dict[str, Any],
    replacing: str,
    user: str,
    deps: tuple[RouteStore, AmityClient, Directory],
) -> dict[str, str]:
    """Save the submitted route; the errors to show (block ID → message), empty when saved."""
    store, amity, directory = deps
    fields = read_form(state)
    groups = _groups(_value(state, "groups"), directory)
    if isinstance(groups, str):
        return {"groups": groups}
    community = resolve_community(amity, _value(state, "community"))
    if isinstance(community, str):
        return {"community": community[:1].upper() + community[1:]}
    fields |= {"groups": groups, "community": str(community.get("communityId"))}
    try:
        route = Route.model_validate(fields)
    except ValidationError as error:
        return _field_errors(error)
    try:
        store.save(route, user, replacing=replacing or None)
    except RouteRefused as error:
        text = str(error).replace("*", "")
        return {"emoji" if "emoji" in text else "name": text}
    return {}


def _field_errors(error: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for item in error.errors():
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["loc"]:
            block = str(item["loc"][0])
        else:  # Route._complete
            block = "channels" if "channels" in message.split(",")[0] else "people"
        block = block if block in _BLOCKS else "name"
        errors.setdefault(block, message)
    return errors


_BLOCKS = {"name", "channels", "emoji", "community", "who", "people", "groups"} | {
    "approval_emoji",
    "approval_hours",
}
