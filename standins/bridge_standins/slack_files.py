"""Slack's hosted files for ``FakeSlack``: file objects, ``files.info`` and downloads.

``url_private_download`` is ``<url>/files-pri/<team>-<id>/download/<name>`` and
``url_private`` ``<url>/files-pri/<team>-<id>/<name>``. Both need ``Authorization: Bearer
<bot token>`` and the ``files:read`` scope; without them Slack answers HTTP 200 with an
HTML sign-in page, not an error, and so does the fake. A file is served as chosen by
:meth:`SlackFileServer.add_file`: ``plain`` (streamed in 64 KiB chunks), ``redirect``
(HTTP 302 to the same path on :attr:`SlackFileServer.foreign`, a second server that
answers without any auth, like a CDN), ``html`` (always the sign-in page), ``slow``
(a pause between chunks) or ``truncated`` (the full ``Content-Length``, half the bytes,
then the connection closes).
"""

from __future__ import annotations

import copy
import mimetypes
import re
import secrets
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import quote, unquote

from bridge_standins.server import FakeServer, HttpRequest, Reply, text_reply
from bridge_standins.slack_model import Download, MethodRefused

ServeMode = Literal["plain", "redirect", "html", "slow", "truncated"]
CHUNK = 64 * 1024
NO_URL_MODES = ("tombstone", "external")
FILES_PATH = re.compile(r"/files-pri/(?P<team>[^/-]+)-(?P<id>[^/]+)(?:/download)?/(?P<name>[^/]+)")
SIGN_IN_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Slack</title></head>\n'
    "<body><main><h1>Sign in to Slack</h1>\n"
    "<p>Enter your workspace's Slack URL to continue.</p>\n"
    '<form action="/signin" method="post"><input name="domain"><button>Continue</button></form>\n'
    "</main></body></html>\n"
)


@dataclass(frozen=True)
class _Stored:
    file: dict[str, Any]
    content: bytes | Path
    serve: ServeMode
    chunk_delay: float


def sign_in_page() -> Reply:
    """What Slack answers a file URL without a valid token or the ``files:read`` scope."""
    return text_reply(200, SIGN_IN_PAGE, "text/html; charset=utf-8")


def new_file_id() -> str:
    """A fresh Slack-like file ID (``F`` and 10 upper-case letters or digits)."""
    alphabet = string.ascii_uppercase + string.digits
    return "F" + "".join(secrets.choice(alphabet) for _ in range(10))


def file_stub(file: dict[str, Any]) -> dict[str, Any]:
    """The short form Slack sends for some files: only ``files.info`` tells the rest."""
    return {"id": file["id"], "mode": file.get("mode", "hosted"), "file_access": "check_file_info"}


def _chunks(content: bytes | Path, limit: int, pause: float, server: FakeServer) -> Iterator[bytes]:
    """The first ``limit`` bytes of ``content`` in 64 KiB chunks (the file is closed after)."""
    if isinstance(content, Path):
        with content.open("rb") as source:
            yield from _paced(iter(lambda: source.read(CHUNK), b""), limit, pause, server)
    else:
        pieces = (content[start : start + CHUNK] for start in range(0, len(content), CHUNK))
        yield from _paced(pieces, limit, pause, server)


def _paced(
    pieces: Iterator[bytes], limit: int, pause: float, server: FakeServer
) -> Iterator[bytes]:
    sent = 0
    for piece in pieces:
        if sent >= limit:
            return
        if sent and pause:
            server.pause(pause)
        chunk = piece[: limit - sent]
        sent += len(chunk)
        yield chunk


def _size(content: bytes | Path) -> int:
    return content.stat().st_size if isinstance(content, Path) else len(content)


class ForeignHost(FakeServer):
    """The host a ``redirect`` file points to: serves files without auth, records requests."""

    def __init__(self, origin: SlackFileServer, host: str = "127.0.0.1") -> None:
        super().__init__(host, 0)
        self._origin = origin
        self._requests: list[Download] = []
        self.add_route("GET", FILES_PATH.pattern, self._serve)

    @property
    def requests(self) -> list[Download]:
        """Every request received, in order."""
        with self._lock:
            return copy.deepcopy(self._requests)

    def before(self, request: HttpRequest) -> Reply | None:
        """Record the request."""
        with self._lock:
            self._requests.append(Download(request.path, dict(request.headers)))
        return None

    def _serve(self, request: HttpRequest, match: re.Match[str]) -> Reply:
        stored = self._origin.lookup(match)
        if stored is None:
            return text_reply(404, "file not found")
        return _stream(stored, "plain", self)


class SlackFileServer(FakeServer):
    """The base of ``FakeSlack``: hosted files, their URLs and the foreign (CDN) host."""

    bot_token: str
    scopes: list[str]

    def __init__(self, team_id: str, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self._team_id = team_id
        self._files: dict[str, _Stored] = {}
        self._downloads: list[Download] = []
        self.foreign = ForeignHost(self, host)
        self.add_route("GET", FILES_PATH.pattern, self._download)

    def start(self) -> Self:
        """Start this server and :attr:`foreign`."""
        super().start()
        self.foreign.start()
        return self

    def stop(self) -> None:
        """Stop :attr:`foreign` and this server."""
        self.foreign.stop()
        super().stop()

    def add_file(
        self,
        file: dict[str, Any],
        content: bytes | Path = b"",
        *,
        serve: ServeMode = "plain",
        chunk_delay: float = 0.02,
    ) -> dict[str, Any]:
        """Complete and store a file object; returns it (for a message's ``files``).

        Fills what ``file`` lacks: ``id`` (fresh ``F...``), ``name`` (the Path's name, else
        ``file.bin``), ``title``, ``mimetype``, ``filetype``, ``size`` (of ``content``),
        ``mode`` (``hosted``) and both URLs. A ``tombstone`` or ``external`` file is kept
        as given (only ``id`` filled) and has no URL. The server must be started.
        """
        given = copy.deepcopy(file)
        given.setdefault("id", new_file_id())
        if given.get("mode") in NO_URL_MODES:
            stored = _Stored(given, b"", "html", 0.0)
        else:
            default_name = content.name if isinstance(content, Path) else "file.bin"
            name = str(given.setdefault("name", default_name))
            guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
            given.setdefault("title", name)
            given.setdefault("mimetype", guessed)
            given.setdefault("filetype", Path(name).suffix.lstrip(".").lower() or "binary")
            given.setdefault("size", _size(content))
            given.setdefault("mode", "hosted")
            base = f"{self.url}/files-pri/{self._team_id}-{given['id']}"
            given.setdefault("url_private", f"{base}/{quote(name)}")
            given.setdefault("url_private_download", f"{base}/download/{quote(name)}")
            stored = _Stored(given, content, serve, chunk_delay)
        with self._lock:
            self._files[given["id"]] = stored
        return copy.deepcopy(given)

    @property
    def downloads(self) -> list[Download]:
        """Every GET under ``/files-pri`` on this server (not :attr:`foreign`), in order."""
        with self._lock:
            return copy.deepcopy(self._downloads)

    def files_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """The ``files.info`` Web API method."""
        if "files:read" not in self.scopes:
            raise MethodRefused("missing_scope")
        stored = self._files.get(str(params.get("file")))
        if stored is None:
            raise MethodRefused("file_not_found")
        if stored.file.get("mode") == "tombstone":
            raise MethodRefused("file_deleted")
        file = copy.deepcopy(stored.file)
        return {"ok": True, "file": file, "comments": [], "response_metadata": {"next_cursor": ""}}

    def before(self, request: HttpRequest) -> Reply | None:
        """Record file downloads."""
        if request.method == "GET" and request.path.startswith("/files-pri/"):
            with self._lock:
                self._downloads.append(Download(request.path, dict(request.headers)))
        return None

    def _download(self, request: HttpRequest, match: re.Match[str]) -> Reply:
        with self._lock:
            allowed = request.bearer_token() == self.bot_token and "files:read" in self.scopes
        if not allowed:
            return sign_in_page()
        stored = self.lookup(match)
        if stored is None:
            return text_reply(404, "file not found")
        if stored.serve == "html":
            return sign_in_page()
        if stored.serve == "redirect":
            location = self.foreign.url + request.path
            return Reply(302, content_type="", headers={"Location": location})
        return _stream(stored, stored.serve, self)

    def lookup(self, match: re.Match[str]) -> _Stored | None:
        """The downloadable file a ``/files-pri`` path names (team, id and name must match)."""
        with self._lock:
            stored = self._files.get(unquote(match["id"]))
        if stored is None or stored.file.get("mode") in NO_URL_MODES:
            return None
        if match["team"] != self._team_id or unquote(match["name"]) != stored.file.get("name"):
            return None
        return stored


def _stream(stored: _Stored, serve: ServeMode, server: FakeServer) -> Reply:
    """The file's bytes as a streamed answer, shaped by ``serve``."""
    size = _size(stored.content)
    headers = {"Content-Length": str(size)}
    if serve == "truncated":
        headers["Connection"] = "close"
    limit = size // 2 if serve == "truncated" else size
    pause = stored.chunk_delay if serve == "slow" else 0.0
    return Reply(
        200,
        content_type=str(stored.file.get("mimetype") or "application/octet-stream"),
        headers=headers,
        stream=_chunks(stored.content, limit, pause, server),
    )
