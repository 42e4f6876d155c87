"""The Web API client the gateway calls through, and the gateway's base: one call with
typed errors and metrics, and a small cache of names.

Every call goes through one ``WebClient`` whose ``base_url`` is ``SLACK_API_URL``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.client import HTTPException
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest as RetryHttpRequest
from slack_sdk.http_retry.response import HttpResponse as RetryHttpResponse
from slack_sdk.http_retry.state import RetryState

from bridge.slack.errors import retry_after, to_slack_error

SLACK_HOSTS = ("slack.com", "hooks.slack.com")
MAX_INLINE_WAIT = 3.0  # seconds of Retry-After waited in place; longer reschedules the job


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
        wait = retry_after(response.headers)
        return wait is not None and wait <= MAX_INLINE_WAIT


def make_web_client(token: str, base_url: str) -> WebClient:
    """The one WebClient: SLACK_API_URL, one quick retry for a dropped connection or a
    short 429."""
    client = WebClient(token=token, base_url=base_url, timeout=15)
    client.retry_handlers.append(ConnectionErrorRetryHandler(max_retry_count=1))
    client.retry_handlers.append(ShortRateLimitRetry(max_retry_count=1))
    return client


class SlackCalls:
    """The gateway's base: the client, one call with typed errors and metrics, the name
    cache. The API families (:mod:`bridge.slack.conversations`, :mod:`bridge.slack.users`,
    :mod:`bridge.slack.chat`) build on it."""

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

    def _cached(self, key: str) -> str | None:
        with self._lock:
            hit = self._names.get(key)
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def _remember(self, key: str, value: str) -> str:
        with self._lock:
            self._names[key] = (time.monotonic() + self.name_ttl, value)
        return value
