"""Amity at the httpx seam for unit tests: an ``AmityClient`` over ``httpx.MockTransport``
that answers each request from a queue (or with a created post / an uploaded file) and
records every request."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx

from bridge.amity.client import AmityClient


@dataclass
class AmityDouble:
    """Answers queued per path (``status``, JSON body); otherwise success."""

    queued: dict[str, deque[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def answer(self, path: str, status: int, body: dict[str, Any]) -> None:
        """Answer the next request to ``path`` with ``status`` and ``body``."""
        self.queued.setdefault(path, deque()).append((status, body))

    def posts(self) -> list[dict[str, Any]]:
        """The bodies of the create-post requests."""
        return [json.loads(r.content) for r in self.requests if r.url.path == "/api/v4/posts"]

    def uploads(self) -> list[str]:
        """The paths of the upload requests, in order."""
        return [r.url.path for r in self.requests if r.url.path != "/api/v4/posts"]

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        path = request.url.path
        if self.queued.get(path):
            status, body = self.queued[path].popleft()
            return httpx.Response(status, json=body)
        if path == "/api/v4/posts":
            sent = json.loads(request.content)
            post = {"postId": sent["postId"], "targetId": sent["targetId"]}
            return httpx.Response(200, json={"posts": [post]})
        return httpx.Response(200, json=[{"fileId": f"amity-{len(self.requests)}"}])

    def client(self) -> AmityClient:
        """A client that sends every request here."""
        http = httpx.Client(
            base_url="https://apix.eu.amity.co/", transport=httpx.MockTransport(self.handle)
        )
        return AmityClient(http)
