"""Requests as Slack sends them to the bridge: signed, with realistic payloads.

``signature`` is Slack's request signing (``v0=`` + HMAC-SHA256 of ``v0:{ts}:{body}``);
``signed_headers`` adds the timestamp and, for a redelivery, Slack's retry headers. The
payload builders make a slash-command form and a ``reaction_added`` Events API envelope;
:class:`SlackSender` posts them to the bridge's ``/slack/events`` with httpx.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlencode

import httpx

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}`` keyed with the signing secret."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str,
    body: bytes,
    *,
    timestamp: int | None = None,
    retry_num: int | None = None,
    retry_reason: str = "http_timeout",
    content_type: str = FORM,
) -> dict[str, str]:
    """Content-Type, ``X-Slack-Request-Timestamp`` (now unless given), ``X-Slack-Signature``;
    with ``retry_num``, also ``X-Slack-Retry-Num`` and ``X-Slack-Retry-Reason``."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature(secret, stamp, body),
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason
    return headers


def _trigger_id() -> str:
    return f"{secrets.randbelow(10**12)}.{secrets.randbelow(10**11)}.{secrets.token_hex(16)}"


def slash_command_form(
    *,
    command: str = "/crosspost",
    text: str,
    team_id: str,
    channel_id: str,
    user_id: str,
    response_url: str,
    trigger_id: str | None = None,
    user_name: str = "someone",
    channel_name: str = "general",
    team_domain: str = "fakeworkspace",
    api_app_id: str = "A0BRIDGE",
) -> bytes:
    """A slash-command body, form-encoded in Slack's field order."""
    fields = {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or _trigger_id(),
    }
    return urlencode(fields).encode()


def reaction_added_body(
    *,
    team_id: str,
    user: str,
    reaction: str,
    channel: str,
    ts: str,
    item_user: str = "U0AUTHOR",
    event_id: str | None = None,
    api_app_id: str = "A0BRIDGE",
) -> bytes:
    """A full ``event_callback`` envelope carrying a ``reaction_added`` event, as JSON."""
    now = time.time()
    envelope = {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": {
            "type": "reaction_added",
            "user": user,
            "reaction": reaction,
            "item": {"type": "message", "channel": channel, "ts": ts},
            "item_user": item_user,
            "event_ts": f"{now:.6f}",
        },
        "type": "event_callback",
        "event_id": event_id or "Ev" + secrets.token_hex(5).upper(),
        "event_time": int(now),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": "UBRIDGEBOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + secrets.token_urlsafe(24),
    }
    return json.dumps(envelope).encode()


def message_shortcut_form(
    *,
    team_id: str,
    channel: str,
    user: str,
    message: dict[str, Any],
    response_url: str,
    callback_id: str = "crosspost_message",
) -> bytes:
    """A ``message_action`` (message shortcut) payload, form-encoded as ``payload=<json>``."""
    payload = {
        "type": "message_action",
        "token": "deprecated-verification-token",
        "action_ts": f"{time.time():.6f}",
        "team": {"id": team_id, "domain": "fakeworkspace"},
        "user": {"id": user, "username": "someone", "team_id": team_id, "name": "someone"},
        "channel": {"id": channel, "name": "channel"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": _trigger_id(),
        "response_url": response_url,
        "message_ts": message["ts"],
        "message": message,
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


class SlackSender:
    """Posts signed requests to the bridge's ``/slack/events`` URL, as Slack would."""

    def __init__(
        self, url: str, secret: str, *, team_id: str = "T0FAKE", timeout: float = 10.0
    ) -> None:
        self.url = url
        self.secret = secret
        self.team_id = team_id
        self._client = httpx.Client(timeout=timeout, headers={"User-Agent": SLACK_USER_AGENT})

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        retry_num: int | None = None,
        timestamp: int | None = None,
    ) -> httpx.Response:
        """POST ``body`` signed with the secret (``retry_num`` marks a redelivery)."""
        headers = signed_headers(
            self.secret, body, timestamp=timestamp, retry_num=retry_num, content_type=content_type
        )
        return self._client.post(self.url, content=body, headers=headers)

    def command(
        self,
        text: str,
        *,
        channel_id: str,
        user_id: str,
        response_url: str,
        command: str = "/crosspost",
        trigger_id: str | None = None,
        user_name: str = "someone",
        channel_name: str = "general",
        retry_num: int | None = None,
        timestamp: int | None = None,
    ) -> httpx.Response:
        """Send a slash command."""
        body = slash_command_form(
            command=command,
            text=text,
            team_id=self.team_id,
            channel_id=channel_id,
            user_id=user_id,
            response_url=response_url,
            trigger_id=trigger_id,
            user_name=user_name,
            channel_name=channel_name,
        )
        return self.post(body, FORM, retry_num=retry_num, timestamp=timestamp)

    def reaction(
        self,
        *,
        user: str,
        reaction: str,
        channel: str,
        ts: str,
        item_user: str = "U0AUTHOR",
        event_id: str | None = None,
        retry_num: int | None = None,
        timestamp: int | None = None,
    ) -> httpx.Response:
        """Send a ``reaction_added`` event (reuse ``event_id`` to mimic a redelivery)."""
        body = reaction_added_body(
            team_id=self.team_id,
            user=user,
            reaction=reaction,
            channel=channel,
            ts=ts,
            item_user=item_user,
            event_id=event_id,
        )
        return self.post(body, JSON, retry_num=retry_num, timestamp=timestamp)

    def shortcut(
        self, *, channel: str, user: str, message: dict[str, Any], response_url: str
    ) -> httpx.Response:
        """Send the message shortcut for ``message``."""
        body = message_shortcut_form(
            team_id=self.team_id,
            channel=channel,
            user=user,
            message=message,
            response_url=response_url,
        )
        return self.post(body, FORM)

    def interaction(self, payload: dict[str, Any]) -> httpx.Response:
        """Send an interactive payload (``block_actions``, ``view_submission``) as Slack does:
        a form with one ``payload`` field of JSON."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, FORM)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
