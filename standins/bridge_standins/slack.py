"""A local stand-in for Slack's Web API and ``response_url``s, as a real HTTP server.

Point ``slack_sdk.WebClient(token=..., base_url=fake.url + "/api/")`` at it. Methods are
answered by :class:`~bridge_standins.slack_methods.SlackMethods` (a table of name → handler
taking the params dict); add one with :meth:`FakeSlack.add_method`. Every answer is
HTTP 200 JSON (429 for an injected rate limit, 5xx for an injected server error) with
the ``x-oauth-scopes`` header, or no answer at all (:meth:`FakeSlack.drop_next`).
Order of a call: recorded → queued fault → ``unknown_method`` → ``invalid_auth`` → the
method (run under the lock). Files (``add_file``, ``files.info``, downloads and the
redirect host ``foreign``) come from :class:`~bridge_standins.slack_files.SlackFileServer`.
Modals (``views.open``, ``views.update``) are recorded in :attr:`FakeSlack.views`; messages
are edited and deleted with :meth:`FakeSlack.edit_message` and :meth:`FakeSlack.delete_message`,
and :mod:`bridge_standins.slack_changes` builds the events Slack sends about them.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from bridge.slack.scopes import bot_scopes
from bridge_standins import slack_changes
from bridge_standins.server import HttpRequest, Reply, hang_up, json_reply, parse_json, text_reply
from bridge_standins.slack_files import SlackFileServer
from bridge_standins.slack_methods import MethodHandler, SlackMethods, request_params
from bridge_standins.slack_model import (
    BOT_ID,
    BOT_USER_ID,
    BotReaction,
    Channel,
    Download,
    EphemeralMessage,
    MethodRefused,
    PostedMessage,
    PublishedView,
    ResponsePost,
    SlackCall,
    user_object,
)
from bridge_standins.slack_workspace import Workspace

__all__ = [
    "BOT_ID",
    "BOT_USER_ID",
    "DEFAULT_SCOPES",
    "BotReaction",
    "Download",
    "EphemeralMessage",
    "FakeSlack",
    "MethodRefused",
    "PostedMessage",
    "ResponsePost",
    "SlackCall",
]

DEFAULT_SCOPES = bot_scopes()  # everything the app's manifest asks for


APP_TOKEN_METHODS = frozenset({"apps.connections.open"})  # called with the xapp- token


@dataclass
class _Fault:
    method: str
    error: str
    status: int  # 0: no answer, the connection is closed
    retry_after: int | None
    times: int


class FakeSlack(SlackFileServer):
    """Slack's Web API for one workspace and one bot token."""

    def __init__(
        self,
        bot_token: str = "xoxb-test-token",  # noqa: S107 - a stand-in's test token
        team_id: str = "T0FAKE",
        team_domain: str = "fakeworkspace",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(team_id, host, port)
        self.workspace = Workspace(team_id)
        self._methods = SlackMethods(self.workspace, team_domain)
        self._methods.table["files.info"] = self.files_info
        self._methods.table["users.info"] = self._users_info
        self.bot_token = bot_token
        self.app_token: str | None = None  # Socket Mode's app-level token (FakeSocketMode)
        self.scopes: list[str] = list(DEFAULT_SCOPES)
        self._calls: list[SlackCall] = []
        self._response_keys: set[str] = set()
        self._responses: list[ResponsePost] = []
        self._faults: list[_Fault] = []
        self.add_route("POST", r"/api/(?P<method>[\w.]+)", self._api)
        self.add_route("GET", r"/api/(?P<method>[\w.]+)", self._api)
        self.add_route("POST", r"/response/(?P<key>[^/]+)", self._response)

    def add_method(self, name: str, handler: MethodHandler) -> None:
        """Answer Web API method ``name`` with ``handler(params)`` (``MethodRefused``: refuse)."""
        with self._lock:
            self._methods.table[name] = handler

    def add_channel(
        self,
        id: str,
        name: str,
        *,
        is_member: bool = True,
        is_private: bool = False,
        is_im: bool = False,
        is_mpim: bool = False,
        is_ext_shared: bool = False,
    ) -> None:
        """Add or replace a channel (``is_member``: whether the bot is in it; ``is_im``,
        ``is_mpim``: a DM, a group DM; ``is_ext_shared``: a Slack Connect channel)."""
        channel = Channel(id, name, is_member, is_private, is_im, is_mpim, is_ext_shared)
        with self._lock:
            self.workspace.add_channel(channel)

    def add_user(
        self,
        id: str,
        display_name: str,
        real_name: str | None = None,
        name: str | None = None,
        tz: str = "Europe/Paris",
        is_bot: bool = False,
        *,
        is_admin: bool = False,
        is_owner: bool = False,
        team_id: str | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        """Add a user; returns the ``user`` object that ``users.info`` answers.

        ``is_admin``/``is_owner``: a workspace admin or owner; ``team_id``: another
        organisation's user (Slack Connect), seen by this workspace as a stranger;
        ``email``: its ``profile.email``, answered only while the ``users:read.email``
        scope is granted.
        """
        team = team_id or self.workspace.team_id
        user = user_object(team, id, display_name, real_name=real_name, name=name, tz=tz)
        if email is not None:
            user["profile"]["email"] = email
        roles = {"is_admin": is_admin or is_owner, "is_owner": is_owner}
        stranger = {"is_stranger": True} if team != self.workspace.team_id else {}
        with self._lock:
            return self.workspace.add_user({**user, "is_bot": is_bot, **roles, **stranger})

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """``users.info``; ``profile.email`` only with the ``users:read.email`` scope."""
        answer = self._methods.users_info(params)
        if "users:read.email" not in self.scopes:
            profile = {k: v for k, v in answer["user"]["profile"].items() if k != "email"}
            answer = {**answer, "user": {**answer["user"], "profile": profile}}
        return answer

    def add_usergroup(self, id: str, handle: str, name: str, users: tuple[str, ...] = ()) -> None:
        """Add a user group (listed by ``usergroups.list``, its ``users`` by
        ``usergroups.users.list``)."""
        team_id = self.workspace.team_id
        group = {
            "id": id,
            "team_id": team_id,
            "handle": handle,
            "name": name,
            "user_count": len(users),
            "users": list(users),
        }
        with self._lock:
            self.workspace.usergroups.append(group)

    @property
    def views(self) -> list[PublishedView]:
        """Successful ``views.publish``, ``views.open`` and ``views.update`` calls."""
        with self._lock:
            return copy.deepcopy(self._methods.views)

    def add_message(self, channel: str, message: dict[str, Any]) -> dict[str, Any]:
        """Store a message (``type`` and a fresh ``ts`` filled when absent); returns it."""
        with self._lock:
            return self.workspace.add_message(channel, message)

    def edit_message(
        self, channel: str, ts: str, changes: dict[str, Any], editor: str | None = "U0ALICE01"
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Change a stored message (``editor`` None: Slack's own change, e.g. an unfurl);
        returns (previous, new) for :func:`slack_changes.message_changed_body`."""
        with self._lock:
            return slack_changes.edit(self.workspace, channel, ts, changes, editor)

    def delete_message(self, channel: str, ts: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Delete a stored message: (previous, the tombstone of a thread parent or None)."""
        with self._lock:
            return slack_changes.delete(self.workspace, channel, ts)

    def make_admin(self, user_id: str) -> None:
        """Make a user a workspace admin (``users.info`` says ``is_admin: true``)."""
        with self._lock:
            self.workspace.users[user_id]["is_admin"] = True

    @property
    def modals(self) -> list[dict[str, Any]]:
        """The modals opened or updated (``views.open``, ``views.update``), newest last."""
        with self._lock:
            return [copy.deepcopy(v.view) for v in self._methods.views if v.user_id is None]

    def response_url(self, key: str) -> str:
        """A ``response_url`` (``<url>/response/<key>``) whose POSTs are recorded."""
        with self._lock:
            self._response_keys.add(key)
        return f"{self.url}/response/{key}"

    def fail_next(
        self,
        method: str,
        error: str = "ratelimited",
        *,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Refuse the next ``times`` calls of ``method`` with ``error``.

        ``ratelimited`` is answered as Slack does: HTTP 429 with ``Retry-After`` (1 s
        unless ``retry_after`` says otherwise).
        """
        if error == "ratelimited" and status == 200:
            status = 429
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            self._faults.append(_Fault(method, error, status, retry_after, times))

    def drop_next(self, method: str, times: int = 1) -> None:
        """Close the connection of the next ``times`` calls of ``method`` unanswered."""
        with self._lock:
            self._faults.append(_Fault(method, "", 0, None, times))

    @property
    def calls(self) -> list[SlackCall]:
        """Every Web API call received, in order (including refused ones)."""
        with self._lock:
            return copy.deepcopy(self._calls)

    def calls_to(self, method: str) -> list[SlackCall]:
        """The calls of one method."""
        return [call for call in self.calls if call.method == method]

    @property
    def posted(self) -> list[PostedMessage]:
        """Successful ``chat.postMessage`` calls."""
        with self._lock:
            return copy.deepcopy(self._methods.posted)

    @property
    def ephemerals(self) -> list[EphemeralMessage]:
        """Successful ``chat.postEphemeral`` calls."""
        with self._lock:
            return copy.deepcopy(self._methods.ephemerals)

    @property
    def reactions_added(self) -> list[BotReaction]:
        """Successful ``reactions.add`` calls."""
        with self._lock:
            return list(self._methods.reactions)

    @property
    def responses(self) -> list[ResponsePost]:
        """Bodies POSTed to ``response_url``s."""
        with self._lock:
            return copy.deepcopy(self._responses)

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """A copy of every stored message of a channel, replies included, in storing order."""
        with self._lock:
            return copy.deepcopy(self.workspace.messages.get(channel, []))

    def _answer(self, payload: dict[str, Any], status: int = 200, **headers: str) -> Reply:
        return json_reply(status, payload, {"x-oauth-scopes": ",".join(self.scopes), **headers})

    def _api(self, request: HttpRequest, match: re.Match[str]) -> Reply:
        method = match["method"]
        try:
            params = request_params(request)
        except ValueError:
            return self._answer({"ok": False, "error": "invalid_json"})
        with self._lock:
            self._calls.append(SlackCall(method, copy.deepcopy(params), dict(request.headers)))
            fault = self._take_fault(method)
            if fault is not None and fault.status == 0:
                return hang_up()
            if fault is not None:
                extra = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
                return self._answer({"ok": False, "error": fault.error}, fault.status, **extra)
            handler = self._methods.table.get(method)
            if handler is None:
                return self._answer({"ok": False, "error": "unknown_method"})
            token = request.bearer_token() or params.get("token")
            if method in APP_TOKEN_METHODS and token == self.bot_token:
                return self._answer({"ok": False, "error": "not_allowed_token_type"})
            expected = self.app_token if method in APP_TOKEN_METHODS else self.bot_token
            if token is None or token != expected:
                return self._answer({"ok": False, "error": "invalid_auth"})
            try:
                return self._answer(handler(params))
            except MethodRefused as error:
                return self._answer({"ok": False, "error": error.error, **error.extra})

    def _take_fault(self, method: str) -> _Fault | None:
        fault = next((f for f in self._faults if f.method == method), None)
        if fault is not None:
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
        return fault

    def _response(self, request: HttpRequest, match: re.Match[str]) -> Reply:
        key = match["key"]
        try:
            body = parse_json(request.body)
        except ValueError:
            return text_reply(400, "invalid_payload")
        with self._lock:
            if key not in self._response_keys:
                return text_reply(404, "no_such_response_url")
            self._responses.append(ResponsePost(key, body))
        return text_reply(200, "ok")
