"""Files: which attachments of a Slack message go to Amity, and fetching them from Slack.

``plan`` decides per file: image, video or file attachment, or skipped with a reason the
person can read (deleted, external, too large, past the 10th). Amity documents JPEG and PNG
as its image formats, so only those go as images; other images (GIF, WebP, HEIC, SVG,
TIFF, BMP) go as files, which Amity takes whatever their format. ``Downloader`` streams a
file from Slack into a spooled temporary file (memory stays bounded whatever the size),
following redirects by hand. It fetches only Slack file URLs
(:func:`bridge.slack.filehosts.is_slack_file_url`: Slack's file hosts over HTTPS, or the
exact origin of ``SLACK_API_URL``), every redirect hop checked the same way, so the bot
token goes nowhere else; any other URL raises :class:`NotSlackFile` before it is
contacted, and the file is skipped with that reason. Slack's HTML sign-in page (what
Slack answers without the ``files:read`` scope) is recognised and refused.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import IO, Literal
from urllib.parse import urljoin

import httpx

from bridge.amity.post import MAX_ATTACHMENTS
from bridge.slack.api import SlackRejected, SlackRetryable
from bridge.slack.filehosts import NOT_A_SLACK_FILE, REDIRECTED_AWAY, is_slack_file_url
from bridge.slack.message import SlackFile

AttachmentType = Literal["image", "video", "file"]  # Amity's attachment ``type``
IMAGE_TYPES = frozenset({"image/jpeg", "image/jpg", "image/pjpeg", "image/png"})
IMAGE_FILETYPES = frozenset({"jpg", "jpeg", "png"})
AMITY_LIMITS: dict[str, int] = {"image": 1 << 30, "file": 1 << 30, "video": 2_000_000_000}
MAX_REDIRECTS = 5
CHUNK = 1 << 16
SPOOL = 1 << 20  # bytes kept in memory before a download spills to disk
LOGIN_PAGE = (
    "Slack sent its sign-in page instead of the file: the Slack app lacks the files:read "
    "permission. An admin must add files:read (it is in manifest.yml) and reinstall the app."
)


@dataclass(frozen=True)
class Planned:
    """A file that goes to Amity, as this type of attachment."""

    file: SlackFile
    type: AttachmentType


@dataclass(frozen=True)
class Skipped:
    """A file that does not, and why."""

    name: str
    reason: str


def attachment_type(file: SlackFile) -> AttachmentType:
    """JPEG and PNG as images, videos as videos, everything else (other images too) as files."""
    mimetype = (file.mimetype or "").lower()
    if mimetype in IMAGE_TYPES or (not mimetype and file.filetype in IMAGE_FILETYPES):
        return "image"
    if mimetype.startswith("video/"):
        return "video"
    return "file"


def needs_info(file: SlackFile) -> bool:
    """Slack Connect and similar files must be looked up with ``files.info`` first."""
    if file.mode in ("tombstone", "external"):
        return False
    return file.file_access == "check_file_info" or not file.url_private_download


def megabytes(size: int) -> str:
    """A size for people."""
    return f"{size / 1_000_000:.0f} MB" if size >= 1_000_000 else f"{size / 1000:.0f} kB"


def plan(
    files: list[SlackFile], max_bytes: int, api_url: str | None = None
) -> tuple[list[Planned], list[Skipped]]:
    """Which files go (at most 10, in order) and which are skipped, with reasons; with
    ``api_url``, a file whose link is not a Slack file URL is skipped as the download would."""
    going: list[Planned] = []
    skipped: list[Skipped] = []
    for file in files:
        name = file.name or file.title or file.id
        type_ = attachment_type(file)
        limit = min(max_bytes, AMITY_LIMITS[type_])
        url = file.url_private_download or file.url_private
        if file.mode == "tombstone":
            skipped.append(Skipped(name, "deleted in Slack"))
        elif file.mode == "external":
            skipped.append(
                Skipped(
                    name,
                    "an external file (Google Drive and the like): "
                    "put its link in the text instead",
                )
            )
        elif api_url is not None and url and not is_slack_file_url(url, api_url):
            skipped.append(Skipped(name, NOT_A_SLACK_FILE))
        elif file.size is not None and file.size > limit:
            skipped.append(
                Skipped(
                    name, f"too large ({megabytes(file.size)}; the limit is {megabytes(limit)})"
                )
            )
        elif len(going) >= MAX_ATTACHMENTS:
            skipped.append(Skipped(name, f"a post takes at most {MAX_ATTACHMENTS} attachments"))
        else:
            going.append(Planned(file, type_))
    return going, skipped


class NotSlackFile(SlackRejected):
    """The file's URL, or a redirect from it, is not a Slack file URL: never fetched."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}", "not_slack_file")
        self.reason = reason


class Downloader:
    """Fetches Slack files with the bot token, into spooled temporary files."""

    def __init__(self, http: httpx.Client, token: str, api_url: str) -> None:
        self.http = http
        self.token = token
        self.api_url = api_url

    def fetch(self, file: SlackFile, max_bytes: int) -> IO[bytes]:
        """The file's bytes in a temporary file positioned at 0; the caller closes it."""
        url = file.url_private_download or file.url_private
        if not url:
            raise SlackRejected(f"{file.name or file.id}: Slack gave no download link")
        reason = NOT_A_SLACK_FILE
        for _ in range(MAX_REDIRECTS + 1):
            if not is_slack_file_url(url, self.api_url):
                raise NotSlackFile(file.name or file.id, reason)
            headers = {"Authorization": f"Bearer {self.token}"}
            try:
                with self.http.stream("GET", url, headers=headers) as response:
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        reason = REDIRECTED_AWAY
                        continue
                    return self._save(file, response, max_bytes)
            except httpx.TransportError as error:
                raise SlackRetryable(
                    f"downloading {file.name} failed: {type(error).__name__}"
                ) from error
        raise SlackRejected(f"{file.name}: too many redirects from Slack")

    def _save(self, file: SlackFile, response: httpx.Response, max_bytes: int) -> IO[bytes]:
        check_response(file, response)
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115 (returned open)
        try:
            copy_body(file, response, spool, max_bytes)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool


def copy_body(file: SlackFile, response: httpx.Response, out: IO[bytes], max_bytes: int) -> None:
    """Stream the body into ``out``, refusing an HTML page, an oversize or a cut-off file."""
    total = 0
    for chunk in response.iter_bytes(CHUNK):
        if total == 0 and looks_like_html(chunk, file):
            raise SlackRejected(LOGIN_PAGE, "login_page")
        total += len(chunk)
        if total > max_bytes:
            raise SlackRejected(f"{file.name} is larger than {megabytes(max_bytes)}")
        out.write(chunk)
    if file.size is not None and total != file.size:
        raise SlackRetryable(f"downloading {file.name} stopped at {total} of {file.size} bytes")


def check_response(file: SlackFile, response: httpx.Response) -> None:
    """Refuse error answers and the HTML sign-in page before reading the body."""
    status = response.status_code
    if status == 429 or status >= 500:
        raise SlackRetryable(f"Slack answered {status} for {file.name}")
    if status in (401, 403):
        raise SlackRejected(LOGIN_PAGE, "login_page")
    if status == 404:
        raise SlackRejected(f"{file.name} was not found in Slack (was it deleted?)")
    if status != 200:
        raise SlackRejected(f"Slack answered {status} for {file.name}")
    content_type = response.headers.get("content-type", "").lower()
    if content_type.startswith("text/html") and not is_html_file(file):
        raise SlackRejected(LOGIN_PAGE, "login_page")


def is_html_file(file: SlackFile) -> bool:
    """The file really is an HTML document."""
    return (file.mimetype or "").lower().startswith("text/html") or file.filetype == "html"


def looks_like_html(first: bytes, file: SlackFile) -> bool:
    """The first bytes are an HTML page (and the file is not HTML)."""
    head = first[:64].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) and not is_html_file(file)
