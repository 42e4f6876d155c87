"""FakeAmity over real HTTP, with httpx: the documented answers, rules and faults."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from bridge_standins.amity import FakeAmity, Fault
from bridge_standins.amity_rules import load_schema
from bridge_standins.server import wait_for

TOKEN = "amity-admin-token"
COMMUNITY = "64be1f6cb9b4106b5a6bbf3f"
LISTS = {"posts", "postChildren", "comments", "users", "files", "communities"}
LISTS |= {"communityUsers", "categories", "feeds"}


@pytest.fixture
def amity() -> Iterator[FakeAmity]:
    with FakeAmity() as fake:
        fake.add_community(COMMUNITY, "Announcements")
        yield fake
        assert fake.errors == []


@pytest.fixture
def http(amity: FakeAmity) -> Iterator[httpx.Client]:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=amity.url, headers=auth, timeout=10) as client:
        yield client


def body(text: str = "Hello from Slack", **extra: Any) -> dict[str, Any]:
    return {"data": {"text": text}, "targetType": "community", "targetId": COMMUNITY} | extra


def envelope(response: httpx.Response) -> dict[str, Any]:
    answer: dict[str, Any] = response.json()
    assert answer["status"] == "error"
    return answer


def test_url_is_loopback_with_os_chosen_port(amity: FakeAmity) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", amity.url)
    assert not amity.url.endswith(":0")


def test_create_text_post_answers_amitys_shape(amity: FakeAmity, http: httpx.Client) -> None:
    sent = body(metadata={"slack": {"ts": "1.2"}}, hashtags=["news"], tags=["slack"])
    response = http.post("/api/v4/posts", json=sent)
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == LISTS
    post = answer["posts"][0]
    assert re.fullmatch(r"[0-9a-f]{24}", post["postId"])
    assert post["dataType"] == "text"
    assert post["data"] == {"text": "Hello from Slack"}
    assert (post["targetType"], post["targetId"]) == ("community", COMMUNITY)
    assert post["metadata"] == {"slack": {"ts": "1.2"}}
    assert (post["hashtags"], post["tags"], post["mentionees"]) == (["news"], ["slack"], [])
    assert post["postedUserId"] == "bridge-admin"
    assert post["children"] == [] and post["isDeleted"] is False
    assert post["createdAt"].endswith("Z") and post["updatedAt"]
    assert answer["users"][0]["userId"] == "bridge-admin"
    assert answer["communities"][0]["communityId"] == COMMUNITY
    assert answer["communities"][0]["postsCount"] == 1
    assert answer["postChildren"] == [] and answer["files"] == []
    assert amity.posts == [sent]
    assert amity.post_count() == 1
    assert amity.post_count(post["postId"]) == 1


def test_client_post_id_and_created_at_are_kept(amity: FakeAmity, http: httpx.Client) -> None:
    sent = body(postId="slack-T0-C1-1700000000.000100", createdAt="2023-11-14T22:13:20.000Z")
    post = http.post("/api/v4/posts", json=sent).json()["posts"][0]
    assert post["postId"] == "slack-T0-C1-1700000000.000100"
    assert post["createdAt"] == "2023-11-14T22:13:20.000Z"
    read = http.get("/api/v3/posts/slack-T0-C1-1700000000.000100")
    assert read.status_code == 200
    assert read.json()["posts"][0] == post
    assert read.json()["communities"][0]["communityId"] == COMMUNITY
    assert amity.get_post(post["postId"]) == post
    assert amity.get_post("nope") is None


@pytest.mark.parametrize("kind", ["image", "file", "video"])
def test_data_type_follows_first_attachment(
    http: httpx.Client, amity: FakeAmity, kind: str
) -> None:
    amity.check_file_ids = False  # made-up IDs, no uploads
    attachments = [{"type": kind, "fileId": "f1"}, {"type": "image", "fileId": "f2"}]
    response = http.post("/api/v4/posts", json=body("", attachments=attachments))
    assert response.status_code == 200
    assert response.json()["posts"][0]["dataType"] == kind


def test_missing_post_and_community_are_404(http: httpx.Client) -> None:
    for path in ("/api/v3/posts/unknown", "/api/v3/communities/unknown", "/api/v9/nothing"):
        response = http.get(path)
        assert response.status_code == 404
        assert envelope(response) == {
            "status": "error",
            "code": 400400,
            "message": "Resource Not Found.",
        }
    community = http.get(f"/api/v3/communities/{COMMUNITY}").json()["communities"][0]
    assert community["displayName"] == "Announcements"
    assert community["isPublic"] is True
    assert community["needApprovalOnPostCreation"] is False


def test_community_flags(amity: FakeAmity, http: httpx.Client) -> None:
    amity.add_community(
        "c2", "Private", is_public=False, only_admin_can_post=True, need_approval=True
    )
    community = http.get("/api/v3/communities/c2").json()["communities"][0]
    assert community["isPublic"] is False
    assert community["onlyAdminCanPost"] is True
    assert community["needApprovalOnPostCreation"] is True


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN])
def test_every_request_needs_the_bearer_token(amity: FakeAmity, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    for method, path in (("POST", "/api/v4/posts"), ("GET", f"/api/v3/communities/{COMMUNITY}")):
        response = httpx.request(method, amity.url + path, json=body(), headers=headers)
        assert response.status_code == 401
        assert envelope(response) == {"status": "error", "code": 400100, "message": "Unauthorized"}
    assert amity.post_count() == 0


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        (
            body("x", attachments=[{"type": "image", "fileId": f"f{i}"} for i in range(11)]),
            "attachments",
        ),
        (body("a" * 20_001), "data.text"),
        (body(unknown=True), "body"),
        (body(tags=["t"] * 6), "tags"),
        (body(hashtags=["h" * 101]), "hashtags[0]"),
        (body(createdAt="yesterday"), "createdAt"),
        (body(createdAt="2024-01-01T10:00:00"), "createdAt"),
        (body(targetType="channel"), "targetType"),
        (body(links=[{"url": "https://x.test", "oops": 1}]), "links[0]"),
    ],
)
def test_schema_rejections(amity: FakeAmity, http: httpx.Client, sent: Any, field: str) -> None:
    response = http.post("/api/v4/posts", json=sent)
    assert response.status_code == 400
    answer = envelope(response)
    assert answer["code"] == 400000
    assert f"'{field}'" in answer["message"]
    assert len(answer["message"]) < 300  # the value itself is never echoed in full
    assert answer["data"]["detail"] and answer["data"]["detail"][0] in answer["message"]
    assert amity.post_count() == 0


def test_text_or_attachment_is_required(http: httpx.Client) -> None:
    for sent in (body(""), {"targetType": "community", "targetId": COMMUNITY}):
        answer = envelope(http.post("/api/v4/posts", json=sent))
        assert answer["code"] == 400000
        assert answer["message"] == "require text or at least 1 attachments"


def test_body_must_be_json(http: httpx.Client) -> None:
    response = http.post("/api/v4/posts", content=b"text=hello")
    assert response.status_code == 400
    assert envelope(response)["code"] == 400000


def test_unknown_community_is_404(http: httpx.Client) -> None:
    response = http.post("/api/v4/posts", json=body(targetId="not-a-community"))
    assert response.status_code == 404
    assert envelope(response)["code"] == 400400


def test_user_feed_needs_no_community(http: httpx.Client) -> None:
    response = http.post("/api/v4/posts", json=body(targetType="user", targetId="someone"))
    assert response.status_code == 200
    assert response.json()["communities"] == []


def test_duplicate_post_id_is_400315(amity: FakeAmity, http: httpx.Client) -> None:
    sent = body(postId="slack-1")
    assert http.post("/api/v4/posts", json=sent).status_code == 200
    again = http.post("/api/v4/posts", json=body("other text", postId="slack-1"))
    assert again.status_code == 400
    assert envelope(again) == {"status": "error", "code": 400315, "message": "Data already exists"}
    assert amity.post_count("slack-1") == 1
    assert amity.post_count() == 1


def test_concurrent_duplicates_store_one_post(amity: FakeAmity) -> None:
    def create(_: int) -> int:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        url = amity.url + "/api/v4/posts"
        return httpx.post(url, json=body(postId="same"), headers=auth, timeout=10).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(create, range(16)))
    assert statuses == [200] + [400] * 15
    assert amity.post_count() == 1
    assert len(amity.requests) == 16


def test_blocked_words_are_400308(amity: FakeAmity, http: httpx.Client) -> None:
    amity.blocked_words = {"Spam"}
    refused = http.post("/api/v4/posts", json=body("this is SPAM, really"))
    assert refused.status_code == 400
    assert envelope(refused)["code"] == 400308
    assert http.post("/api/v4/posts", json=body("no spammer here")).status_code == 200
    assert amity.post_count() == 1


def test_link_allowlist_is_400309(amity: FakeAmity, http: httpx.Client) -> None:
    amity.link_allowlist = {"example.com"}
    for sent in (
        body("see https://evil.test/page"),
        body("see the link", links=[{"url": "https://notexample.com/x", "index": 0, "length": 3}]),
    ):
        refused = http.post("/api/v4/posts", json=sent)
        assert refused.status_code == 400
        assert envelope(refused)["code"] == 400309
    allowed = body("see https://docs.example.com/a and https://example.com")
    assert http.post("/api/v4/posts", json=allowed).status_code == 200
    amity.link_allowlist = None
    assert http.post("/api/v4/posts", json=body("https://evil.test")).status_code == 200


def test_fail_next_with_an_amity_code(amity: FakeAmity, http: httpx.Client) -> None:
    amity.fail_next(429, 400311, "RateLimit Exceed.", times=2)
    for _ in range(2):
        response = http.post("/api/v4/posts", json=body())
        assert response.status_code == 429
        assert envelope(response)["code"] == 400311
        assert envelope(response)["message"] == "RateLimit Exceed."
    assert http.post("/api/v4/posts", json=body()).status_code == 200
    assert amity.post_count() == 1


def test_fail_next_without_code_is_a_proxy_page(amity: FakeAmity, http: httpx.Client) -> None:
    amity.fail_next(503, None)
    assert http.get(f"/api/v3/communities/{COMMUNITY}").status_code == 200  # other prefix
    response = http.post("/api/v4/posts", json=body())
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    with pytest.raises(ValueError):
        response.json()
    assert amity.post_count() == 0


def test_fail_next_with_detail_and_retry_after(amity: FakeAmity, http: httpx.Client) -> None:
    detail = ["The 'data.text' field length must be less than or equal to 20000"]
    amity.fail_next(422, 500000, "Parameters error.", detail=detail)
    amity.fail_next(429, 400311, "RateLimit Exceed.", retry_after=7)
    invalid = http.post("/api/v4/posts", json=body())
    assert invalid.status_code == 422
    assert envelope(invalid) == {
        "status": "error",
        "code": 500000,
        "message": "Parameters error.",
        "data": {"detail": detail},
    }
    limited = http.post("/api/v4/posts", json=body())
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "7")
    assert amity.post_count() == 0


def test_server_fault_on_an_upload(amity: FakeAmity, http: httpx.Client) -> None:
    amity.fail_next(500, 500000, "Unexpected error", path_prefix="/api/v4/images")
    files = {"files": ("a.png", b"png", "image/png")}
    answer = http.post("/api/v4/images", files=files)
    assert answer.status_code == 500 and envelope(answer)["code"] == 500000
    assert http.post("/api/v4/images", files=files).status_code == 200


def test_drop_next_closes_the_connection_unanswered(amity: FakeAmity, http: httpx.Client) -> None:
    amity.drop_next(times=2)
    for _ in range(2):
        with pytest.raises(httpx.RemoteProtocolError):
            http.post("/api/v4/posts", json=body())
    assert amity.post_count() == 0
    assert http.post("/api/v4/posts", json=body()).status_code == 200
    assert len(amity.requests) == 3


def test_fail_next_on_another_prefix(amity: FakeAmity, http: httpx.Client) -> None:
    amity.fail_next(500, 500000, "Unexpected error", path_prefix="/api/v3/communities")
    assert envelope(http.get(f"/api/v3/communities/{COMMUNITY}"))["code"] == 500000
    assert http.get(f"/api/v3/communities/{COMMUNITY}").status_code == 200


def test_fail_after_commit_stores_then_loses_the_answer(
    amity: FakeAmity, http: httpx.Client
) -> None:
    amity.fail_after_commit_next()
    sent = body(postId="slack-2")
    lost = http.post("/api/v4/posts", json=sent)
    assert lost.status_code == 502
    assert amity.post_count("slack-2") == 1
    retry = http.post("/api/v4/posts", json=sent)
    assert retry.status_code == 400
    assert envelope(retry)["code"] == 400315
    assert http.get("/api/v3/posts/slack-2").status_code == 200


def test_delay_seconds_holds_each_answer(amity: FakeAmity, http: httpx.Client) -> None:
    amity.delay_seconds = 0.2
    started = time.monotonic()
    assert http.get(f"/api/v3/communities/{COMMUNITY}").status_code == 200
    assert time.monotonic() - started >= 0.2


def test_requests_are_recorded_as_snapshots(amity: FakeAmity, http: httpx.Client) -> None:
    http.post("/api/v4/posts", json=body())
    http.get("/api/v3/posts/missing")
    first, second = amity.requests
    assert (first.method, first.path, first.json) == ("POST", "/api/v4/posts", body())
    assert first.headers["authorization"] == f"Bearer {TOKEN}"
    assert (second.method, second.path, second.json) == ("GET", "/api/v3/posts/missing", None)
    amity.posts[0]["data"]["text"] = "changed"
    assert amity.posts[0]["data"]["text"] == "Hello from Slack"


def test_snapshots_can_be_read_while_requests_arrive(amity: FakeAmity) -> None:
    done = threading.Event()

    def send() -> None:
        with httpx.Client(base_url=amity.url, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
            for i in range(30):
                c.post("/api/v4/posts", json=body(f"post {i}"))
        done.set()

    sender = threading.Thread(target=send)
    sender.start()
    while not done.wait(0.002):
        assert len(amity.posts) <= len(amity.requests)
    sender.join()
    assert amity.post_count() == 30


def test_stop_releases_the_port() -> None:
    fake = FakeAmity().start()
    url = fake.url
    fake.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/api/v3/posts/x")
    with pytest.raises(RuntimeError):
        _ = fake.url


def test_schema_is_packaged() -> None:
    schema = load_schema()
    assert schema["$id"] == "amity-create-post-v4"
    assert schema["properties"]["attachments"]["maxItems"] == 10


def test_servers_print_nothing(capfd: pytest.CaptureFixture[str], http: httpx.Client) -> None:
    http.post("/api/v4/posts", json=body())
    http.get("/api/v3/posts/none")
    httpx.get(str(http.base_url) + "/api/v4/posts")  # no token
    assert capfd.readouterr() == ("", "")


def test_stop_cuts_a_delay_short(amity: FakeAmity) -> None:
    amity.delay_seconds = 30
    outcome: list[int] = []

    def call() -> None:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        outcome.append(
            httpx.get(amity.url + "/api/v3/posts/x", headers=auth, timeout=20).status_code
        )

    caller = threading.Thread(target=call)
    caller.start()
    wait_for(lambda: len(amity.requests) == 1, message="the request to arrive")
    started = time.monotonic()
    amity.stop()
    caller.join(timeout=10)
    assert time.monotonic() - started < 5
    assert outcome == [404]


def test_packaged_schema_is_the_reference_one() -> None:
    """The schema the stand-in validates with is the reference's, byte for byte."""
    import json
    from pathlib import Path

    reference = Path(__file__).parents[2] / "shared/reference/amity-create-post.schema.json"
    if not reference.exists():
        pytest.skip("shared/reference is not beside this checkout")
    assert load_schema() == json.loads(reference.read_text(encoding="utf-8"))


def test_rate_limit_answers_429_past_the_budget_per_token(amity: FakeAmity) -> None:
    """Past ``rate_limit`` requests in the window, a token gets 429 / 400311; others do not."""
    amity.rate_limit = 3
    amity.rate_period = 60.0
    with httpx.Client(base_url=amity.url, timeout=10) as client:
        mine = {"Authorization": f"Bearer {TOKEN}"}
        other = {"Authorization": "Bearer someone-else"}
        statuses = [client.get(f"/api/v3/communities/{COMMUNITY}", headers=mine).status_code]
        statuses += [client.get(f"/api/v3/communities/{COMMUNITY}", headers=mine).status_code]
        statuses += [client.get(f"/api/v3/communities/{COMMUNITY}", headers=mine).status_code]
        refused = client.get(f"/api/v3/communities/{COMMUNITY}", headers=mine)
        assert client.get(f"/api/v3/communities/{COMMUNITY}", headers=other).status_code == 401
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.json() == {"status": "error", "code": 400311, "message": "RateLimit Exceed."}
    assert amity.rate_limited == 1


def test_rate_limit_window_slides(amity: FakeAmity, http: httpx.Client) -> None:
    """A request refused now is accepted once the oldest one has left the window."""
    amity.rate_limit = 1
    amity.rate_period = 0.3
    assert http.get(f"/api/v3/communities/{COMMUNITY}").status_code == 200
    assert http.get(f"/api/v3/communities/{COMMUNITY}").status_code == 429
    # refused requests do not count, so polling waits exactly for the window to slide
    wait_for(lambda: http.get(f"/api/v3/communities/{COMMUNITY}").status_code == 200, timeout=3)


def test_chaos_hang_up_drops_the_connection_before_the_post(
    amity: FakeAmity, http: httpx.Client
) -> None:
    """A hang-up fault closes the connection without an answer; no post is stored."""
    amity.chaos([Fault.hang_up()], rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/api/v4/posts", json=body(postId="slack-h"))
    assert amity.post_count() == 0


@pytest.mark.parametrize("hang_up", [False, True])
def test_chaos_lost_answer_stores_the_post(
    amity: FakeAmity, http: httpx.Client, hang_up: bool
) -> None:
    """A lost answer stores the post, then answers a 502 page or drops the connection."""
    chaos = amity.chaos([Fault.lost_answer(hang_up=hang_up)], rate=1.0)
    if hang_up:
        with pytest.raises(httpx.RemoteProtocolError):
            http.post("/api/v4/posts", json=body(postId="slack-l"))
    else:
        answer = http.post("/api/v4/posts", json=body(postId="slack-l"))
        assert answer.status_code == 502 and "text/html" in answer.headers["content-type"]
    assert amity.post_count("slack-l") == 1
    assert sum(chaos.drawn.values()) == 1


def test_chaos_errors_and_rate(amity: FakeAmity, http: httpx.Client) -> None:
    """Errors are drawn with the given rate only for the chosen path; the rest pass."""
    amity.chaos([Fault.error(503, None), Fault.error(429, 400311, "RateLimit Exceed.")], 0.5)
    statuses = [
        http.post("/api/v4/posts", json=body(postId=f"p{n}")).status_code for n in range(60)
    ]
    assert set(statuses) == {200, 429, 503}
    assert amity.post_count() == statuses.count(200)
    assert http.get(f"/api/v3/communities/{COMMUNITY}").status_code == 200


def test_community_keyword_search(amity: FakeAmity, http: httpx.Client) -> None:
    """GET /api/v3/communities?keyword= finds communities by a part of their name."""
    amity.add_community("c-partner", "Partner News")
    found = http.get("/api/v3/communities", params={"keyword": "news"}).json()
    assert [c["communityId"] for c in found["communities"]] == ["c-partner"]
    none = http.get("/api/v3/communities", params={"keyword": "nothing"}).json()
    assert none["communities"] == []


def created(http: httpx.Client, post_id: str = "p-edit") -> str:
    assert http.post("/api/v4/posts", json=body(postId=post_id)).status_code == 200
    return post_id


def test_update_changes_text_and_answers_the_post(amity: FakeAmity, http: httpx.Client) -> None:
    """PUT with a documented body changes the stored post and answers it."""
    post_id = created(http)
    update = {"data": {"text": "Edited"}, "metadata": {"a": 1}, "tags": ["x"]}
    answer = http.put(f"/api/v4/posts/{post_id}", json=update)
    assert answer.status_code == 200
    assert answer.json()["posts"][0]["data"]["text"] == "Edited"
    stored = amity.get_post(post_id)
    assert stored is not None and (stored["metadata"], stored["tags"]) == ({"a": 1}, ["x"])
    assert amity.updates == [(post_id, update)]


@pytest.mark.parametrize(
    ("update", "status", "code"),
    [
        ({"hashtags": ["a"]}, 400, 400000),
        ({"data": {"text": 5}}, 400, 400000),
        ({"data": {"text": "x" * 50_001}}, 400, 400000),
        ({"tags": ["a"] * 6}, 400, 400000),
        ({"mentionees": [{"type": "channel"}]}, 400, 400000),
    ],
)
def test_update_body_is_validated(
    http: httpx.Client, update: dict[str, Any], status: int, code: int
) -> None:
    """A field outside the documented update body, or a value out of its limits, is 400000."""
    post_id = created(http)
    answer = http.put(f"/api/v4/posts/{post_id}", json=update)
    assert (answer.status_code, envelope(answer)["code"]) == (status, code)


def test_update_and_delete_answers(amity: FakeAmity, http: httpx.Client) -> None:
    """Unknown post 404/400400, forbidden 403/400300, deleted post 404 for both."""
    for method in ("PUT", "DELETE"):
        answer = http.request(method, "/api/v4/posts/nope", json={"data": {"text": "x"}})
        assert (answer.status_code, envelope(answer)["code"]) == (404, 400400)
    post_id = created(http)
    amity.forbidden.add(post_id)
    answer = http.delete(f"/api/v4/posts/{post_id}")
    assert (answer.status_code, envelope(answer)["code"]) == (403, 400300)
    amity.forbidden.clear()
    answer = http.delete(f"/api/v4/posts/{post_id}")
    assert answer.status_code == 200 and answer.json()["data"]["success"] is True
    assert amity.deleted == [post_id]
    again = http.put(f"/api/v4/posts/{post_id}", json={"data": {"text": "late"}})
    assert (again.status_code, envelope(again)["code"]) == (404, 400400)
