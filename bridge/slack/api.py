"""What the worker asks of Slack: the message, names, replies. Typed errors.

Errors (see :mod:`bridge.failures`)::

    SlackError                          a Web API call (or a file download) failed
    ├── SlackRetryable (Retryable)      may pass later: connection refused or dropped,
    │                                   timeout, 5xx, rate limited (with Retry-After)
    └── SlackRejected (Permanent)       needs a person: bot not in channel, message gone,
                                        scope missing

Every call goes through one ``WebClient`` whose ``base_url`` is ``SLACK_API_URL``;
``response_url`` replies go only to Slack's hosts or that URL's host.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from http.client import HTTPException
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest as RetryHttpRequest
from slack_sdk.http_retry.response import HttpResponse as RetryHttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

from bridge.failures import Permanent, Retryable, retry_after_seconds
from bridge.slack.message import SlackFile, SlackMessage

RETRYABLE = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
}
ADVICE = {
    "not_in_channel": "the bridge is not a member of this channel: invite it with /invite @bridge",
    "channel_not_found": "the bridge cannot see this channel: invite it with /invite @bridge",
    "thread_not_found": "the message was not found (was it deleted?)",
    "message_not_found": "the message was not found (was it deleted?)",
    "missing_scope": "the Slack app lacks a permission: reinstall it from manifest.yml",
    "invalid_auth": "Slack refused SLACK_BOT_TOKEN: check the token or reinstall the app",
    "token_revoked": "the Slack token was revoked: reinstall the app",
    "account_inactive": "the Slack token was revoked: reinstall the app",
}
SLACK_HOSTS = ("slack.com", "hooks.slack.com")
MAX_INLINE_WAIT = 3.0  # seconds of Retry-After waited in place; longer reschedules the job


class SlackError(Exception):
    """A Slack Web API call failed."""

    def __init__(self, message: str, error: str = "", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.error = error
        self.retry_after = retry_after


class SlackRetryable(SlackError, Retryable):
    """Worth trying again later."""

    service = "Slack"


class SlackRejected(SlackError, Permanent):
    """Needs a person to change something; the message says what."""


def to_slack_error(method: str, error: SlackClientError | OSError | HTTPException) -> SlackError:
    """The typed error for a failed call: an answer from Slack, or no answer at all."""
    if isinstance(error, SlackApiError):
        code = str(error.response.get("error", "") or "")
        status = error.response.status_code
        if code in RETRYABLE or status >= 500 or status == 429:
            wait = _retry_after(error.response.headers)
            what = code if code and len(code) <= 40 else f"HTTP {status}"  # not an HTML page
            return SlackRetryable(f"Slack {method} failed: {what}", code, wait)
        return SlackRejected(ADVICE.get(code, f"Slack {method} failed: {code[:80]}"), code)
    return SlackRetryable(f"Slack could not be reached for {method}: {type(error).__name__}")


def _retry_after(headers: Any) -> float | None:
    for name, value in dict(headers or {}).items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            return retry_after_seconds(str(raw))
    return None


class ShortRateLimitRetry(RateLimitErrorRetryHandler):
    """Waits out a 429 in place only when Slack asks for a short pause; a longer one is
    raised (a ``SlackRetryable`` carrying ``Retry-After``) and the job is rescheduled
    instead of holding a worker thread asleep."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: RetryHttpRequest,
        response: RetryHttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = _retry_after(response.headers)
        return wait is not None and wait <= MAX_INLINE_WAIT


def make_web_client(token: str, base_url: str) -> WebClient:
    """The one WebClient: SLACK_API_URL, one quick retry for a dropped connection or a
    short 429."""
    client = WebClient(token=token, base_url=base_url, timeout=15)
    client.retry_handlers.append(ConnectionErrorRetryHandler(max_retry_count=1))
    client.retry_handlers.append(ShortRateLimitRetry(max_retry_count=1))
    return client


class SlackGateway:
    """The worker's view of Slack, with small caches for names."""

    def __init__(
        self,
        client: WebClient,
        *,
        name_ttl: float = 3600.0,
        observe: Callable[[str, str, float, str | None], None] | None = None,
    ) -> None:
        self.client = client
        self.observe = observe
        self.name_ttl = name_ttl
        self._names: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()
        self._workspace_url: str | None = None
        api = urlsplit(client.base_url)
        self._reply_hosts = {*SLACK_HOSTS, api.hostname or "slack.com"}

    def _call(self, method: str, **params: Any) -> dict[str, Any]:
        started = time.perf_counter()
        code: str | None = None
        try:
            form = {
                k: json.dumps(v) if isinstance(v, dict | list) else v
                for k, v in params.items()
                if v is not None
            }
            response = self.client.api_call(method, params=form)
        except (SlackClientError, OSError, HTTPException) as error:
            # slack_sdk re-raises urllib's own errors once its retry handlers give up: a
            # refused or dropped connection, a timeout, a cut-off answer
            failure = to_slack_error(method, error)
            code = failure.error or type(error).__name__
            raise failure from error
        finally:
            if self.observe is not None:
                self.observe("slack", method, time.perf_counter() - started, code)
        return dict(response.data) if isinstance(response.data, dict) else {}

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Any Web API method, with the gateway's typed errors and metrics."""
        return self._call(method, **params)

    def fetch_message(self, channel: str, ts: str, thread_ts: str | None = None) -> SlackMessage:
        """The message ``ts`` in ``channel`` (a thread reply is looked up in its thread)."""
        window = {"channel": channel, "latest": ts, "oldest": ts, "inclusive": True}
        if thread_ts is None or thread_ts == ts:
            found = self._call("conversations.history", limit=1, **window).get("messages", [])
            if message := _with_ts(found, ts):
                return message
        root = thread_ts or ts
        found = self._call("conversations.replies", ts=root, limit=10, **window).get("messages", [])
        if message := _with_ts(found, ts):
            return message
        raise SlackRejected(ADVICE["message_not_found"], "message_not_found")

    def _cached(self, key: str) -> str | None:
        with self._lock:
            hit = self._names.get(key)
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def _remember(self, key: str, value: str) -> str:
        with self._lock:
            self._names[key] = (time.monotonic() + self.name_ttl, value)
        return value

    def user_names(self, user_ids: Iterable[str]) -> dict[str, str]:
        """Display names (``profile.display_name``, else real name, else name); cached."""
        names = {}
        for user_id in user_ids:
            name = self._cached(f"user:{user_id}")
            if name is None and self._lookup_user(user_id):
                name = self._cached(f"user:{user_id}")
            if name:  # "" remembers an unknown user
                names[user_id] = name
        return names

    def user_emails(self, user_ids: Iterable[str]) -> dict[str, str]:
        """Emails (``profile.email``, given only with the ``users:read.email`` scope) of
        the users who have one; cached with their names."""
        emails = {}
        for user_id in user_ids:
            if self._cached(f"user:{user_id}") is None and not self._lookup_user(user_id):
                continue
            email = self._cached(f"email:{user_id}")
            if email:
                emails[user_id] = email
        return emails

    def _lookup_user(self, user_id: str) -> bool:
        """One ``users.info``: remember the name and the email (empty when not given)."""
        try:
            user = self._call("users.info", user=user_id).get("user", {})
        except SlackRejected:  # unknown: remembered as long as a known user, asked once a period
            self._remember(f"user:{user_id}", "")
            self._remember(f"email:{user_id}", "")
            return False  # the translation falls back to the label
        profile = user.get("profile", {})
        name = profile.get("display_name") or user.get("real_name") or user.get("name")
        self._remember(f"user:{user_id}", str(name or user_id))
        self._remember(f"email:{user_id}", str(profile.get("email") or ""))
        return True

    def file_info(self, file_id: str) -> SlackFile:
        """A file's full metadata (``files.info``), for files marked check_file_info."""
        return SlackFile.model_validate(self._call("files.info", file=file_id).get("file", {}))

    def can_read(self, channel: str, user: str) -> bool:
        """Whether ``user`` may read ``channel``: any public channel, or a private one they
        are a member of (``conversations.members``, paged)."""
        info = self._call("conversations.info", channel=channel).get("channel", {})
        if not info.get("is_private") and not info.get("is_im") and not info.get("is_mpim"):
            return True
        cursor: str | None = None
        while True:
            page = self._call("conversations.members", channel=channel, cursor=cursor, limit=500)
            if user in page.get("members", []):
                return True
            cursor = page.get("response_metadata", {}).get("next_cursor") or None
            if cursor is None:
                return False

    def own_bot_id(self) -> str:
        """The bridge's own bot ID (``auth.test``), asked once."""
        cached = self._cached("own:bot_id")
        if cached is not None:
            return cached
        return self._remember("own:bot_id", str(self._call("auth.test").get("bot_id") or ""))

    def user_tz(self, user_id: str) -> str | None:
        """The person's time zone name from ``users.info`` (None if unknown)."""
        try:
            tz = self._call("users.info", user=user_id).get("user", {}).get("tz")
        except SlackRejected:
            return None
        return str(tz) if tz else None

    def channel_names(self, channel_ids: Iterable[str]) -> dict[str, str]:
        """Channel names by ID; channels the bridge cannot see are left out."""
        names = {}
        for channel_id in channel_ids:
            name = self._cached(f"channel:{channel_id}")
            if name is None:
                try:
                    info = self._call("conversations.info", channel=channel_id)
                except SlackRejected:
                    continue
                name = self._remember(f"channel:{channel_id}", str(info["channel"]["name"]))
            names[channel_id] = name
        return names

    def usergroup_handles(self, group_ids: Iterable[str]) -> dict[str, str]:
        """User-group handles by ID (``usergroups.list`` needs ``usergroups:read``)."""
        wanted = set(group_ids)
        if not wanted:
            return {}
        try:
            groups = self._call("usergroups.list").get("usergroups", [])
        except SlackRejected:
            return {}
        return {g["id"]: g["handle"] for g in groups if g.get("id") in wanted and g.get("handle")}

    def permalink(self, channel: str, ts: str, thread_ts: str | None = None) -> str:
        """The message's link, built from the workspace URL (one ``auth.test``, cached)."""
        if self._workspace_url is None:
            self._workspace_url = str(self._call("auth.test").get("url", "https://slack.com/"))
        link = f"{self._workspace_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"
        if thread_ts and thread_ts != ts:
            link += f"?thread_ts={thread_ts}&cid={channel}"
        return link

    def reply(
        self,
        channel: str,
        text: str,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> None:
        """A message in the channel (in the thread of ``thread_ts`` when given); ``text``
        is the notification's text when ``blocks`` are given."""
        self._call(
            "chat.postMessage",
            channel=channel,
            text=text,
            thread_ts=thread_ts,
            blocks=blocks,
            unfurl_links=False,
        )

    def thread_has(self, channel: str, thread_ts: str, piece: str, oldest: float) -> bool:
        """Whether a bot message containing ``piece`` was posted in the thread since
        ``oldest`` (seconds since the epoch)."""
        since = f"{oldest:.6f}"
        answer = self._call(
            "conversations.replies", channel=channel, ts=thread_ts, oldest=since, limit=200
        )
        found = answer.get("messages", [])
        return any(m.get("bot_id") and piece in str(m.get("text", "")) for m in found)

    def react(self, channel: str, ts: str, name: str) -> None:
        """Add a reaction; one that is already there is fine."""
        try:
            self._call("reactions.add", channel=channel, timestamp=ts, name=name)
        except SlackRejected as error:
            if error.error != "already_reacted":
                raise

    def publish_home(self, user: str, view: dict[str, Any]) -> None:
        """Show ``view`` in ``user``'s App Home tab."""
        self._call("views.publish", user_id=user, view=view)

    def ephemeral(
        self,
        channel: str,
        user: str,
        text: str,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> None:
        """A message only ``user`` sees."""
        self._call(
            "chat.postEphemeral",
            channel=channel,
            user=user,
            text=text,
            thread_ts=thread_ts,
            blocks=blocks,
        )

    def is_admin(self, user: str) -> bool:
        """Whether ``user`` is an admin or owner of the workspace (``users.info``)."""
        found = self._call("users.info", user=user).get("user") or {}
        return any(found.get(k) for k in ("is_admin", "is_owner", "is_primary_owner"))

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        """Open a modal (``views.open``; the trigger is valid for 3 seconds)."""
        self._call("views.open", trigger_id=trigger_id, view=view)

    def post_blocks(
        self, channel: str, text: str, blocks: list[dict[str, Any]], thread_ts: str | None
    ) -> None:
        """A message with Block Kit blocks (``text`` is the notification's fallback)."""
        self._call(
            "chat.postMessage", channel=channel, text=text, blocks=blocks, thread_ts=thread_ts
        )

    def respond(self, response_url: str, text: str, *, in_channel: bool = False) -> None:
        """Answer a slash command through its ``response_url`` (no token is sent)."""
        host = urlsplit(response_url).hostname or ""
        if not any(host == h or host.endswith("." + h) for h in self._reply_hosts):
            raise SlackRejected(f"refusing to post to a response_url on {host}", "bad_host")
        kind = "in_channel" if in_channel else "ephemeral"
        try:
            answer = WebhookClient(response_url, timeout=15).send(text=text, response_type=kind)
        except (OSError, HTTPException) as error:
            reason = type(error).__name__
            raise SlackRetryable(f"Slack's response_url could not be reached: {reason}") from error
        if answer.status_code >= 500 or answer.status_code == 429:
            raise SlackRetryable(
                f"Slack's response_url answered {answer.status_code}",
                retry_after=_retry_after(answer.headers),
            )
        if answer.status_code >= 400:
            raise SlackRejected(
                f"Slack's response_url answered {answer.status_code}: "
                f"{answer.body} (it expires after 30 minutes)"
            )


def _with_ts(messages: list[dict[str, Any]], ts: str) -> SlackMessage | None:
    for raw in messages:
        if raw.get("ts") == ts:
            return SlackMessage.model_validate(raw)
    return None
