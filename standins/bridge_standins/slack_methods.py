"""The Web API methods of :class:`bridge_standins.slack.FakeSlack`: params dict in, answer
dict out, recording what the bot did.

Params arrive as sent: strings from a form or query string (``inclusive=1``,
``limit=10``, ``blocks`` as JSON text), or JSON values from a JSON body. The helpers
below accept both. Not thread-safe by itself: ``FakeSlack`` calls it under its lock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bridge_standins.server import HttpRequest, parse_form, parse_json
from bridge_standins.slack_model import (
    BOT_ID,
    BOT_USER_ID,
    BotReaction,
    EphemeralMessage,
    MethodRefused,
    PostedMessage,
    PublishedView,
    Window,
)
from bridge_standins.slack_views import check_view
from bridge_standins.slack_workspace import Workspace

MethodHandler = Callable[[dict[str, Any]], dict[str, Any]]


def request_params(request: HttpRequest) -> dict[str, Any]:
    """Query string, then the form or JSON body (``ValueError`` for bad JSON)."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json" and request.body:
        body = parse_json(request.body)
        if not isinstance(body, dict):
            raise ValueError("the JSON body is not an object")
        params.update(body)
    elif request.body:
        params.update(parse_form(request.body))
    return params


def _str(params: dict[str, Any], key: str) -> str | None:
    value = params.get(key)
    return None if value is None or value == "" else str(value)


def _flag(params: dict[str, Any], key: str) -> bool:
    value = params.get(key)
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes"}
    return bool(value)


def _int(params: dict[str, Any], key: str, default: int) -> int:
    try:
        return int(params.get(key) or default)
    except (TypeError, ValueError):
        raise MethodRefused("invalid_arguments") from None


def _json(params: dict[str, Any], key: str) -> Any:
    """A structured argument (``blocks``) sent as JSON text in a form, or as JSON."""
    value = params.get(key)
    if isinstance(value, str) and value:
        try:
            return json.loads(value)
        except ValueError:
            raise MethodRefused(f"invalid_{key}") from None
    return value or None


def _view(params: dict[str, Any], kind: str) -> dict[str, Any]:
    """The ``view`` argument, refused as Slack refuses a view that breaks a documented
    Block Kit limit (:mod:`bridge_standins.slack_views`)."""
    view = _json(params, "view")
    problem = check_view(view, kind).answer()
    if problem is not None:
        raise MethodRefused(problem["error"], {k: v for k, v in problem.items() if k != "ok"})
    assert isinstance(view, dict)
    return view


def _window(params: dict[str, Any]) -> Window:
    return Window(
        latest=_str(params, "latest"),
        oldest=_str(params, "oldest"),
        inclusive=_flag(params, "inclusive"),
        limit=min(_int(params, "limit", 100), 999),
        cursor=_str(params, "cursor"),
    )


class SlackMethods:
    """A table of Web API methods over one :class:`Workspace`, recording the bot's actions."""

    def __init__(self, workspace: Workspace, team_domain: str, team_name: str = "Fake Workspace"):
        self.workspace = workspace
        self.team_domain = team_domain
        self.team_name = team_name
        self.posted: list[PostedMessage] = []
        self.ephemerals: list[EphemeralMessage] = []
        self.reactions: list[BotReaction] = []
        self.views: list[PublishedView] = []
        self.table: dict[str, MethodHandler] = {
            "auth.test": self.auth_test,
            "conversations.history": self.conversations_history,
            "conversations.replies": self.conversations_replies,
            "conversations.info": self.conversations_info,
            "users.info": self.users_info,
            "usergroups.list": self.usergroups_list,
            "usergroups.users.list": self.usergroups_users_list,
            "views.publish": self.views_publish,
            "chat.postMessage": self.chat_post_message,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "reactions.add": self.reactions_add,
            "views.open": self.views_open,
            "views.update": self.views_update,
        }
        self._triggers: set[str] = set()

    def auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        """Who the token belongs to."""
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": "bridge",
            "team_id": self.workspace.team_id,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Top-level messages of a channel, newest first."""
        return self.workspace.history(params.get("channel"), _window(params))

    def conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        """A thread: parent first, then replies ascending."""
        return self.workspace.replies(params.get("channel"), params.get("ts"), _window(params))

    def conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """A channel's description (the bot need not be a member of a public one)."""
        channel = self.workspace.channel(params.get("channel"), need_member=False)
        return {"ok": True, "channel": channel.info()}

    def users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """A user's profile."""
        user = self.workspace.users.get(str(params.get("user")))
        if user is None:
            raise MethodRefused("user_not_found")
        return {"ok": True, "user": user}

    def usergroups_list(self, params: dict[str, Any]) -> dict[str, Any]:
        """Every user group of the workspace (with its ``users`` when ``include_users``)."""
        with_users = _flag(params, "include_users")
        groups = [
            {k: v for k, v in g.items() if with_users or k != "users"}
            for g in self.workspace.usergroups
        ]
        return {"ok": True, "usergroups": groups}

    def usergroups_users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        """The user IDs in a user group (``no_such_subteam`` for an unknown one)."""
        wanted = _str(params, "usergroup")
        if wanted is None:
            raise MethodRefused("invalid_arguments")
        group = next((g for g in self.workspace.usergroups if g["id"] == wanted), None)
        if group is None:
            raise MethodRefused("no_such_subteam")
        return {"ok": True, "users": list(group.get("users", []))}

    def views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        """Show a ``home`` view in a user's App Home."""
        user = _str(params, "user_id")
        if user is None or user not in self.workspace.users:
            raise MethodRefused("user_not_found" if user else "invalid_arguments")
        view = _view(params, "home")
        self.views.append(PublishedView(view, user_id=user))
        return {"ok": True, "view": {"id": f"V{len(self.views):08d}", **view}}

    def chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        """Post as the bot (a thread reply when ``thread_ts``)."""
        channel = self.workspace.channel(params.get("channel"))
        text, blocks = _str(params, "text") or "", _json(params, "blocks")
        if not text and not blocks and not params.get("attachments"):
            raise MethodRefused("no_text")
        thread_ts = _str(params, "thread_ts")
        message = self.workspace.bot_message(channel, text, blocks, thread_ts)
        record = PostedMessage(channel.id, text, thread_ts, blocks, message["ts"], dict(params))
        self.posted.append(record)
        return {"ok": True, "channel": channel.id, "ts": message["ts"], "message": message}

    def chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        """Show a message to one user only (nothing is stored in the channel)."""
        channel = self.workspace.channel(params.get("channel"))
        user = _str(params, "user")
        if user is None:
            raise MethodRefused("user_not_in_channel")
        text, blocks = _str(params, "text") or "", _json(params, "blocks")
        if not text and not blocks and not params.get("attachments"):
            raise MethodRefused("no_text")
        ts = self.workspace.next_ts()
        thread_ts = _str(params, "thread_ts")
        self.ephemerals.append(
            EphemeralMessage(channel.id, user, text, thread_ts, blocks, ts, dict(params))
        )
        return {"ok": True, "message_ts": ts}

    def reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        """Add the bot's reaction to a message."""
        channel = self.workspace.channel(params.get("channel"))
        name = (_str(params, "name") or "").strip(":")
        if not name:
            raise MethodRefused("invalid_name")
        timestamp = _str(params, "timestamp")
        self.workspace.add_reaction(channel, timestamp, name)
        self.reactions.append(BotReaction(channel.id, str(timestamp), name))
        return {"ok": True}

    def views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        """Open a modal: ``trigger_id`` once only (``exchanged_trigger_id`` after that),
        ``invalid_arguments`` for a view that is not a valid modal."""
        trigger = _str(params, "trigger_id")
        if trigger is None:
            raise MethodRefused("invalid_trigger_id")
        if trigger in self._triggers:
            raise MethodRefused("exchanged_trigger_id")
        view = _view(params, "modal")
        self._triggers.add(trigger)
        stored = {**view, "id": f"V{len(self.views) + 1:08d}", "team_id": self.workspace.team_id}
        stored |= {"hash": f"{len(self.views) + 1}.hash", "state": {"values": {}}}
        self.views.append(PublishedView(stored, trigger_id=trigger))
        return {"ok": True, "view": stored}

    def views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        """Replace an open view by ``view_id`` (``not_found`` when unknown)."""
        view_id = _str(params, "view_id")
        if not any(v.view.get("id") == view_id for v in self.views):
            raise MethodRefused("not_found")
        stored = {**_view(params, "modal"), "id": view_id, "team_id": self.workspace.team_id}
        self.views.append(PublishedView(stored))
        return {"ok": True, "view": stored}
