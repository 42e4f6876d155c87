"""Slow and idle connections: the server closes what cannot be a request in time, and
makes room for Slack when idle keep-alive connections fill it.

The real app runs behind its real server on 127.0.0.1 with the same code and shorter
limits (a 1 s header deadline, 20 connections), so the tests take seconds; attacks go
over raw sockets.
"""

from __future__ import annotations

import http.client
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender
from bridge_standins.stack import NEWS, SIGNING_SECRET, LocalStack, start_stack
from waitress.server import BaseWSGIServer

from bridge.edge.connections import EdgeLimits
from bridge.server import bound_port, make_server, run_until
from tests.e2e import job_state

LIMITS = EdgeLimits(header_seconds=1.0, body_seconds=1.0, connection_limit=20)
IDLE_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: bridge\r\nConnection: keep-alive\r\n\r\n"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    running = start_stack(tmp_path)
    yield running
    running.stop()


@pytest.fixture
def edge(stack: LocalStack) -> Iterator[str]:
    """The same bridge served with LIMITS; its base URL."""
    server: BaseWSGIServer = make_server(stack.bridge, "127.0.0.1", 0, limits=LIMITS)
    stop = threading.Event()
    thread = threading.Thread(target=run_until, args=(server, stop), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{bound_port(server)}"
    stop.set()
    thread.join(timeout=10)


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def read_to_eof(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (the socket times out otherwise).

    A reset counts as closed too: a server closing a socket with unread bytes from the
    client (a trickle still arriving) resets it, and the reset may overtake its answer."""
    data = b""
    try:
        while chunk := sock.recv(4096):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def test_headers_that_never_finish_are_cut_off(edge: str, caplog: pytest.LogCaptureFixture) -> None:
    """A request whose headers keep trickling is answered 408 and closed (EOF)."""
    caplog.set_level(logging.WARNING)
    with socket.create_connection(("127.0.0.1", port_of(edge)), timeout=30) as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bridge\r\n")
        stop = threading.Event()

        def trickle() -> None:  # one header byte every 0.2 s, never the blank line
            while not stop.wait(0.2):
                try:
                    sock.send(b"X")
                except OSError:
                    return

        threading.Thread(target=trickle, daemon=True).start()
        try:
            answer = read_to_eof(sock)
        finally:
            stop.set()
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408 ")  # b"": the reset came first
    assert any(
        getattr(r, "status", None) == 408 and getattr(r, "reason", None) == "too_slow"
        for r in caplog.records
    )


def test_a_connection_that_sends_nothing_is_closed(edge: str) -> None:
    """Opened and silent: closed after the header deadline, without an answer."""
    with socket.create_connection(("127.0.0.1", port_of(edge)), timeout=30) as sock:
        assert read_to_eof(sock) == b""


def test_a_slow_body_is_cut_off(edge: str) -> None:
    """Headers in time, but the declared body never completes: 408, then EOF."""
    with socket.create_connection(("127.0.0.1", port_of(edge)), timeout=30) as sock:
        sock.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: bridge\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n{"
        )
        assert read_to_eof(sock).startswith(b"HTTP/1.1 408 ")


def test_signed_requests_get_through_idle_keepalives_filling_the_limit(
    stack: LocalStack,
) -> None:
    """The stack's own server, with the production limits: idle keep-alive connections
    up to its connection limit and beyond (waiting in the backlog); a signed reaction is
    still answered and its post made, and idle connections were closed to make room."""
    limit = EdgeLimits().connection_limit
    idle: list[socket.socket] = []
    try:
        for _ in range(limit + 5):
            sock = socket.create_connection(("127.0.0.1", port_of(stack.url)), timeout=10)
            sock.sendall(IDLE_REQUEST)
            idle.append(sock)
        answered = [sock.recv(4096) for sock in idle[: EdgeLimits().evict_at]]
        assert all(a.startswith(b"HTTP/1.1 200 ") for a in answered)
        msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "still heard"})
        with SlackSender(stack.events_url, SIGNING_SECRET, timeout=10) as slack:
            answer = slack.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
        assert answer.status_code == 200
        wait_for(lambda: stack.amity.post_count() == 1, timeout=15)
        assert job_state(stack, msg["ts"]) is not None
        assert b"HTTP/1.1" not in read_to_eof(idle[0])  # closed (EOF) to make room
    finally:
        for sock in idle:
            sock.close()


def test_a_kept_alive_connection_serves_several_requests(edge: str) -> None:
    """Keep-alive still works: two requests on one connection, both answered."""
    conn = http.client.HTTPConnection("127.0.0.1", port_of(edge), timeout=30)
    try:
        statuses, sockets = [], []
        for _ in range(2):
            conn.request("GET", "/healthz")
            answer = conn.getresponse()
            answer.read()
            statuses.append(answer.status)
            sockets.append(conn.sock)
    finally:
        conn.close()
    assert statuses == [200, 200] and sockets[0] is sockets[1]
