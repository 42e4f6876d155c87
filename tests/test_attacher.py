"""The attacher at its seams: Slack's file downloads and Amity's uploads over
``httpx.MockTransport``, ``files.info`` from an in-memory ``SlackPort``."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bridge.amity.client import AmityRetryable
from bridge.delivery.attach import Attacher
from bridge.delivery.files import Downloader
from bridge.delivery.progress import Progress, Upload
from bridge.slack.message import SlackFile, SlackMessage
from tests.amity_double import AmityDouble
from tests.slack_double import SlackDouble

CONTENT = {"F1": b"\x89PNG one", "F2": b"%PDF two", "F3": b"mp4 three"}


def slack_file(file_id: str, name: str, mimetype: str) -> SlackFile:
    return SlackFile(
        id=file_id,
        name=name,
        mimetype=mimetype,
        size=len(CONTENT[file_id]),
        url_private_download=f"https://files.slack.com/files-pri/T1-{file_id}/{name}",
    )


MESSAGE = SlackMessage(
    ts="1700000000.000100",
    files=[
        slack_file("F1", "cat.png", "image/png"),
        slack_file("F2", "notes.pdf", "application/pdf"),
        slack_file("F3", "clip.mp4", "video/mp4"),
    ],
)


def download(request: httpx.Request) -> httpx.Response:
    """Slack's file host: the bytes, only with the bot token."""
    if request.headers.get("authorization") != "Bearer xoxb-t":
        return httpx.Response(403)
    file_id = request.url.path.split("/")[2].split("-")[1]
    return httpx.Response(200, content=CONTENT[file_id])


@pytest.fixture
def amity() -> AmityDouble:
    return AmityDouble()


@pytest.fixture
def attacher(amity: AmityDouble) -> Iterator[Attacher]:
    client = amity.client()
    downloads = httpx.Client(transport=httpx.MockTransport(download))
    yield Attacher(
        SlackDouble(),
        client,
        Downloader(downloads, "xoxb-t", "https://slack.com/api/"),
        max_bytes=1_000_000,
        parallel=2,
    )
    client.close()
    downloads.close()


def test_files_become_attachments_of_amitys_types_in_message_order(
    attacher: Attacher, amity: AmityDouble
) -> None:
    """PNG → image, PDF → file, MP4 → video; each fileId recorded and saved."""
    progress = Progress()
    saves: list[int] = []
    attachments, skipped = attacher.attach(MESSAGE, progress, lambda: saves.append(1))
    assert [a.type for a in attachments] == ["image", "file", "video"]
    assert sorted(amity.uploads()) == ["/api/v4/files", "/api/v4/images", "/api/v4/videos"]
    assert {f: u.type for f, u in progress.uploads.items()} == {
        "F1": "image",
        "F2": "file",
        "F3": "video",
    }
    assert [a.fileId for a in attachments] == [progress.uploads[f].fileId for f in CONTENT]
    assert skipped == [] and len(saves) == 3


def test_a_retry_does_not_upload_a_file_twice(attacher: Attacher, amity: AmityDouble) -> None:
    """A file whose fileId an earlier attempt saved is attached without a new upload."""
    progress = Progress(uploads={"F1": Upload(fileId="earlier", type="image")})
    attachments, _ = attacher.attach(MESSAGE, progress, lambda: None)
    assert "/api/v4/images" not in amity.uploads() and len(amity.uploads()) == 2
    assert attachments[0].fileId == "earlier"


def test_a_file_amity_refuses_is_skipped_with_its_reason(
    attacher: Attacher, amity: AmityDouble
) -> None:
    """A permanent refusal of one upload: the post goes with the others, the reason saved."""
    amity.answer("/api/v4/files", 400, {"status": "error", "code": 400000, "message": "bad"})
    progress = Progress()
    attachments, skipped = attacher.attach(MESSAGE, progress, lambda: None)
    assert [a.type for a in attachments] == ["image", "video"]
    [skip] = skipped
    assert skip.name == "notes.pdf" and skip.reason.startswith("Amity refused it: ")
    assert progress.refused == {"F2": skip.reason}
    again, _ = attacher.attach(MESSAGE, progress, lambda: None)  # a retry does not resend it
    assert amity.uploads().count("/api/v4/files") == 1 and len(again) == 2


def test_a_temporary_upload_failure_propagates_and_keeps_the_others(
    attacher: Attacher, amity: AmityDouble
) -> None:
    """Amity's 500 on one upload fails the step (the job is retried); finished uploads
    stay in the progress, so the retry sends only the missing one."""
    amity.answer("/api/v4/videos", 500, {"status": "error", "code": 500000, "message": "down"})
    progress = Progress()
    with pytest.raises(AmityRetryable, match="down"):
        attacher.attach(MESSAGE, progress, lambda: None)
    assert set(progress.uploads) == {"F1", "F2"}
    attachments, _ = attacher.attach(MESSAGE, progress, lambda: None)
    assert len(attachments) == 3 and amity.uploads().count("/api/v4/images") == 1
