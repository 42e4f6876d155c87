"""A local stand-in for Slack's Socket Mode: a real WebSocket server on 127.0.0.1.

Attached to a :class:`~bridge_standins.slack.FakeSlack`, it answers ``apps.connections.open``
(called with the app-level ``xapp-`` token) with a ``ws://127.0.0.1:<port>/link/?ticket=...``
URL, greets each connection with ``hello``, delivers envelopes (``events_api``,
``slash_commands``, ``interactive``) to the newest connection, records the acks the app
sends back (``envelope_id`` and the optional response ``payload``), and can ask the app to
move to a new connection with a ``disconnect`` message, as Slack does every few hours.
Envelope shapes follow Slack's Socket Mode documentation and the fixtures in slack_sdk's
own tests. Needs the ``websockets`` package (the ``dev`` extra).
"""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from http import HTTPStatus
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from bridge_standins.server import wait_for
from bridge_standins.slack import FakeSlack
from bridge_standins.slack_model import MethodRefused

APP_ID = "A0BRIDGE"


class FakeSocketMode:
    """Slack's Socket Mode endpoint for one app."""

    def __init__(self, slack: FakeSlack, app_token: str, host: str = "127.0.0.1") -> None:
        """Serve Socket Mode for ``slack``'s workspace to apps holding ``app_token``."""
        self.slack = slack
        self.app_token = app_token
        self.host = host
        self._lock = threading.Lock()
        self._tickets: set[str] = set()
        self._connections: list[ServerConnection] = []
        self._acks: dict[str, dict[str, Any]] = {}
        self._sent = itertools.count(1)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self.opened = 0  # connections accepted so far

    def start(self) -> Self:
        """Listen on a free port and answer ``apps.connections.open`` on the fake Slack."""
        self._server = serve(
            self._session, self.host, 0, process_request=self._check_ticket, ping_interval=None
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-socket-mode", daemon=True
        )
        self._thread.start()
        self.slack.app_token = self.app_token
        self.slack.add_method("apps.connections.open", self._open)
        return self

    def stop(self) -> None:
        """Close every connection and the listening socket."""
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=10)

    @property
    def port(self) -> int:
        """The WebSocket server's port."""
        assert self._server is not None, "start() first"
        return int(self._server.socket.getsockname()[1])

    def _open(self, _params: dict[str, Any]) -> dict[str, Any]:
        ticket = uuid.uuid4().hex
        with self._lock:
            self._tickets.add(ticket)
        return {"ok": True, "url": f"ws://{self.host}:{self.port}/link/?ticket={ticket}"}

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        """Refuse a handshake whose ticket was not issued (or was used already)."""
        ticket = parse_qs(urlsplit(request.path).query).get("ticket", [""])[0]
        with self._lock:
            if ticket in self._tickets:
                self._tickets.discard(ticket)
                return None
        return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid ticket\n")

    def _session(self, connection: ServerConnection) -> None:
        with self._lock:
            self._connections.append(connection)
            self.opened += 1
            count = len(self._connections)
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": count,
                    "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": APP_ID},
                }
            )
        )
        try:
            for raw in connection:
                message = json.loads(raw)
                if isinstance(message, dict) and isinstance(message.get("envelope_id"), str):
                    with self._lock:
                        self._acks[message["envelope_id"]] = message
        except (ConnectionClosed, ValueError):
            pass
        finally:
            with self._lock:
                self._connections.remove(connection)

    @property
    def connected(self) -> int:
        """How many connections are open now."""
        with self._lock:
            return len(self._connections)

    def wait_connected(self, opened: int = 1, timeout: float = 20.0) -> None:
        """Wait until ``opened`` connections were accepted and one is open."""
        wait_for(
            lambda: self.opened >= opened and self.connected >= 1,
            timeout=timeout,
            message=f"{opened} Socket Mode connection(s)",
        )

    def _newest(self) -> ServerConnection:
        with self._lock:
            if not self._connections:
                raise MethodRefused("no Socket Mode connection is open")
            return self._connections[-1]

    def deliver(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = False,
        retry_attempt: int = 0,
    ) -> str:
        """Send an envelope of ``kind`` (events_api, slash_commands, interactive) to the
        newest connection; returns its ``envelope_id``."""
        envelope_id = f"{uuid.uuid4()}-{next(self._sent)}"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            envelope |= {"retry_attempt": retry_attempt, "retry_reason": ""}
        self._newest().send(json.dumps(envelope))
        return envelope_id

    def ack(self, envelope_id: str, timeout: float = 20.0) -> dict[str, Any]:
        """The app's acknowledgement of an envelope (waits for it)."""
        wait_for(lambda: envelope_id in self.acks, timeout=timeout, message=f"ack of {envelope_id}")
        return self.acks[envelope_id]

    @property
    def acks(self) -> dict[str, dict[str, Any]]:
        """Every acknowledgement received, by envelope ID."""
        with self._lock:
            return dict(self._acks)

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the app to move to a new connection (it calls apps.connections.open again)."""
        self._newest().send(
            json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "fake"}})
        )
