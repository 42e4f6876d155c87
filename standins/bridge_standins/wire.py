"""The HTTP messages of the local stand-ins and how they cross the socket.

:class:`HttpRequest` is what a handler receives, :class:`Reply` what it answers. A reply
carries either a ``body`` (sent with its ``Content-Length``) or a ``stream``: an iterable
of byte chunks written one by one, so that a file of hundreds of MB is served without
being held in memory. :func:`read_body` reads a request body given by ``Content-Length``
or sent with ``Transfer-Encoding: chunked``; :func:`write_reply` writes a reply.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from io import BufferedIOBase
from typing import Any
from urllib.parse import parse_qsl

_MAX_LINE = 65_536


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
    """What a handler answers.

    With ``stream``, ``body`` is ignored and the chunks are written as they come; the
    ``Content-Length`` header is sent only when ``headers`` carry it (otherwise the end
    of the body is the end of the connection). The stream is closed (``close()``, when
    it has one) once written, or when the client hangs up. With ``hang_up`` nothing is
    written: the connection is closed, as a crashed server or a cut network does.
    """

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    stream: Iterable[bytes] | None = None
    hang_up: bool = False


def hang_up() -> Reply:
    """No answer at all: the connection is closed once the request is read."""
    return Reply(0, hang_up=True)


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


class BadRequestError(ValueError):
    """The request's framing is broken (bad ``Content-Length`` or chunk size)."""


def read_body(rfile: BufferedIOBase, headers: dict[str, str]) -> bytes:
    """The request body: chunked, else ``Content-Length`` bytes (a single allocation)."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return _read_chunked(rfile)
    try:
        length = int(headers.get("content-length") or 0)
    except ValueError:
        raise BadRequestError("Content-Length is not a number") from None
    if length < 0:
        raise BadRequestError("Content-Length is negative")
    body = rfile.read(length) if length else b""
    if len(body) != length:
        raise BadRequestError(f"body ended after {len(body)} of {length} bytes")
    return body


def _read_chunked(rfile: BufferedIOBase) -> bytes:
    chunks: list[bytes] = []
    while True:
        line = rfile.readline(_MAX_LINE)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise BadRequestError(f"bad chunk size line {line[:40]!r}") from None
        if size == 0:
            break
        chunk = rfile.read(size)
        if len(chunk) != size or rfile.readline(_MAX_LINE) not in {b"\r\n", b"\n"}:
            raise BadRequestError("chunk shorter than announced")
        chunks.append(chunk)
    while rfile.readline(_MAX_LINE) not in {b"\r\n", b"\n", b""}:
        pass  # trailer fields are ignored
    return b"".join(chunks)


def write_reply(
    wfile: BufferedIOBase,
    start: Callable[[int, list[tuple[str, str]]], None],
    reply: Reply,
    *,
    stopping: Callable[[], bool],
    on_error: Callable[[BaseException], None],
) -> bool:
    """Send ``reply``: ``start(status, headers)`` writes the head, then the body goes out.

    A streamed body stops early when ``stopping()`` turns true, when the client hangs up,
    or when the stream raises (``on_error`` gets the exception). Returns whether the
    whole body was written.
    """
    headers = [("Content-Type", reply.content_type)] if reply.content_type else []
    if reply.stream is None:
        headers.append(("Content-Length", str(len(reply.body))))
    headers += list(reply.headers.items())
    start(reply.status, headers)
    if reply.stream is None:
        return _write(wfile, reply.body)
    iterator = iter(reply.stream)
    try:
        return _pump(wfile, iterator, stopping, on_error)
    finally:
        close = getattr(iterator, "close", None)
        if callable(close):
            close()


def _pump(
    wfile: BufferedIOBase,
    iterator: Iterator[bytes],
    stopping: Callable[[], bool],
    on_error: Callable[[BaseException], None],
) -> bool:
    while not stopping():
        try:
            chunk = next(iterator)
        except StopIteration:
            return True
        except Exception as error:  # noqa: BLE001 - a broken stream ends the body, not the server
            on_error(error)
            return False
        if not _write(wfile, chunk):
            return False
    return False


def _write(wfile: BufferedIOBase, data: bytes) -> bool:
    """Write; ``False`` when the client has gone away."""
    try:
        wfile.write(data)
        wfile.flush()
    except OSError:
        return False
    return True
