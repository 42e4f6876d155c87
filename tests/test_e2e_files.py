"""Files end to end: Slack attachments become Amity image, video and file posts."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender
from bridge_standins.stack import NEWS, RANDOM, SIGNING_SECRET, LocalStack, start_stack

from bridge.delivery.outbox import JobState
from tests.e2e import MovableClock, find_job, job_state, wait_retrying

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
GIF = b"GIF89a" + b"\x00" * 500
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 4000
PDF = b"%PDF-1.7\n" + b"%" * 3000


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def stack(tmp_path: Path, clock: MovableClock) -> Iterator[LocalStack]:
    running = start_stack(tmp_path, clock=clock, BRIDGE_MAX_FILE_MB=0.05)
    yield running
    running.stop()


def share(stack: LocalStack, files: list[dict[str, Any]], text: str = "", **fields: Any) -> str:
    """A message with these files, reacted to; returns its ts."""
    msg = stack.slack.add_message(
        NEWS,
        {"user": "U0ALICE01", "text": text, "files": files, "subtype": "file_share"} | fields,
    )
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        assert (
            slack.reaction(
                user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"]
            ).status_code
            == 200
        )
    return str(msg["ts"])


def done(stack: LocalStack, ts: str) -> None:
    wait_for(lambda: job_state(stack, ts) is JobState.done, timeout=10)


def test_image_video_pdf_gif_in_one_post(stack: LocalStack) -> None:
    """Each file becomes the right attachment type; bytes arrive intact; text stays."""
    files = [
        stack.slack.add_file({"name": "shot.png", "mimetype": "image/png", "filetype": "png"}, PNG),
        stack.slack.add_file({"name": "clip.mp4", "mimetype": "video/mp4", "filetype": "mp4"}, MP4),
        stack.slack.add_file(
            {"name": "deck.pdf", "mimetype": "application/pdf", "filetype": "pdf"}, PDF
        ),
        stack.slack.add_file({"name": "fun.gif", "mimetype": "image/gif", "filetype": "gif"}, GIF),
    ]
    ts = share(stack, files, "Release assets")
    done(stack, ts)
    [body] = stack.amity.posts
    assert body["data"]["text"] == "Release assets"
    assert [a["type"] for a in body["attachments"]] == ["image", "video", "file", "file"]
    uploads = {u.filename: u for u in stack.amity.uploads}
    assert {name: u.kind for name, u in uploads.items()} == {
        "shot.png": "image",
        "clip.mp4": "video",
        "deck.pdf": "file",
        "fun.gif": "file",
    }
    assert uploads["shot.png"].sha256 == hashlib.sha256(PNG).hexdigest()
    assert uploads["clip.mp4"].fields.get("feedType") == "post"
    assert [a["fileId"] for a in body["attachments"]] == [
        uploads[n].file_id for n in ("shot.png", "clip.mp4", "deck.pdf", "fun.gif")
    ]
    [reply] = stack.slack.posted
    assert "Attached: shot.png, clip.mp4, deck.pdf, fun.gif" in reply.text


def test_files_without_text_and_the_eleventh(stack: LocalStack) -> None:
    """Eleven images and no text: a post with ten, the eleventh named in the reply."""
    files = [
        stack.slack.add_file({"name": f"p{n}.png", "mimetype": "image/png"}, PNG) for n in range(11)
    ]
    ts = share(stack, files)
    done(stack, ts)
    [body] = stack.amity.posts
    assert len(body["attachments"]) == 10 and body["data"].get("text", "") == ""
    assert "Not attached: p10.png (a post takes at most 10 attachments)" in (
        stack.slack.posted[0].text
    )


def test_oversized_and_deleted_files_are_named(stack: LocalStack) -> None:
    """Too large (BRIDGE_MAX_FILE_MB) and tombstoned files are listed, the rest posted."""
    big = stack.slack.add_file({"name": "huge.png", "mimetype": "image/png"}, PNG * 30)
    gone = {"id": "F0GONE", "mode": "tombstone", "name": "old.png"}
    ok = stack.slack.add_file({"name": "ok.png", "mimetype": "image/png"}, PNG)
    ts = share(stack, [big, gone, ok], "see attached")
    done(stack, ts)
    [body] = stack.amity.posts
    assert len(body["attachments"]) == 1
    text = stack.slack.posted[0].text
    assert "Not attached: huge.png (too large" in text and "the limit is 50 kB" in text
    assert "Not attached: old.png (deleted in Slack)" in text
    assert [u.filename for u in stack.amity.uploads] == ["ok.png"]


def test_check_file_info(stack: LocalStack) -> None:
    """A file marked check_file_info is looked up with files.info, then copied."""
    full = stack.slack.add_file({"name": "connect.png", "mimetype": "image/png"}, PNG)
    stub = {"id": full["id"], "file_access": "check_file_info", "mode": "hosted"}
    ts = share(stack, [stub], "from a Slack Connect channel")
    done(stack, ts)
    assert stack.slack.calls_to("files.info")
    assert [u.sha256 for u in stack.amity.uploads] == [hashlib.sha256(PNG).hexdigest()]


def test_missing_files_read_gives_the_fix(stack: LocalStack) -> None:
    """Slack's sign-in page instead of the file: nothing uploaded, the person told why."""
    stack.slack.scopes = [s for s in stack.slack.scopes if s != "files:read"]
    file = stack.slack.add_file({"name": "secret.png", "mimetype": "image/png"}, PNG)
    ts = share(stack, [file], "with a screenshot")
    wait_for(lambda: job_state(stack, ts) is JobState.failed)
    wait_for(lambda: len(stack.slack.ephemerals) == 1)
    notice = stack.slack.ephemerals[0].text
    assert "sign-in page" in notice and "files:read" in notice and "reinstall" in notice
    assert stack.amity.uploads == [] and stack.amity.posts == []


def test_a_redirect_off_slack_is_skipped_and_never_followed(stack: LocalStack) -> None:
    """Slack's URL redirects to another host: that host is never contacted, the file is
    named in the reply with the reason, and the rest of the post goes out."""
    away = stack.slack.add_file({"name": "cdn.png", "mimetype": "image/png"}, PNG, serve="redirect")
    ok = stack.slack.add_file({"name": "ok.pdf", "mimetype": "application/pdf"}, PDF)
    ts = share(stack, [away, ok], "via CDN")
    done(stack, ts)
    assert stack.slack.foreign.requests == []
    [body] = stack.amity.posts
    assert body["data"]["text"] == "via CDN"
    assert [u.filename for u in stack.amity.uploads] == ["ok.pdf"]
    [reply] = stack.slack.posted
    assert "Not attached: cdn.png (Slack's download link led off Slack's file hosts)" in (
        reply.text
    )


def foreign_file(stack: LocalStack, name: str) -> dict[str, Any]:
    """A file object whose URLs point at another local server (which would serve it)."""
    file = stack.slack.add_file({"name": name, "mimetype": "application/pdf"}, PDF)
    path = file["url_private_download"].removeprefix(stack.slack.url)
    return file | {
        "url_private_download": stack.slack.foreign.url + path,
        "url_private": stack.slack.foreign.url + path,
    }


def test_a_file_on_another_host_is_skipped(stack: LocalStack) -> None:
    """A file URL that is not Slack's: never fetched (no request reaches that host), the
    reply says why, and the text and the other files are posted."""
    ok = stack.slack.add_file({"name": "shot.png", "mimetype": "image/png"}, PNG)
    ts = share(stack, [foreign_file(stack, "report.pdf"), ok], "quarterly")
    done(stack, ts)
    assert stack.slack.foreign.requests == []
    [body] = stack.amity.posts
    assert body["data"]["text"] == "quarterly"
    assert [a["type"] for a in body["attachments"]] == ["image"]
    [reply] = stack.slack.posted
    assert "Attached: shot.png" in reply.text
    assert "Not attached: report.pdf (not a Slack file URL)" in reply.text


def test_a_forwarded_file_from_elsewhere_is_skipped(stack: LocalStack) -> None:
    """A forwarded message whose file lives on another host: the text goes, the file not."""
    forward = {
        "is_share": True,
        "is_msg_unfurl": True,
        "author_id": "U0BOB0001",
        "channel_id": RANDOM,
        "text": "see the report",
        "files": [foreign_file(stack, "report.pdf")],
    }
    ts = share(stack, [], "", attachments=[forward], subtype=None)
    done(stack, ts)
    assert stack.slack.foreign.requests == []
    [body] = stack.amity.posts
    assert "see the report" in body["data"]["text"]
    assert body.get("attachments", []) == [] and stack.amity.uploads == []
    assert "Not attached: report.pdf (not a Slack file URL)" in stack.slack.posted[0].text


def test_upload_fails_once_then_succeeds(stack: LocalStack, clock: MovableClock) -> None:
    """One upload fails with a 503: the retry uploads only that file, one post is made."""
    stack.amity.fail_next(503, None, path_prefix="/api/v4/files")
    files = [
        stack.slack.add_file({"name": "a.png", "mimetype": "image/png"}, PNG),
        stack.slack.add_file({"name": "b.pdf", "mimetype": "application/pdf"}, PDF),
    ]
    ts = share(stack, files, "two files")
    wait_retrying(stack, ts, 1)
    assert [u.filename for u in stack.amity.uploads] == ["a.png"]
    clock.advance(timedelta(minutes=15))
    done(stack, ts)
    assert sorted(u.filename for u in stack.amity.uploads) == ["a.png", "b.pdf"]
    assert stack.amity.post_count() == 1 and len(stack.slack.posted) == 1


def test_truncated_download_is_retried(stack: LocalStack, clock: MovableClock) -> None:
    """A download cut off half-way is not uploaded; the job waits and retries."""
    file = stack.slack.add_file(
        {"name": "cut.png", "mimetype": "image/png"}, PNG, serve="truncated"
    )
    ts = share(stack, [file], "cut")
    wait_retrying(stack, ts, 1)
    job = find_job(stack, ts)
    assert job is not None and "cut.png" in (job.last_error or "")
    assert stack.amity.uploads == []


def test_a_refused_upload_is_skipped_and_the_rest_is_posted(stack: LocalStack) -> None:
    """Amity refuses one image for good: the post goes out with the other file, and the
    reply names the refused one with Amity's reason."""
    stack.amity.fail_next(400, 400314, "Image is rejected", path_prefix="/api/v4/images")
    files = [
        stack.slack.add_file({"name": "a.png", "mimetype": "image/png"}, PNG),
        stack.slack.add_file({"name": "b.pdf", "mimetype": "application/pdf"}, PDF),
    ]
    ts = share(stack, files, "two files")
    done(stack, ts)
    [body] = stack.amity.posts
    assert body["data"]["text"] == "two files"
    assert [a["type"] for a in body["attachments"]] == ["file"]
    [reply] = stack.slack.posted
    assert "Attached: b.pdf" in reply.text
    assert "Not attached: a.png (Amity refused it: an image was refused by Amity's moderation" in (
        reply.text
    )


@pytest.mark.parametrize(
    ("mimetype", "name"),
    [("image/webp", "a.webp"), ("image/heic", "a.heic"), ("image/svg+xml", "a.svg")],
)
def test_other_images_go_as_files(stack: LocalStack, mimetype: str, name: str) -> None:
    """Amity's images are JPEG and PNG: any other image is attached as a file."""
    ts = share(stack, [stack.slack.add_file({"name": name, "mimetype": mimetype}, PNG)], "pic")
    done(stack, ts)
    [body] = stack.amity.posts
    assert [a["type"] for a in body["attachments"]] == ["file"]
    assert [u.kind for u in stack.amity.uploads] == ["file"]


def test_a_forwarded_message_brings_its_text_and_files(stack: LocalStack) -> None:
    """A forward without a comment: its author, channel, quoted text and its file."""
    file = stack.slack.add_file({"name": "chart.png", "mimetype": "image/png"}, PNG)
    forward = {
        "is_share": True,
        "is_msg_unfurl": True,
        "author_id": "U0BOB0001",
        "channel_id": RANDOM,
        "text": "numbers are up :chart_with_upwards_trend:",
        "files": [file],
    }
    ts = share(stack, [], "", attachments=[forward], subtype=None)
    done(stack, ts)
    [body] = stack.amity.posts
    assert body["data"]["text"] == "Forwarded from @Bob Stone in #random:\n> numbers are up 📈"
    assert [a["type"] for a in body["attachments"]] == ["image"]


def test_a_system_message_is_refused_privately(stack: LocalStack) -> None:
    """A reaction on "Alice has joined the channel" posts nothing and tells the reactor why."""
    ts = share(stack, [], "<@U0ALICE01> has joined the channel", subtype="channel_join")
    wait_for(lambda: len(stack.slack.ephemerals) == 1, timeout=10)
    assert job_state(stack, ts) is JobState.failed
    assert stack.amity.posts == [] and stack.slack.posted == []
    [notice] = stack.slack.ephemerals
    assert notice.user == "U0BOB0001"
    assert "someone joined the channel" in notice.text and "people's messages" in notice.text


def test_a_refused_upload_is_not_sent_again_on_retry(
    stack: LocalStack, clock: MovableClock
) -> None:
    """One file refused, another failing for a while: the retry sends only the latter."""
    stack.amity.fail_next(400, 400314, "Image is rejected", path_prefix="/api/v4/images")
    stack.amity.fail_next(503, None, path_prefix="/api/v4/files")
    files = [
        stack.slack.add_file({"name": "a.png", "mimetype": "image/png"}, PNG),
        stack.slack.add_file({"name": "b.pdf", "mimetype": "application/pdf"}, PDF),
    ]
    ts = share(stack, files, "two files")
    wait_retrying(stack, ts, 1)
    clock.advance(timedelta(minutes=15))
    done(stack, ts)
    image_requests = [r for r in stack.amity.requests if r.path == "/api/v4/images"]
    assert len(image_requests) == 1
    assert [u.filename for u in stack.amity.uploads] == ["b.pdf"]
    assert "Not attached: a.png (Amity refused it" in stack.slack.posted[0].text
