"""A small ``multipart/form-data`` parser (RFC 7578) for bodies of hundreds of MB.

The body is scanned with ``bytes.find`` for the delimiters; each part's content is a
``memoryview`` slice of the body, so nothing is copied. Filenames are decoded as
browsers and httpx encode them (UTF-8, ``"`` and control characters as ``%XX``), and
``filename*=utf-8''...`` (RFC 5987) is understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
_ESCAPED = re.compile(r"%(0[0-9A-Fa-f]|1[0-9A-Fa-f]|22)")
_MAX_BOUNDARY = 70


class MultipartError(ValueError):
    """The body is not well-formed ``multipart/form-data``."""


@dataclass(frozen=True)
class Part:
    """One part: its form field name, filename (None for a plain field) and content."""

    name: str
    filename: str | None
    content_type: str | None
    headers: dict[str, str]
    data: memoryview

    @property
    def size(self) -> int:
        """The content's length in bytes."""
        return self.data.nbytes

    def text(self) -> str:
        """The content as UTF-8 text (for plain fields)."""
        return self.data.tobytes().decode("utf-8", errors="replace")


def header_params(value: str) -> tuple[str, dict[str, str]]:
    """``'form-data; name="a"'`` → ``("form-data", {"name": "a"})`` (names lower-cased)."""
    main, _, _ = value.partition(";")
    params: dict[str, str] = {}
    for match in _PARAM.finditer(value[len(main) :]):
        key, raw = match.group(1).lower(), match.group(2).strip()
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params[key] = raw
    return main.strip().lower(), params


def boundary_of(content_type: str) -> bytes:
    """The boundary of a ``multipart/form-data`` Content-Type header value."""
    kind, params = header_params(content_type)
    boundary = params.get("boundary", "")
    if kind != "multipart/form-data":
        raise MultipartError(f"Content-Type is {kind or 'missing'}, not multipart/form-data")
    if not 0 < len(boundary) <= _MAX_BOUNDARY:
        raise MultipartError("the multipart boundary is missing or too long")
    return boundary.encode("latin-1", errors="replace")


def _filename(params: dict[str, str]) -> str | None:
    extended = params.get("filename*")
    if extended is not None:
        charset, _, rest = extended.partition("'")
        _, _, encoded = rest.partition("'")
        return unquote(encoded, encoding=charset or "utf-8", errors="replace")
    plain = params.get("filename")
    if plain is None:
        return None
    return _ESCAPED.sub(lambda match: chr(int(match.group(1), 16)), plain)


def _headers(block: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in block.decode("utf-8", errors="replace").split("\r\n"):
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise MultipartError(f"malformed part header line {line[:60]!r}")
        headers[name.strip().lower()] = value.strip()
    return headers


def _part(headers: dict[str, str], data: memoryview) -> Part:
    kind, params = header_params(headers.get("content-disposition", ""))
    if kind != "form-data" or "name" not in params:
        raise MultipartError("a part has no Content-Disposition: form-data; name=...")
    content_type = headers.get("content-type")
    return Part(params["name"], _filename(params), content_type, headers, data)


def parse_multipart(body: bytes, boundary: bytes) -> list[Part]:
    """Every part of ``body``, in order; :class:`MultipartError` when malformed."""
    dash = b"--" + boundary
    delimiter = b"\r\n" + dash
    view = memoryview(body)
    if body.startswith(dash):
        position = 0
    else:
        position = body.find(delimiter) + 2  # a preamble comes first
        if position < 2:
            raise MultipartError("the multipart boundary never appears in the body")
    parts: list[Part] = []
    while True:
        position += len(dash)
        if body[position : position + 2] == b"--":
            return parts
        line_end = body.find(b"\r\n", position)
        if line_end < 0 or body[position:line_end].strip(b" \t"):
            raise MultipartError("a boundary line is malformed or the body is cut short")
        start = line_end + 2
        if body[start : start + 2] == b"\r\n":
            header_end, content_start = start, start + 2
        else:
            header_end = body.find(b"\r\n\r\n", start)
            if header_end < 0:
                raise MultipartError("a part's headers never end")
            content_start = header_end + 4
        end = body.find(delimiter, content_start)
        if end < 0:
            raise MultipartError("the body ends before the closing boundary")
        parts.append(_part(_headers(body[start:header_end]), view[content_start:end]))
        position = end + 2
