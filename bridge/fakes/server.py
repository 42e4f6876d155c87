"""The shared base of the local stand-ins: a real HTTP server on 127.0.0.1 in a thread.

A :class:`FakeServer` owns a ``ThreadingHTTPServer`` on an OS-chosen port, a lock for its
recorded state and a route table (method + path regex → handler) that subclasses fill
with :meth:`FakeServer.add_route`. Handlers get an :class:`HttpRequest`, return a
:class:`Reply`. Nothing is printed: logging is silenced; a handler's exception becomes
an HTTP 500 whose text is kept in :attr:`FakeServer.errors`.
"""

from __future__ import annotations

import functools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

Handler = Callable[["HttpRequest", "re.Match[str]"], "Reply"]


@dataclass(frozen=True)
class HttpRequest:
    """One request as the server received it (header names lower-cased)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-cased (``""`` when absent)."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def bearer_token(self) -> str | None:
        """The token of an ``Authorization: Bearer <token>`` header, if any."""
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        return (token.strip() or None) if scheme.lower() == "bearer" else None


@dataclass(frozen=True)
class Reply:
    """What a handler answers."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    """One entry of a server's route table."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    """A JSON answer."""
    body = json.dumps(payload).encode()
    return Reply(status, body, "application/json; charset=utf-8", dict(headers or {}))


def text_reply(status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> Reply:
    """A plain-text (or HTML) answer."""
    return Reply(status, text.encode(), content_type)


def parse_json(body: bytes) -> Any:
    """The JSON value of a body; ``ValueError`` when it is not JSON."""
    return json.loads(body.decode("utf-8"))


def parse_form(body: bytes) -> dict[str, str]:
    """A form-encoded body as a dict (the last value of a repeated key wins)."""
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


class WaitTimeoutError(AssertionError, TimeoutError):
    """Raised by :func:`wait_for`: both an assertion failure and a timeout."""


def wait_for(
    predicate: Callable[[], bool],
    timeout: float = 5.0,
    *,
    interval: float = 0.01,
    message: str | None = None,
) -> None:
    """Poll ``predicate`` until true; raise :class:`WaitTimeoutError` at the deadline."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            what = message or getattr(predicate, "__name__", "condition")
            raise WaitTimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


class _Server(ThreadingHTTPServer):
    """The stdlib server, pointing back at its fake; quiet about client disconnects."""

    daemon_threads = True
    request_queue_size = 128  # the default 5 drops bursts of concurrent connections

    def __init__(self, fake: FakeServer, address: tuple[str, int]) -> None:
        self.fake = fake
        super().__init__(address, _RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Keep quiet: a client that hangs up is not the fake's problem."""


class _RequestHandler(BaseHTTPRequestHandler):
    """Turns each HTTP request into an :class:`HttpRequest` and writes the :class:`Reply`."""

    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default logging to stderr."""

    def _handle(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = HttpRequest(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        reply = self.server.fake.dispatch(request)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle  # noqa: N815


class FakeServer:
    """Base class: start/stop, the route table, a lock and recorded handler errors."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._address = (host, port)
        self._lock = threading.RLock()
        self._routes: list[Route] = []
        self._errors: list[str] = []
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running server."""
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def errors(self) -> list[str]:
        """Exceptions raised by handlers (each answered with HTTP 500), as text."""
        with self._lock:
            return list(self._errors)

    def add_route(self, method: str, pattern: str, handler: Handler) -> None:
        """Answer ``method`` on paths fully matching the regex ``pattern`` with ``handler``."""
        with self._lock:
            self._routes.append(Route(method.upper(), re.compile(pattern), handler))

    def start(self) -> Self:
        """Bind the port and serve in a daemon thread; returns ``self``."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(self, self._address)
        name = f"{type(self).__name__}-{self._server.server_address[1]}"
        serve = functools.partial(self._server.serve_forever, poll_interval=0.02)
        self._thread = threading.Thread(target=serve, name=name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port (requests waiting in a delay end early)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def pause(self, seconds: float) -> None:
        """Wait ``seconds`` inside a request, or less if the server stops meanwhile."""
        if seconds > 0:
            self._stopping.wait(seconds)

    def dispatch(self, request: HttpRequest) -> Reply:
        """Run :meth:`before`, then the first matching route; a handler error is an HTTP 500."""
        try:
            early = self.before(request)
            if early is not None:
                return early
            return self._route(request)
        except Exception as error:  # noqa: BLE001 - the fake must answer, never crash
            with self._lock:
                self._errors.append(f"{request.method} {request.path}: {error!r}")
            return text_reply(500, f"fake server error: {error!r}")

    def before(self, request: HttpRequest) -> Reply | None:
        """Hook run before routing (recording, faults, auth); ``None`` lets the request on."""
        return None

    def not_found(self, request: HttpRequest) -> Reply:
        """The answer when no route matches."""
        return text_reply(404, f"no route for {request.method} {request.path}")

    def _route(self, request: HttpRequest) -> Reply:
        with self._lock:
            routes = list(self._routes)
        for route in routes:
            match = route.pattern.fullmatch(request.path)
            if match and route.method == request.method:
                return route.handler(request, match)
        return self.not_found(request)
