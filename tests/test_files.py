"""Which files go to Amity, and downloading them safely (httpx.MockTransport)."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from bridge.delivery.files import Downloader, NotSlackFile, attachment_type, needs_info, plan
from bridge.slack.api import SlackRejected, SlackRetryable
from bridge.slack.filehosts import is_slack_file_url
from bridge.slack.message import SlackFile

MB = 1_000_000


def f(
    name: str, mimetype: str = "image/png", size: int | None = 1000, **extra: object
) -> SlackFile:
    return SlackFile.model_validate(
        {
            "id": "F" + name.upper().replace(".", ""),
            "name": name,
            "mimetype": mimetype,
            "size": size,
            "mode": "hosted",
            "url_private_download": f"https://files.slack.com/{name}",
            **extra,
        }
    )


@pytest.mark.parametrize(
    ("mimetype", "filetype", "kind"),
    [
        ("image/png", "png", "image"),
        ("image/jpeg", "jpg", "image"),
        ("image/gif", "gif", "file"),
        ("image/webp", "webp", "file"),
        ("image/heic", "heic", "file"),
        ("image/svg+xml", "svg", "file"),
        ("image/tiff", "tiff", "file"),
        ("image/bmp", "bmp", "file"),
        ("", "jpg", "image"),
        ("video/mp4", "mp4", "video"),
        ("video/quicktime", "mov", "video"),
        ("application/pdf", "pdf", "file"),
        ("text/plain", "text", "file"),
    ],
)
def test_attachment_types(mimetype: str, filetype: str, kind: str) -> None:
    """JPEG and PNG as images (Amity's image formats), videos, and every other file,
    other images included, as a file."""
    assert attachment_type(f("x", mimetype, filetype=filetype)) == kind


def test_plan_skips_with_reasons() -> None:
    """Deleted, external and too-large files are skipped, each with a reason."""
    files = [
        f("ok.png"),
        f("gone.png", mode="tombstone"),
        f("doc", "application/pdf", mode="external"),
        f("big.mov", "video/quicktime", size=150 * MB),
    ]
    going, skipped = plan(files, 100 * MB)
    assert [p.file.name for p in going] == ["ok.png"]
    assert [s.name for s in skipped] == ["gone.png", "doc", "big.mov"]
    assert skipped[0].reason == "deleted in Slack"
    assert skipped[1].reason.startswith("an external file") and "link" in skipped[1].reason
    assert "150 MB; the limit is 100 MB" in skipped[2].reason


def test_plan_takes_the_first_ten() -> None:
    """Eleven files: the first ten go, the eleventh is listed."""
    going, skipped = plan([f(f"p{n}.png") for n in range(11)], 100 * MB)
    assert len(going) == 10 and [s.name for s in skipped] == ["p10.png"]
    assert "at most 10" in skipped[0].reason


def test_needs_info() -> None:
    """check_file_info or no download URL means files.info first; tombstones never."""
    assert needs_info(f("a.png", file_access="check_file_info"))
    assert needs_info(SlackFile(id="F1", name="a.png"))
    assert not needs_info(f("a.png"))
    assert not needs_info(SlackFile(id="F1", mode="tombstone"))


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://files.slack.com/files-pri/T1-F1/download/a.pdf", True),
        ("https://files-origin.slack.com/files-pri/T1-F1/a.pdf", True),
        ("https://slack-files.com/T1-F1-abc", True),
        ("https://files.slack-gov.com/f", True),
        ("https://FILES.slack.com:443/f", True),
        ("https://files.slack.com:8443/f", False),
        ("https://user@files.slack.com/f", False),
        ("http://files.slack.com/f", False),
        ("https://slack.com/f", False),  # not the API origin configured here
        ("https://evil.slack.com/f", False),
        ("https://evil-slack.com/f", False),
        ("https://files.slack.com.evil.io/f", False),
        ("ftp://files.slack.com/f", False),
        ("https://files.slack.com:99999/f", False),
        ("http://127.0.0.1:8000/files", True),
        ("https://127.0.0.1:8000/files", False),
        ("http://127.0.0.1:9000/files", False),
        ("http://localhost:8000/files", False),
    ],
)
def test_only_slack_file_urls(url: str, allowed: bool) -> None:
    """Slack's file hosts over HTTPS and SLACK_API_URL's exact origin only."""
    assert is_slack_file_url(url, "http://127.0.0.1:8000/api/") is allowed


def test_the_default_api_origin_is_allowed() -> None:
    """With Slack's own API URL, https://slack.com is that origin."""
    assert is_slack_file_url("https://slack.com/files-pri/x", "https://slack.com/api/")


def downloader(handler: httpx.MockTransport) -> Downloader:
    return Downloader(httpx.Client(transport=handler), "xoxb-secret", "https://slack.com/api/")


def test_redirect_within_slack_keeps_the_token() -> None:
    """Slack's redirect to its origin host is followed by hand, with the token."""
    seen: dict[str, str | None] = {}
    body = b"\x89PNG" + b"x" * 5000

    def handle(request: httpx.Request) -> httpx.Response:
        seen[request.url.host] = request.headers.get("authorization")
        if request.url.host == "files.slack.com":
            return httpx.Response(302, headers={"location": "https://files-origin.slack.com/a"})
        return httpx.Response(200, content=body, headers={"content-type": "image/png"})

    with downloader(httpx.MockTransport(handle)).fetch(f("a.png", size=len(body)), MB) as out:
        assert hashlib.sha256(out.read()).digest() == hashlib.sha256(body).digest()
    assert seen == {
        "files.slack.com": "Bearer xoxb-secret",
        "files-origin.slack.com": "Bearer xoxb-secret",
    }


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("https://cdn.example.net/a.png", "led off Slack's file hosts"),
        ("http://files-origin.slack.com/a.png", "led off Slack's file hosts"),
    ],
)
def test_redirect_off_slack_is_not_followed(location: str, reason: str) -> None:
    """A redirect leaving Slack's HTTPS file hosts is refused before it is contacted."""
    hosts: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        hosts.append(str(request.url))
        return httpx.Response(302, headers={"location": location})

    with pytest.raises(NotSlackFile, match=reason):
        downloader(httpx.MockTransport(handle)).fetch(f("a.png"), MB)
    assert hosts == ["https://files.slack.com/a.png"]


def test_a_foreign_url_is_never_fetched() -> None:
    """A file URL on another host raises NotSlackFile without any request."""
    hosts: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        hosts.append(str(request.url))
        return httpx.Response(200, content=b"x")

    foreign = SlackFile(id="F1", name="r.pdf", url_private_download="https://evil.example/r.pdf")
    with pytest.raises(NotSlackFile) as raised:
        downloader(httpx.MockTransport(handle)).fetch(foreign, MB)
    assert raised.value.reason == "not a Slack file URL"
    assert hosts == []


@pytest.mark.parametrize(
    ("response", "error", "words"),
    [
        (
            httpx.Response(
                200,
                text="<!DOCTYPE html><html>Sign in</html>",
                headers={"content-type": "text/html"},
            ),
            SlackRejected,
            "files:read",
        ),
        (
            httpx.Response(
                200,
                content=b"<html><body>Sign in",
                headers={"content-type": "application/octet-stream"},
            ),
            SlackRejected,
            "files:read",
        ),
        (httpx.Response(404), SlackRejected, "not found"),
        (httpx.Response(503), SlackRetryable, "503"),
        (
            httpx.Response(200, content=b"x" * 10, headers={"content-type": "image/png"}),
            SlackRetryable,
            "stopped at 10 of 1000 bytes",
        ),
    ],
)
def test_refused_downloads(response: httpx.Response, error: type[Exception], words: str) -> None:
    """Login pages, missing files, server errors and cut-off files never reach Amity."""
    with pytest.raises(error, match=words):
        downloader(httpx.MockTransport(lambda _r: response)).fetch(f("a.png"), MB)


def test_download_larger_than_its_limit() -> None:
    """A file growing past the limit while streaming is refused."""
    big = httpx.Response(200, content=b"y" * 3000, headers={"content-type": "image/png"})
    with pytest.raises(SlackRejected, match="larger than"):
        downloader(httpx.MockTransport(lambda _r: big)).fetch(f("a.png", size=None), 2000)
