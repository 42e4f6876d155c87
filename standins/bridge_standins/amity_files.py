"""Amity's upload endpoints and the attachment rules of create-post, for ``FakeAmity``.

``POST /api/v4/images``, ``/api/v4/videos`` and ``/api/v4/files`` take
``multipart/form-data``: the file part ``files`` (``file`` is accepted too), optional
text fields ``preferredFilename`` and ``accessType`` (``public`` | ``network``), and
``feedType=post`` (required on ``/videos``). The answer is a JSON array with one file
object per file part. Checks, in order (HTTP / Amity code):

* 400 / 400000: not multipart, malformed, a file under another field name, no file part;
* 413 / 500000: a file above the kind's limit (images and files 1 GiB, videos 2 GB),
  or above :attr:`AmityFileServer.max_upload_bytes` when set;
* 400 / 400000: ``feedType`` missing or not ``post`` on ``/videos``; a bad ``accessType``;
  a GIF (``image/gif`` part or ``.gif`` name) on ``/images``.

Create-post: every ``attachments[].fileId`` must have been uploaded here (else HTTP 404,
code 400400 "File not found <id>.") with the attachment's ``type`` (else 400 / 400000;
``clip`` goes with a video). Each attachment becomes a child post in ``postChildren``.
:attr:`AmityFileServer.check_file_ids` (default ``True``) can be turned off for tests that
post made-up IDs without uploading.
"""

from __future__ import annotations

import copy
import hashlib
import mimetypes
import re
import secrets
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from bridge_standins import amity_rules as rules
from bridge_standins.amity_rules import AmityApiError
from bridge_standins.multipart import MultipartError, Part, boundary_of, parse_multipart
from bridge_standins.server import FakeServer, HttpRequest, Reply, json_reply

GIB = 1_073_741_824
LIMITS = {"image": GIB, "file": GIB, "video": 2_000_000_000}
KINDS = {"images": "image", "videos": "video", "files": "file"}
FILE_FIELDS = ("files", "file")
ACCESS_TYPES = ("public", "network")
_ATTACHABLE = {"image": {"image"}, "file": {"file"}, "video": {"video", "clip"}}


@dataclass(frozen=True)
class Upload:
    """One accepted uploaded file.

    ``filename``: ``preferredFilename`` if sent, else the part's filename; ``mimetype``:
    the part's Content-Type as sent (``""`` if none); ``fields``: every text field.
    """

    kind: str
    file_id: str
    filename: str
    size: int
    sha256: str
    mimetype: str
    fields: dict[str, str]


def _bad(message: str) -> AmityApiError:
    return AmityApiError(400, 400000, message)


def _split(parts: list[Part]) -> tuple[list[Part], dict[str, str]]:
    """The file parts and the text fields (the last value of a repeated field wins)."""
    files: list[Part] = []
    fields: dict[str, str] = {}
    for part in parts:
        if part.filename is None:
            fields[part.name] = part.text()
        elif part.name in FILE_FIELDS:
            files.append(part)
        else:
            raise _bad(f"Unexpected field: a file was sent as '{part.name}', not 'files'")
    if not files:
        raise _bad("Parameters error: 'files' is required (a multipart file part named files)")
    return files, fields


def _is_gif(part: Part, fields: dict[str, str]) -> bool:
    names = (part.filename or "", fields.get("preferredFilename", ""))
    gif_type = (part.content_type or "").split(";")[0].strip().lower() == "image/gif"
    return gif_type or any(name.lower().endswith(".gif") for name in names)


def _check(kind: str, files: list[Part], fields: dict[str, str], limit: int) -> None:
    for part in files:
        if part.size > limit:
            raise AmityApiError(413, 500000, f"Payload Too Large: {part.size} > {limit} bytes")
    if kind == "video" and fields.get("feedType") != "post":
        raise _bad("Parameters error: 'feedType' is required and must be 'post'")
    if fields.get("accessType", "public") not in ACCESS_TYPES:
        raise _bad("Parameters error: 'accessType' must be one of public, network")
    if kind == "image" and any(_is_gif(part, fields) for part in files):
        raise _bad("GIF is not supported as an image; upload it as a file")


class AmityFileServer(FakeServer):
    """The base of ``FakeAmity``: uploads, uploaded files and attachment children."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.max_upload_bytes: int | None = None
        self.check_file_ids: bool = True
        self._uploads: list[Upload] = []
        self._files: dict[str, dict[str, Any]] = {}
        self._children: dict[str, list[dict[str, Any]]] = {}
        self.add_route("POST", r"/api/v4/(?P<kind>images|videos|files)", self._upload)

    @property
    def uploads(self) -> list[Upload]:
        """Every accepted uploaded file, oldest first."""
        with self._lock:
            return copy.deepcopy(self._uploads)

    def uploaded_file(self, file_id: str) -> dict[str, Any] | None:
        """A copy of the file object answered for an upload, or None."""
        with self._lock:
            return copy.deepcopy(self._files.get(file_id))

    def upload_limit(self, kind: str) -> int:
        """The size limit of ``image``, ``video`` or ``file`` (lowered by ``max_upload_bytes``)."""
        lowered = self.max_upload_bytes
        return LIMITS[kind] if lowered is None else min(LIMITS[kind], lowered)

    def _upload(self, request: HttpRequest, match: re.Match[str]) -> Reply:
        kind = KINDS[match["kind"]]
        try:
            boundary = boundary_of(request.headers.get("content-type", ""))
            files, fields = _split(parse_multipart(request.body, boundary))
            _check(kind, files, fields, self.upload_limit(kind))
        except MultipartError as error:
            return _bad(f"Bad Request: {error}").reply()
        except AmityApiError as error:
            return error.reply()
        return json_reply(200, [self._keep(kind, part, fields) for part in files])

    def _keep(self, kind: str, part: Part, fields: dict[str, str]) -> dict[str, Any]:
        """Record one uploaded file; returns its file object."""
        file_id = secrets.token_hex(16)
        name = fields.get("preferredFilename") or part.filename or "file"
        guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
        now = rules.now_iso()
        attributes = {
            "name": name,
            "extension": PurePosixPath(name).suffix.lstrip(".").lower(),
            "size": part.size,
            "mimeType": (part.content_type or "").split(";")[0].strip() or guessed,
            "metadata": {},
        }
        file = {
            "fileId": file_id,
            "fileUrl": f"{self.url}/api/v3/files/{file_id}/download",
            "type": kind,
            "accessType": fields.get("accessType", "public"),
            "createdAt": now,
            "updatedAt": now,
            "attributes": attributes,
        }
        digest = hashlib.sha256(part.data).hexdigest()
        upload = Upload(kind, file_id, name, part.size, digest, part.content_type or "", fields)
        with self._lock:
            self._files[file_id] = file
            self._uploads.append(upload)
        return copy.deepcopy(file)

    def check_attachments(self, body: dict[str, Any]) -> None:
        """Refuse attachments naming a file not uploaded here, or of another type."""
        with self._lock:
            strict = self.check_file_ids
            for attachment in body.get("attachments") or []:
                file_id, wanted = str(attachment["fileId"]), str(attachment["type"])
                file = self._files.get(file_id)
                if file is None and strict:
                    raise AmityApiError(404, 400400, f"File not found {file_id}.")
                if file is None:
                    continue
                if wanted not in _ATTACHABLE[file["type"]]:
                    raise _bad(
                        f"Parameters error: file {file_id} is a {file['type']}, not {wanted}"
                    )

    def attach(self, post: dict[str, Any], body: dict[str, Any]) -> None:
        """Keep the attachments on ``post`` and make one child post per attachment."""
        attachments = [dict(attachment) for attachment in body.get("attachments") or []]
        if not attachments:
            return
        parent = {key: post[key] for key in ("targetType", "targetId", "createdAt")}
        children = []
        for attachment in attachments:
            child = rules.build_post(parent, rules.new_object_id())
            child_id = child["postId"]
            child["parentPostId"] = post["postId"]
            child["path"] = f"{post['path']}/children/{child_id}"
            child["dataType"] = attachment["type"]
            child["data"] = {"fileId": attachment["fileId"]}
            children.append(child)
        post["attachments"] = attachments
        post["children"] = [child["postId"] for child in children]
        with self._lock:
            self._children[post["postId"]] = children

    def attached(self, post_id: str) -> dict[str, list[dict[str, Any]]]:
        """``postChildren`` and ``files`` of a post's answer (empty lists if none)."""
        with self._lock:
            children = copy.deepcopy(self._children.get(post_id, []))
            ids = dict.fromkeys(child["data"]["fileId"] for child in children)
            files = [copy.deepcopy(self._files[i]) for i in ids if i in self._files]
        return {"postChildren": children, "files": files}
