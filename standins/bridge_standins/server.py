"""The shared base of the local stand-ins: a real HTTP server on 127.0.0.1 in a thread.

A :class:`FakeServer` owns a ``ThreadingHTTPServer`` on an OS-chosen port, a lock for its
recorded state and a route table (method + path regex → handler) that subclasses fill
with :meth:`FakeServer.add_route`. Handlers get an :class:`HttpRequest`, return a
:class:`Reply` (a body, or a ``stream`` of chunks for large answers; see
:mod:`bridge_standins.wire`). Request bodies come with ``Content-Length`` or chunked.
Nothing is printed: logging is silenced; a handler's exception becomes an HTTP 500
whose text is kept in :attr:`FakeServer.errors`.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from bridge_standins.wire import (
    BadRequestError,
    HttpRequest,
    Reply,
    hang_up,
    json_reply,
    parse_form,
    parse_json,
    read_body,
    text_reply,
    write_reply,
)

__all__ = [
    "FakeServer",
    "Handler",
    "HttpRequest",
    "Reply",
    "UrlRule",
    "WaitTimeoutError",
    "hang_up",
    "json_reply",
    "parse_form",
    "parse_json",
    "text_reply",
    "wait_for",
]

Handler = Callable[["HttpRequest", "re.Match[str]"], "Reply"]


@dataclass(frozen=True)
class UrlRule:
    """One entry of a server's route table."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler


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
        headers = {name.lower(): value for name, value in self.headers.items()}
        fake = self.server.fake
        try:
            body = read_body(self.rfile, headers)
        except BadRequestError as error:
            self.close_connection = True
            self.send_error(400, str(error))
            return
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        request = HttpRequest(self.command, split.path, query, headers, body)
        del body  # the request holds the only reference: large uploads are freed with it
        reply = fake.dispatch(request)
        if reply.hang_up:
            self.close_connection = True
            return
        complete = write_reply(
            self.wfile,
            self._start,
            reply,
            stopping=fake.is_stopping,
            on_error=lambda error: fake.record_error(f"{request.method} {request.path}", error),
        )
        if not complete:
            self.close_connection = True

    def _start(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle  # noqa: N815


class FakeServer:
    """Base class: start/stop, the route table, a lock and recorded handler errors."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._address = (host, port)
        self._lock = threading.RLock()
        self._routes: list[UrlRule] = []
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
            self._routes.append(UrlRule(method.upper(), re.compile(pattern), handler))

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

    def is_stopping(self) -> bool:
        """Whether :meth:`stop` has been called (streams being written stop early)."""
        return self._stopping.is_set()

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
            self.record_error(f"{request.method} {request.path}", error)
            return text_reply(500, f"fake server error: {error!r}")

    def record_error(self, where: str, error: BaseException) -> None:
        """Keep an error (a handler's, or a stream's raised while answering) in :attr:`errors`."""
        with self._lock:
            self._errors.append(f"{where}: {error!r}")

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
