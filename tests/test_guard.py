"""The HTTP edge: oversized bodies get 413, unsigned or stale requests 401, cheaply.

The real app runs behind waitress on 127.0.0.1; oversized and chunked bodies go over raw
sockets, since the server answers and closes before such a body is fully sent.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterable, Iterator
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from bridge_standins.server import wait_for
from bridge_standins.signed import JSON, SlackSender, reaction_added_body, signed_headers
from bridge_standins.stack import NEWS, SIGNING_SECRET, TEAM, LocalStack, start_stack

from bridge.delivery.outbox import JobState
from bridge.edge.guard import Guard
from bridge.ops.logs import JsonFormatter
from tests.e2e import job_state

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

MARKER = b"CONFIDENTIAL-BODY-TEXT "  # must never reach a log line
LIMIT = 65_536
METRICS_TOKEN = "scrape-token-5b1c9e"


@pytest.fixture
def stack(tmp_path: Path, database_url: str) -> Iterator[LocalStack]:
    running = start_stack(
        tmp_path,
        database_url=database_url,
        BRIDGE_MAX_BODY_BYTES=LIMIT,
        BRIDGE_METRICS_TOKEN=METRICS_TOKEN,
    )
    yield running
    running.stop()


@pytest.fixture
def refusals(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.INFO)
    yield caplog
    lines = [JsonFormatter().format(record) for record in caplog.records]
    assert not [line for line in lines if MARKER.decode().strip() in line]
    assert not [line for line in lines if METRICS_TOKEN in line]


def refused(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The ``bridge.request_refused`` lines, as their JSON objects."""
    return [
        json.loads(JsonFormatter().format(r))
        for r in caplog.records
        if r.getMessage() == "bridge.request_refused"
    ]


def port_of(stack: LocalStack) -> int:
    return int(stack.url.rsplit(":", 1)[1])


def exchange(port: int, head: bytes, body: Iterable[bytes]) -> bytes:
    """Send a request over a raw socket; the answer's status line. The server may answer
    and close before the body is all sent: sending then fails, the answer is still read."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(head)
        try:
            for part in body:
                sock.sendall(part)
        except OSError:
            pass
        answer = b""
        try:
            while b"\r\n" not in answer and (data := sock.recv(4096)):
                answer += data
        except ConnectionResetError:
            pass
    return answer.split(b"\r\n", 1)[0]


def head(fields: dict[str, str]) -> bytes:
    lines = ["POST /slack/events HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in fields.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def plausible(timestamp: int | None = None) -> dict[str, str]:
    """Headers shaped like Slack's (current timestamp), with a signature of nothing."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + "ab" * 32}


def nothing_stored(stack: LocalStack) -> bool:
    return stack.bridge.outbox.recent(10) == [] and stack.amity.posts == []


def test_declared_oversized_body_gets_413_at_once(
    stack: LocalStack, refusals: pytest.LogCaptureFixture
) -> None:
    """Content-Length over the limit: 413 before the body is sent; one log line."""
    fields = plausible() | {"Content-Type": JSON, "Content-Length": str(80_000_000)}
    assert exchange(port_of(stack), head(fields), [MARKER * 1000]) == (
        b"HTTP/1.1 413 Request Entity Too Large"
    )
    wait_for(lambda: len(refused(refusals)) == 1)
    [line] = refused(refusals)
    assert (line["status"], line["reason"], line["path"]) == (413, "too_large", "/slack/events")
    assert nothing_stored(stack)


def test_oversized_body_announced_with_expect_continue_gets_413_without_continue(
    stack: LocalStack, refusals: pytest.LogCaptureFixture
) -> None:
    """``Expect: 100-continue`` with a length over the limit: 413 is the first answer."""
    fields = {"Content-Type": JSON, "Content-Length": "80000000", "Expect": "100-continue"}
    assert exchange(port_of(stack), head(fields), []) == b"HTTP/1.1 413 Request Entity Too Large"
    assert nothing_stored(stack)


def test_acceptable_body_announced_with_expect_continue_is_invited(stack: LocalStack) -> None:
    """``Expect: 100-continue`` within the limit: ``100 Continue``, then the answer."""
    fields = {"Content-Type": JSON, "Content-Length": "16", "Expect": "100-continue"}
    with socket.create_connection(("127.0.0.1", port_of(stack)), timeout=15) as sock:
        sock.sendall(head(fields))
        assert sock.recv(4096).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(MARKER[:16])
        assert sock.recv(4096).startswith(b"HTTP/1.1 401 Unauthorized")


def test_chunked_body_is_cut_off_with_413(
    stack: LocalStack, refusals: pytest.LogCaptureFixture
) -> None:
    """A chunked body that crosses the limit: 413 mid-body; nothing stored, nothing logged."""
    chunk = MARKER * 700
    parts = (b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(4 * LIMIT // len(chunk)))
    fields = plausible() | {"Content-Type": JSON, "Transfer-Encoding": "chunked"}
    answer = exchange(port_of(stack), head(fields), [*parts, b"0\r\n\r\n"])
    assert answer == b"HTTP/1.1 413 Request Entity Too Large"
    wait_for(lambda: len(refused(refusals)) == 1)
    assert refused(refusals)[0]["reason"] == "too_large"
    assert nothing_stored(stack)


def test_limit_is_exact_for_signed_requests(stack: LocalStack) -> None:
    """A signed body of exactly BRIDGE_MAX_BODY_BYTES is handled; one byte more is 413."""
    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "padded"})
    body = reaction_added_body(
        team_id=TEAM, user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"]
    )
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        over = slack.post(body.ljust(LIMIT + 1), JSON)
        assert over.status_code == 413
        assert slack.post(body.ljust(LIMIT), JSON).status_code == 200
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    assert [p["data"]["text"] for p in stack.amity.posts] == ["padded"]


HEX = "v0=" + "ab" * 32


@pytest.mark.parametrize(
    ("signature", "timestamp", "reason"),
    [
        (None, None, "unsigned"),
        (HEX, None, "unsigned"),
        (None, 0, "unsigned"),
        ("v0=not-hex", 0, "malformed_signature"),
        ("v1=" + "ab" * 32, 0, "malformed_signature"),
        ("v0=" + "AB" * 32, 0, "malformed_signature"),
        (HEX, "12.5", "malformed_signature"),
        (HEX, "soon", "malformed_signature"),
        (HEX, -6 * 60, "stale_timestamp"),
        (HEX, 6 * 60, "stale_timestamp"),
    ],
)
def test_implausible_signature_headers_get_401(
    stack: LocalStack,
    refusals: pytest.LogCaptureFixture,
    signature: str | None,
    timestamp: int | str | None,
    reason: str,
) -> None:
    """Missing, malformed or stale signature headers (a number is seconds from now): 401
    and one line with the reason."""
    fields = {} if signature is None else {"X-Slack-Signature": signature}
    if isinstance(timestamp, int):
        timestamp = str(int(time.time()) + timestamp)
    if timestamp is not None:
        fields["X-Slack-Request-Timestamp"] = timestamp
    answer = httpx.post(stack.events_url, content=MARKER * 100, headers=fields)
    assert answer.status_code == 401
    assert "signed by Slack" in answer.text
    [line] = refused(refusals)
    assert (line["status"], line["reason"], line["path"]) == (401, reason, "/slack/events")
    assert nothing_stored(stack)


def test_a_correctly_signed_stale_request_is_refused_by_the_guard(
    stack: LocalStack, refusals: pytest.LogCaptureFixture
) -> None:
    """A replay of a genuine request after 6 minutes never reaches Bolt."""
    body = reaction_added_body(
        team_id=TEAM, user="U0BOB0001", reaction="mega", channel=NEWS, ts="1.2"
    )
    old = signed_headers(
        SIGNING_SECRET, body, timestamp=int(time.time()) - 6 * 60, content_type=JSON
    )
    assert httpx.post(stack.events_url, content=body, headers=old).status_code == 401
    assert [line["reason"] for line in refused(refusals)] == ["stale_timestamp"]
    assert nothing_stored(stack)


def test_every_route_but_health_and_metrics_is_guarded(
    stack: LocalStack, refusals: pytest.LogCaptureFixture
) -> None:
    """Any other path or method needs the signature headers too (future webhook routes)."""
    assert httpx.post(stack.url + "/webhooks/other", content=MARKER).status_code == 401
    assert httpx.post(stack.url + "/healthz", content=MARKER).status_code == 401
    assert httpx.get(stack.url + "/healthz").status_code == 200
    assert [line["path"] for line in refused(refusals)] == ["/webhooks/other", "/healthz"]


@pytest.mark.parametrize(
    "body", [b"\xff\xfe" + MARKER, b"[" * 60_000, MARKER, b'{"type": "url_verification"}']
)
def test_a_wrong_signature_is_refused_before_the_body_is_parsed(
    stack: LocalStack, refusals: pytest.LogCaptureFixture, body: bytes
) -> None:
    """Well-formed headers, wrong HMAC: 401 whatever the body (Bolt would parse it first,
    and answer bytes that are not UTF-8 or not a JSON object with a 500)."""
    answer = httpx.post(
        stack.events_url, content=body, headers=plausible() | {"Content-Type": JSON}
    )
    assert answer.status_code == 401
    assert [line["reason"] for line in refused(refusals)] == ["bad_signature"]
    assert nothing_stored(stack)


def test_a_lying_content_length_gains_nothing(
    stack: LocalStack, refusals: pytest.LogCaptureFixture
) -> None:
    """A short declared length followed by a long body: the request is refused, the rest
    read as a malformed next request; the server answers the next client normally."""
    fields = {"Content-Type": JSON, "Content-Length": "16"}
    first = exchange(port_of(stack), head(fields), [MARKER * 20_000])
    assert first == b"HTTP/1.1 401 Unauthorized"
    assert httpx.get(stack.url + "/healthz").status_code == 200
    assert refused(refusals)[0]["reason"] == "unsigned"
    assert nothing_stored(stack)


def test_signed_requests_still_work_end_to_end(stack: LocalStack) -> None:
    """A genuine signed reaction passes the guard and Bolt's check, and is posted."""
    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "through the guard"})
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        answer = slack.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
    assert answer.status_code == 200
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    assert [p["data"]["text"] for p in stack.amity.posts] == ["through the guard"]


def test_metrics_need_the_token_when_one_is_set(
    stack: LocalStack, refusals: pytest.LogCaptureFixture
) -> None:
    """/metrics: 401 without the bearer token or with a wrong one, 200 with it."""
    metrics = stack.url + "/metrics"
    anonymous = httpx.get(metrics)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = httpx.get(metrics, headers={"Authorization": f"Bearer {METRICS_TOKEN}x"})
    assert wrong.status_code == 401
    assert httpx.get(metrics, headers={"Authorization": METRICS_TOKEN}).status_code == 401
    scraped = httpx.get(metrics, headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert scraped.status_code == 200
    assert "bridge_ack_seconds" in scraped.text
    assert [line["reason"] for line in refused(refusals)] == ["metrics_unauthorized"] * 3


def test_metrics_are_open_without_a_token(tmp_path: Path) -> None:
    """With no BRIDGE_METRICS_TOKEN, /metrics answers anyone (the default)."""
    running = start_stack(tmp_path, start_worker=False)
    try:
        assert httpx.get(running.url + "/metrics").status_code == 200
    finally:
        running.stop()


class Untouchable(BytesIO):
    """A request body that fails the test if anything reads it."""

    def read(self, size: int | None = -1) -> bytes:
        raise AssertionError("the body of a refused request was read")


def test_header_refusals_never_read_the_body() -> None:
    """Missing or stale signature headers, or no metrics token: decided from the headers
    alone; the body is not read and the app not called."""
    called: list[str] = []

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        called.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b""]

    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> Any:
        statuses.append(status)

    guard = Guard(app, signing_secret="s", metrics_token="t", clock=lambda: 1_700_000_000.0)
    stamp = {"HTTP_X_SLACK_SIGNATURE": "v0=" + "0" * 64}
    for extra in (
        {},
        stamp | {"HTTP_X_SLACK_REQUEST_TIMESTAMP": "1699999699"},  # 301 s old
        stamp | {"HTTP_X_SLACK_REQUEST_TIMESTAMP": "1700000301"},  # 301 s ahead
    ):
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/slack/events",
            "CONTENT_LENGTH": "9",
            "wsgi.input": Untouchable(),
        }
        guard(environ | extra, start_response)
    get_metrics = {"REQUEST_METHOD": "GET", "PATH_INFO": "/metrics", "wsgi.input": Untouchable()}
    guard(get_metrics, start_response)
    assert statuses == ["401 Unauthorized"] * 4
    assert called == []


def test_signed_body_is_rewound_for_the_app() -> None:
    """Within the window (300 s) and signed: the app reads the whole body from the start."""
    seen: list[bytes] = []

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        seen.append(environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])))
        start_response("200 OK", [])
        return [b""]

    body = b"payload=" + b"x" * 200_000  # several of the guard's 64 KiB pieces
    headers = signed_headers("secret", body, timestamp=1_699_999_700)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": headers["X-Slack-Request-Timestamp"],
        "HTTP_X_SLACK_SIGNATURE": headers["X-Slack-Signature"],
        "wsgi.input": BytesIO(body),
    }
    guard = Guard(app, signing_secret="secret", clock=lambda: 1_700_000_000.0)
    guard(environ, lambda status, headers, exc=None: lambda data: None)
    assert seen == [body]


def test_a_signed_chunked_request_is_handled(stack: LocalStack) -> None:
    """The signature check reads a chunked body whole (waitress gives its length)."""
    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "sent in chunks"})
    body = reaction_added_body(
        team_id=TEAM, user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"]
    )
    fields = signed_headers(SIGNING_SECRET, body, content_type=JSON)
    fields["Transfer-Encoding"] = "chunked"
    half = len(body) // 2
    chunks = [b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:half], body[half:])]
    assert exchange(port_of(stack), head(fields), [*chunks, b"0\r\n\r\n"]) == b"HTTP/1.1 200 OK"
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    assert [p["data"]["text"] for p in stack.amity.posts] == ["sent in chunks"]
