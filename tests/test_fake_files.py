"""File attachments through the stand-ins, over real HTTP: Slack downloads, Amity uploads."""

from __future__ import annotations

import hashlib
import io
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bridge_standins.amity import FakeAmity
from bridge_standins.multipart import MultipartError, boundary_of, parse_multipart
from bridge_standins.server import FakeServer, HttpRequest, Reply, json_reply, wait_for
from bridge_standins.slack import FakeSlack
from bridge_standins.slack_files import CHUNK, file_stub
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

SLACK_TOKEN, AMITY_TOKEN = "xoxb-test-token", "amity-admin-token"
COMMUNITY = "64be1f6cb9b4106b5a6bbf3f"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake
        assert fake.errors == [] and fake.foreign.errors == []


@pytest.fixture
def amity() -> Iterator[FakeAmity]:
    with FakeAmity() as fake:
        fake.add_community(COMMUNITY, "Announcements")
        yield fake
        assert fake.errors == []


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


@pytest.fixture
def api(amity: FakeAmity) -> Iterator[httpx.Client]:
    auth = {"Authorization": f"Bearer {AMITY_TOKEN}"}
    with httpx.Client(base_url=amity.url, headers=auth, timeout=60) as client:
        yield client


def bearer(token: str = SLACK_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_sign_in(response: httpx.Response) -> bool:
    html = response.headers["content-type"] == "text/html; charset=utf-8"
    return response.status_code == 200 and html and "Sign in to Slack" in response.text


# --- FakeSlack: file objects --------------------------------------------------------


def test_add_file_completes_the_object(slack: FakeSlack) -> None:
    file = slack.add_file({"name": "chart one.png"}, PNG)
    assert re.fullmatch(r"F[A-Z0-9]{10}", file["id"])
    base = f"{slack.url}/files-pri/T0FAKE-{file['id']}"
    assert file == {
        "id": file["id"],
        "name": "chart one.png",
        "title": "chart one.png",
        "mimetype": "image/png",
        "filetype": "png",
        "size": len(PNG),
        "mode": "hosted",
        "url_private": f"{base}/chart%20one.png",
        "url_private_download": f"{base}/download/chart%20one.png",
    }


def test_add_file_keeps_what_is_given(slack: FakeSlack, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello")
    given = {"id": "F0GIVEN", "title": "Notes", "size": 3_000_000_000, "user": "U1"}
    file = slack.add_file(given, path)
    assert file == given | {"name": "notes.txt", "mimetype": "text/plain", "filetype": "txt"} | {
        "mode": "hosted",
        "url_private": f"{slack.url}/files-pri/T0FAKE-F0GIVEN/notes.txt",
        "url_private_download": f"{slack.url}/files-pri/T0FAKE-F0GIVEN/download/notes.txt",
    }
    custom = slack.add_file({"url_private": "https://x.example/a", "name": "a.bin"}, b"a")
    assert custom["url_private"] == "https://x.example/a"
    assert custom["url_private_download"].endswith("/download/a.bin")


@pytest.mark.parametrize("mode", ["tombstone", "external"])
def test_tombstone_and_external_files_have_no_url(slack: FakeSlack, mode: str) -> None:
    given = {"id": "F0GONE", "mode": mode, "name": "x.pdf"}
    assert slack.add_file(given) == given
    assert slack.add_file({"mode": mode})["id"].startswith("F")


# --- FakeSlack: downloads -----------------------------------------------------------


def test_download_with_token_streams_the_bytes(slack: FakeSlack, http: httpx.Client) -> None:
    file = slack.add_file({"name": "chart.png"}, PNG)
    response = http.get(file["url_private_download"], headers=bearer())
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-length"] == str(len(PNG))
    assert http.get(file["url_private"], headers=bearer()).content == PNG
    base = f"/files-pri/T0FAKE-{file['id']}"
    paths = [download.path for download in slack.downloads]
    assert paths == [f"{base}/download/chart.png", f"{base}/chart.png"]
    assert slack.downloads[0].headers["authorization"] == f"Bearer {SLACK_TOKEN}"


@pytest.mark.parametrize("headers", [{}, bearer("xoxb-wrong"), {"Authorization": SLACK_TOKEN}])
def test_download_without_valid_token_is_a_sign_in_page(
    slack: FakeSlack, http: httpx.Client, headers: dict[str, str]
) -> None:
    file = slack.add_file({"name": "chart.png"}, PNG)
    response = http.get(file["url_private_download"], headers=headers)
    assert is_sign_in(response)
    assert response.text.startswith("<!DOCTYPE html><html")
    assert len(slack.downloads) == 1


def test_download_without_files_read_scope_is_a_sign_in_page(
    slack: FakeSlack, http: httpx.Client
) -> None:
    file = slack.add_file({"name": "chart.png"}, PNG)
    slack.scopes.remove("files:read")
    assert is_sign_in(http.get(file["url_private_download"], headers=bearer()))


def test_html_mode_answers_the_sign_in_page_even_with_a_token(
    slack: FakeSlack, http: httpx.Client
) -> None:
    file = slack.add_file({"name": "chart.png"}, PNG, serve="html")
    assert is_sign_in(http.get(file["url_private_download"], headers=bearer()))


def test_unknown_files_are_404(slack: FakeSlack, http: httpx.Client) -> None:
    file = slack.add_file({"id": "F0KNOWN", "name": "a.png"}, PNG)
    gone = slack.add_file({"id": "F0GONE", "mode": "tombstone"})
    base = f"{slack.url}/files-pri"
    for url in (
        f"{base}/T0FAKE-F0NOPE/download/a.png",
        f"{base}/T0OTHER-F0KNOWN/download/a.png",
        f"{base}/T0FAKE-F0KNOWN/download/b.png",
        f"{base}/T0FAKE-{gone['id']}/download/x",
    ):
        assert http.get(url, headers=bearer()).status_code == 404, url
    assert http.get(file["url_private_download"], headers=bearer()).status_code == 200
    assert len(slack.downloads) == 5


def test_redirect_points_to_the_same_path_on_the_foreign_host(
    slack: FakeSlack, http: httpx.Client
) -> None:
    file = slack.add_file({"name": "clip.mp4"}, PNG, serve="redirect")
    path = f"/files-pri/T0FAKE-{file['id']}/download/clip.mp4"
    first = http.get(file["url_private_download"], headers=bearer())
    assert first.status_code == 302
    assert first.headers["location"] == slack.foreign.url + path
    assert slack.foreign.url != slack.url
    second = http.get(first.headers["location"])
    assert second.content == PNG and second.headers["content-type"] == "video/mp4"
    assert [request.path for request in slack.foreign.requests] == [path]
    assert "authorization" not in slack.foreign.requests[0].headers
    assert [download.path for download in slack.downloads] == [path]


def test_a_client_following_the_redirect_drops_the_token(
    slack: FakeSlack, http: httpx.Client
) -> None:
    file = slack.add_file({"name": "clip.mp4"}, PNG, serve="redirect")
    response = http.get(file["url_private_download"], headers=bearer(), follow_redirects=True)
    assert response.content == PNG
    assert "authorization" not in slack.foreign.requests[0].headers
    leaked = http.get(
        f"{slack.foreign.url}/files-pri/T0FAKE-{file['id']}/clip.mp4", headers=bearer()
    )
    assert leaked.status_code == 200
    assert slack.foreign.requests[1].headers["authorization"] == f"Bearer {SLACK_TOKEN}"


def test_slow_mode_pauses_between_chunks(slack: FakeSlack, http: httpx.Client) -> None:
    content = os.urandom(4 * CHUNK)
    file = slack.add_file({"name": "slow.bin"}, content, serve="slow", chunk_delay=0.05)
    started = time.monotonic()
    with http.stream("GET", file["url_private_download"], headers=bearer()) as response:
        received = b"".join(response.iter_raw())
    assert received == content
    assert time.monotonic() - started >= 0.14


def test_truncated_mode_closes_after_half_the_bytes(slack: FakeSlack, http: httpx.Client) -> None:
    content = os.urandom(3 * CHUNK)
    file = slack.add_file({"name": "cut.bin"}, content, serve="truncated")
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(file["url_private_download"], headers=bearer())
    received = bytearray()
    with (
        http.stream("GET", file["url_private_download"], headers=bearer()) as response,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        assert response.headers["content-length"] == str(len(content))
        for chunk in response.iter_raw():
            received += chunk
    assert bytes(received) == content[: len(content) // 2]


def test_a_large_file_on_disk_streams_intact(
    slack: FakeSlack, http: httpx.Client, tmp_path: Path
) -> None:
    path = tmp_path / "big.mov"
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(20):
            block = os.urandom(1 << 20)
            digest.update(block)
            out.write(block)
    file = slack.add_file({}, path)
    assert (file["name"], file["size"], file["mimetype"]) == (
        "big.mov",
        20 << 20,
        "video/quicktime",
    )
    received = hashlib.sha256()
    with http.stream("GET", file["url_private_download"], headers=bearer()) as response:
        assert response.headers["content-length"] == str(20 << 20)
        for chunk in response.iter_bytes():
            received.update(chunk)
    assert received.hexdigest() == digest.hexdigest()


def test_a_client_hanging_up_mid_stream_harms_nothing(
    slack: FakeSlack, http: httpx.Client, tmp_path: Path
) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(8 << 20))
    file = slack.add_file({}, path)
    with http.stream("GET", file["url_private_download"], headers=bearer()) as response:
        assert len(next(response.iter_raw())) > 0
    assert http.get(file["url_private_download"], headers=bearer()).content == path.read_bytes()


def test_the_foreign_host_stops_with_the_fake() -> None:
    with FakeSlack() as fake:
        foreign = fake.foreign
        assert foreign.url.startswith("http://127.0.0.1:")
    with pytest.raises(RuntimeError):
        _ = foreign.url


# --- FakeSlack: files.info ----------------------------------------------------------


def test_files_info_through_slack_sdk(slack: FakeSlack) -> None:
    client = WebClient(token=SLACK_TOKEN, base_url=slack.url + "/api/")
    file = slack.add_file({"name": "report.pdf"}, b"%PDF-1.7")
    assert file_stub(file) == {"id": file["id"], "mode": "hosted", "file_access": "check_file_info"}
    answer = client.files_info(file=file["id"])
    assert answer["ok"] is True and answer["file"] == file
    for file_id, error in (("F0NOPE", "file_not_found"), ("F0GONE", "file_deleted")):
        slack.add_file({"id": "F0GONE", "mode": "tombstone"})
        with pytest.raises(SlackApiError) as raised:
            client.files_info(file=file_id)
        assert raised.value.response["error"] == error
    slack.scopes.remove("files:read")
    with pytest.raises(SlackApiError) as raised:
        client.files_info(file=file["id"])
    assert raised.value.response["error"] == "missing_scope"


# --- the base server ----------------------------------------------------------------


class Echo(FakeServer):
    """Answers the size and hash of each body; streams on demand."""

    def __init__(self) -> None:
        super().__init__()
        self.add_route("POST", r"/echo", self._echo)
        self.add_route("GET", r"/stream", lambda _r, _m: Reply(200, stream=self._pieces(False)))
        self.add_route("GET", r"/broken", lambda _r, _m: Reply(200, stream=self._pieces(True)))

    def _echo(self, request: HttpRequest, _match: re.Match[str]) -> Reply:
        return json_reply(200, {"size": len(request.body), "sha256": sha(request.body)})

    def _pieces(self, broken: bool) -> Iterator[bytes]:
        yield b"one,"
        if broken:
            raise OSError("disk gone")
        yield b"two"


def test_streams_without_length_and_chunked_request_bodies(http: httpx.Client) -> None:
    with Echo() as echo:
        response = http.get(echo.url + "/stream")
        assert (response.text, "content-length" in response.headers) == ("one,two", False)
        pieces = [os.urandom(100_000) for _ in range(5)]
        sent = http.post(echo.url + "/echo", content=iter(pieces))
        assert sent.request.headers["transfer-encoding"] == "chunked"
        assert sent.json() == {"size": 500_000, "sha256": sha(b"".join(pieces))}
        assert http.get(echo.url + "/broken").text == "one,"
        wait_for(lambda: len(echo.errors) == 1)
        assert "disk gone" in echo.errors[0]


# --- FakeAmity: uploads -------------------------------------------------------------


def upload(api: httpx.Client, path: str, name: str, data: bytes, mime: str, **fields: str) -> Any:
    return api.post(path, files={"files": (name, io.BytesIO(data), mime)}, data=fields)


def refusal(response: httpx.Response, status: int, code: int) -> str:
    assert response.status_code == status, response.text
    answer = response.json()
    assert (answer["status"], answer["code"]) == ("error", code)
    return str(answer["message"])


@pytest.mark.parametrize(
    ("path", "kind", "name", "mime", "fields"),
    [
        ("/api/v4/images", "image", "chart.png", "image/png", {}),
        ("/api/v4/files", "file", "report.pdf", "application/pdf", {"accessType": "network"}),
        ("/api/v4/files", "file", "party.gif", "image/gif", {}),
        ("/api/v4/videos", "video", "clip.mp4", "video/mp4", {"feedType": "post"}),
    ],
)
def test_upload_answers_a_file_object(
    amity: FakeAmity, api: httpx.Client, path: str, kind: str, name: str, mime: str,
    fields: dict[str, str],
) -> None:  # fmt: skip
    response = upload(api, path, name, PNG, mime, **fields)
    assert response.status_code == 200, response.text
    [file] = response.json()
    assert re.fullmatch(r"[0-9a-f]{32}", file["fileId"])
    assert file["fileUrl"] == f"{amity.url}/api/v3/files/{file['fileId']}/download"
    assert (file["type"], file["accessType"]) == (kind, fields.get("accessType", "public"))
    assert file["createdAt"].endswith("Z") and file["updatedAt"]
    extension = name.rsplit(".", 1)[1]
    assert file["attributes"] == {
        "name": name, "extension": extension, "size": len(PNG), "mimeType": mime, "metadata": {},
    }  # fmt: skip
    [record] = amity.uploads
    assert (record.kind, record.file_id, record.filename) == (kind, file["fileId"], name)
    assert (record.size, record.sha256, record.mimetype) == (len(PNG), sha(PNG), mime)
    assert record.fields == fields
    assert amity.uploaded_file(file["fileId"]) == file


def test_upload_accepts_the_file_field_and_a_preferred_filename(
    amity: FakeAmity, api: httpx.Client
) -> None:
    response = api.post(
        "/api/v4/images",
        files={"file": ("blob", io.BytesIO(PNG), "image/png")},
        data={"preferredFilename": "Été 2024.PNG"},
    )
    [file] = response.json()
    assert (file["attributes"]["name"], file["attributes"]["extension"]) == ("Été 2024.PNG", "png")
    assert amity.uploads[0].filename == "Été 2024.PNG"
    assert amity.requests[-1].json is None and amity.requests[-1].path == "/api/v4/images"


def test_upload_refusals(amity: FakeAmity, api: httpx.Client) -> None:
    gif = "GIF is not supported as an image; upload it as a file"
    assert refusal(upload(api, "/api/v4/images", "a.gif", PNG, "image/png"), 400, 400000) == gif
    assert refusal(upload(api, "/api/v4/images", "a.bin", PNG, "image/gif"), 400, 400000) == gif
    named = upload(api, "/api/v4/images", "a.png", PNG, "image/png", preferredFilename="a.gif")
    assert refusal(named, 400, 400000) == gif
    for fields in ({}, {"feedType": "story"}):
        video = upload(api, "/api/v4/videos", "a.mp4", PNG, "video/mp4", **fields)
        assert "feedType" in refusal(video, 400, 400000)
    bad_access = upload(api, "/api/v4/files", "a.txt", b"x", "text/plain", accessType="secret")
    assert "accessType" in refusal(bad_access, 400, 400000)
    no_file = api.post("/api/v4/files", data={"x": "1"}, files={"other": ("a", b"x", "text/plain")})
    assert "'other'" in refusal(no_file, 400, 400000)
    only_fields = api.post("/api/v4/files", files={"files": (None, b"not a file")})
    assert "'files'" in refusal(only_fields, 400, 400000)
    as_json = api.post("/api/v4/files", json={"files": "x"})
    assert "multipart" in refusal(as_json, 400, 400000)
    head = {"Content-Type": "multipart/form-data; boundary=XyZ"}
    cut = api.post(
        "/api/v4/files", content=b"--XyZ\r\nContent-Disposition: form-data", headers=head
    )
    refusal(cut, 400, 400000)
    assert amity.uploads == []


def test_upload_needs_the_token(amity: FakeAmity) -> None:
    with httpx.Client(base_url=amity.url) as anonymous:
        response = upload(anonymous, "/api/v4/files", "a.txt", b"x", "text/plain")
        assert refusal(response, 401, 400100) == "Unauthorized"
        anonymous.headers["Authorization"] = "Bearer nope"
        refusal(upload(anonymous, "/api/v4/files", "a.txt", b"x", "text/plain"), 401, 400100)
    assert amity.uploads == []


def test_upload_size_limits(amity: FakeAmity, api: httpx.Client) -> None:
    assert amity.upload_limit("image") == amity.upload_limit("file") == 1_073_741_824
    assert amity.upload_limit("video") == 2_000_000_000
    amity.max_upload_bytes = 1000
    assert {amity.upload_limit(kind) for kind in ("image", "file", "video")} == {1000}
    for path, fields in (("/api/v4/images", {}), ("/api/v4/videos", {"feedType": "post"})):
        too_big = upload(api, path, "a.png", os.urandom(1001), "image/png", **fields)
        refusal(too_big, 413, 500000)
    assert (
        upload(api, "/api/v4/files", "a.bin", os.urandom(1000), "application/x").status_code == 200
    )
    assert [record.size for record in amity.uploads] == [1000]


def test_fail_next_applies_to_upload_paths(amity: FakeAmity, api: httpx.Client) -> None:
    amity.fail_next(503, None, path_prefix="/api/v4/images")
    amity.fail_next(429, 400311, "RateLimit Exceed.", path_prefix="/api/v4/videos")
    assert upload(api, "/api/v4/images", "a.png", PNG, "image/png").status_code == 503
    video = upload(api, "/api/v4/videos", "a.mp4", PNG, "video/mp4", feedType="post")
    assert refusal(video, 429, 400311) == "RateLimit Exceed."
    assert upload(api, "/api/v4/images", "a.png", PNG, "image/png").status_code == 200
    assert len(amity.uploads) == 1


def test_large_upload_from_disk(amity: FakeAmity, api: httpx.Client, tmp_path: Path) -> None:
    path = tmp_path / "talk.mp4"
    path.write_bytes(os.urandom(64 << 20))
    with path.open("rb") as source:
        files = {"files": ("talk.mp4", source, "video/mp4")}
        response = api.post("/api/v4/videos", files=files, data={"feedType": "post"})
    assert response.status_code == 200, response.text
    assert response.request.headers["content-length"]
    assert (amity.uploads[0].size, amity.uploads[0].sha256) == (64 << 20, sha(path.read_bytes()))


# --- FakeAmity: posts with attachments ----------------------------------------------


def post_body(*attachments: dict[str, str]) -> dict[str, Any]:
    return {
        "data": {"text": "with files"},
        "targetType": "community",
        "targetId": COMMUNITY,
        "attachments": list(attachments),
    }


def test_create_post_with_uploaded_files_has_children(amity: FakeAmity, api: httpx.Client) -> None:
    image = upload(api, "/api/v4/images", "a.png", PNG, "image/png").json()[0]
    video = upload(api, "/api/v4/videos", "b.mp4", PNG, "video/mp4", feedType="post").json()[0]
    attachments = [
        {"type": "image", "fileId": image["fileId"]},
        {"type": "video", "fileId": video["fileId"]},
    ]
    response = api.post("/api/v4/posts", json=post_body(*attachments))
    assert response.status_code == 200, response.text
    answer = response.json()
    post, children = answer["posts"][0], answer["postChildren"]
    assert [(c["dataType"], c["data"]) for c in children] == [
        ("image", {"fileId": image["fileId"]}),
        ("video", {"fileId": video["fileId"]}),
    ]
    assert {c["parentPostId"] for c in children} == {post["postId"]}
    assert post["children"] == [c["postId"] for c in children]
    assert post["attachments"] == attachments
    assert [f["fileId"] for f in answer["files"]] == [image["fileId"], video["fileId"]]
    assert amity.get_post(post["postId"]) == post
    again = api.get(f"/api/v3/posts/{post['postId']}").json()
    assert again["postChildren"] == children and again["files"] == answer["files"]


def test_create_post_refuses_unknown_or_mistyped_files(amity: FakeAmity, api: httpx.Client) -> None:
    unknown = api.post("/api/v4/posts", json=post_body({"type": "image", "fileId": "f" * 32}))
    assert refusal(unknown, 404, 400400) == f"File not found {'f' * 32}."
    image = upload(api, "/api/v4/images", "a.png", PNG, "image/png").json()[0]
    mistyped = api.post(
        "/api/v4/posts", json=post_body({"type": "file", "fileId": image["fileId"]})
    )
    assert "image" in refusal(mistyped, 400, 400000)
    amity.check_file_ids = False
    assert api.post("/api/v4/posts", json=post_body({"type": "image", "fileId": "x"})).is_success
    assert amity.post_count() == 1


def test_slack_file_to_amity_post_end_to_end(
    slack: FakeSlack, amity: FakeAmity, api: httpx.Client, http: httpx.Client
) -> None:
    content = os.urandom(5 * CHUNK + 17)
    file = slack.add_file({"name": "photo.jpg"}, content, serve="redirect")
    first = http.get(file["url_private_download"], headers=bearer())
    boundary = "bridge-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{file["name"]}"'
        f"\r\nContent-Type: {file['mimetype']}\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        with http.stream("GET", first.headers["location"]) as download:
            yield from download.iter_bytes()
        yield tail

    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    uploaded = api.post("/api/v4/images", content=body(), headers=headers)
    assert uploaded.status_code == 200, uploaded.text
    file_id = uploaded.json()[0]["fileId"]
    assert amity.uploads[0].sha256 == sha(content)
    post = api.post("/api/v4/posts", json=post_body({"type": "image", "fileId": file_id}))
    assert post.json()["postChildren"][0]["data"] == {"fileId": file_id}


# --- the multipart parser -----------------------------------------------------------


def test_multipart_parser_edge_cases() -> None:
    body = (
        b"preamble\r\n--b\r\n"
        b"Content-Disposition: form-data; name=\"files\"; filename*=utf-8''%E2%82%AC.txt\r\n\r\n"
        b"--b is not a delimiter here\r\n--b  \r\n"
        b'Content-Disposition: form-data; name="q"; filename="a\\"b%22c.txt"\r\n\r\n\r\n'
        b"--b--\r\nepilogue"
    )
    first, second = parse_multipart(body, boundary_of('multipart/form-data; boundary="b"'))
    assert (first.name, first.filename, first.content_type) == ("files", "€.txt", None)
    assert first.data.tobytes() == b"--b is not a delimiter here"
    assert (second.filename, second.size) == ('a"b"c.txt', 0)
    for content_type in (
        "text/plain",
        "multipart/form-data",
        f"multipart/form-data; boundary={'x' * 71}",
    ):
        with pytest.raises(MultipartError):
            boundary_of(content_type)
    for broken in (
        b"no boundary at all",
        b"--b\r\nno-colon\r\n\r\nx\r\n--b--",
        b"--b\r\n\r\nx\r\n--b--",
    ):
        with pytest.raises(MultipartError):
            parse_multipart(broken, b"b")
