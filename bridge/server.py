"""The HTTP server: waitress (a production WSGI server) in front of ``Bridge.wsgi``.

Slow and idle connections are bounded by :mod:`bridge.edge.connections` (a deadline for
each request, 500 connections, idle keep-alives closed when room is needed).
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import threading
from types import FrameType

from waitress import wasyncore
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

from bridge.app import Bridge
from bridge.edge.connections import EdgeLimits, channel_class, waitress_connections
from bridge.edge.guard import Guard, waitress_limits
from bridge.ops.health import FIRST_ROUND_SECONDS
from bridge.ops.socketmode import SocketMode, SocketModeLock, socket_mode_wanted

log = logging.getLogger("bridge.server")
# waitress's request threads. Measured with bench/ack.py (50 signed requests in flight
# while the worker posts): 16 or 32 threads answer no sooner than 8 (32 later), because an
# ack waits for the interpreter, shared with the worker's threads, not for a thread.
THREADS = 8


class PortInUse(OSError):
    """Another process already listens on the port (told apart from Slack being down)."""


def make_server(
    bridge: Bridge,
    host: str,
    port: int,
    *,
    threads: int = THREADS,
    limits: EdgeLimits = EdgeLimits(),  # noqa: B008 (frozen)
) -> BaseWSGIServer:
    """A waitress server bound to ``host:port`` (port 0 picks a free port), running
    ``Bridge.wsgi`` behind the guard (bridge/edge/guard.py) with a bounded request body,
    and ``limits`` on slow and idle connections (bridge/edge/connections.py)."""
    settings = bridge.settings
    token = settings.BRIDGE_METRICS_TOKEN
    guard = Guard(
        bridge.wsgi,
        signing_secret=settings.SLACK_SIGNING_SECRET.get_secret_value(),
        metrics_token=token.get_secret_value() if token else None,
    )
    try:
        server = create_server(
            guard,
            host=host,
            port=port,
            threads=threads,
            ident="bridge",
            clear_untrusted_proxy_headers=True,
            **waitress_limits(settings.BRIDGE_MAX_BODY_BYTES),
            **waitress_connections(limits),
        )
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise PortInUse(error.errno, f"port {port} on {host} is already in use") from None
        raise
    if isinstance(server, MultiSocketServer):  # pragma: no cover - one host, one socket
        raise TypeError(f"{host} resolves to several addresses: give one IP address")
    # logs waitress's own refusals (413, 400) and enforces the connection limits
    server.channel_class = channel_class(limits)
    return server


def bound_port(server: BaseWSGIServer) -> int:
    """The TCP port the server listens on."""
    sock = server.socket
    if sock is None:
        raise RuntimeError("the server is not listening")
    return int(sock.getsockname()[1])


def run_until(server: BaseWSGIServer, stop: threading.Event, tick: float = 0.2) -> None:
    """Serve until ``stop`` is set, then close the server from this same thread."""
    # waitress keeps its socket map in _map (not in its type stubs)
    sockets = server._map  # type: ignore[attr-defined]
    try:
        while not stop.is_set():
            wasyncore.loop(timeout=tick, map=sockets, count=1, use_poll=True)
    finally:
        server.task_dispatcher.shutdown()
        wasyncore.close_all(sockets)  # the listening socket and open keep-alive connections


def start_socket_mode(bridge: Bridge, wanted: bool) -> SocketMode | None:
    """With ``serve --socket-mode`` and SLACK_APP_TOKEN, receive Slack's requests over
    Socket Mode (no public URL), in the one process that holds the store's lock."""
    token = bridge.settings.SLACK_APP_TOKEN
    if not socket_mode_wanted(token is not None, wanted) or token is None:
        return None
    lock = SocketModeLock(bridge.outbox.engine, bridge.settings.DATABASE_URL)
    socket = SocketMode(bridge.bolt, token.get_secret_value(), lock)
    socket.start()
    return socket


def serve_forever(bridge: Bridge, host: str, port: int, *, socket_mode: bool = False) -> None:
    """Run the worker and the server until SIGTERM or Ctrl-C; then stop cleanly. Slack
    and Amity are asked first; those that fail are asked again in the background while
    ``/healthz`` says why (``bridge.ops.health``)."""
    server = make_server(bridge, host, port)
    stop = threading.Event()

    received: list[str] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        # no logging here: the signal may interrupt a log line being written on stderr
        received.append(signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    bridge.dependencies.start()  # Slack and Amity; /healthz says why while they fail
    bridge.dependencies.first_round.wait(FIRST_ROUND_SECONDS)
    socket = start_socket_mode(bridge, socket_mode)
    bridge.start_worker()
    log.info(
        "bridge.listening",
        extra={"host": host, "port": bound_port(server), "socket_mode": socket is not None},
    )
    try:
        run_until(server, stop)
    finally:
        log.info("bridge.stopping", extra={"signal": received[0] if received else None})
        if socket is not None:
            socket.close()
        finished = bridge.stop(timeout=bridge.settings.BRIDGE_SHUTDOWN_SECONDS)
        log.info("bridge.stopped", extra={"clean": finished})
        if not finished:  # jobs still running keep their lease; another process resumes them
            logging.shutdown()
            os._exit(0)
