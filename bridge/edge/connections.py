"""The HTTP edge's connections: slow and idle ones cannot hold the server.

waitress reads every request on its one event-loop thread and hands a worker thread
only a request that has fully arrived, so a slow client costs a connection, never a
thread. Connections are what an attacker can exhaust, so :class:`EdgeChannel` bounds
how long each may be held without sending a request, on top of waitress's own limits
(:class:`EdgeLimits`, given to waitress by :func:`waitress_connections`):

- **Request deadline.** A request's line and headers must arrive within 10 s of the
  connection opening (for a first request) or of the request's first byte (on a
  kept-alive connection); its body within a further 10 s plus 1 s per 100 kB of its
  declared ``Content-Length`` (of ``BRIDGE_MAX_BODY_BYTES`` when chunked). Past that the
  server answers ``408 Request Timeout``, closes the connection and logs one
  ``bridge.request_refused`` line (status 408, reason ``too_slow``); a connection that
  opens and sends nothing is closed after the same 10 s. Trickling a byte a second
  does not extend the deadline.
- **Connection limit.** 500 connections at once (waitress reads them all on one thread
  with ``poll``, so there is no 1,024 ``select`` ceiling). From 90 % of it (450) on,
  every connection that has waited more than 1 s for its next request (an idle
  keep-alive) is closed to make room; a connection whose request is arriving, running
  or being answered is never cut short. At the limit, new connections wait in the
  listen backlog (1,024) until room is made.
- **Idle keep-alive.** Otherwise an idle kept-alive connection stays open 100 s: longer
  than the 90 s after which Heroku's Router 2.0 closes its idle connections to a dyno,
  so that the router, not the server, ends them (no race on a connection being closed
  as the router sends on it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sized
from dataclasses import dataclass
from typing import TypedDict, cast

from bridge.edge.guard import GuardedChannel

log = logging.getLogger("bridge.edge.guard")


@dataclass(frozen=True)
class EdgeLimits:
    """How long and how many connections may be held (the documented defaults)."""

    header_seconds: float = 10.0
    body_seconds: float = 10.0
    body_bytes_per_second: int = 100_000
    # An idle connection costs a few kB; a body waits in memory up to 64 KiB (the rest on
    # disk, bridge/edge/guard.py): 500 connections hold at most ~33 MB of bodies, well
    # inside a 512 MB dyno beside the worker, and far above what Slack sends at once.
    connection_limit: int = 500
    keepalive_seconds: int = 100
    evict_idle_seconds: float = 1.0
    backlog: int = 1024

    @property
    def evict_at(self) -> int:
        """Open connections from which idle ones are closed to make room (90 %)."""
        return self.connection_limit * 9 // 10


TIMEOUT_ANSWER = (
    b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: text/plain\r\n"
    b"Content-Length: 44\r\n\r\nThe request did not arrive in time: retry.\r\n"
)


class WaitressConnections(TypedDict):
    """The waitress settings :func:`connection_settings` gives."""

    connection_limit: int
    channel_timeout: int
    cleanup_interval: int
    backlog: int
    asyncore_use_poll: bool


def waitress_connections(limits: EdgeLimits) -> WaitressConnections:
    """waitress's own settings for these limits."""
    return {
        "connection_limit": limits.connection_limit,
        "channel_timeout": limits.keepalive_seconds,  # waitress closes idle ones after it
        "cleanup_interval": min(10, limits.keepalive_seconds),
        "backlog": limits.backlog,
        "asyncore_use_poll": True,  # select() stops at 1,024 file descriptors
    }


def channel_class(limits: EdgeLimits) -> type[EdgeChannel]:
    """The connection handler enforcing ``limits``."""
    return type("LimitedChannel", (EdgeChannel,), {"limits": limits})


class EdgeChannel(GuardedChannel):
    """waitress's connection, with a deadline for each request and room made at capacity."""

    limits = EdgeLimits()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.request_started = self.creation_time
        self.first_request = True

    def received(self, data: bytes) -> bool:
        """Note when a new request starts, then parse as waitress does."""
        if data and self.request is None:
            if not self.first_request:
                self.request_started = time.time()
            self.first_request = False
        return bool(super().received(data))

    def writable(self) -> bool:
        """waitress asks this on every turn of its loop: close a connection past its
        deadline, or an idle one when room is needed."""
        if not (self.will_close or self.close_when_flushed or self.requests):
            self._enforce(time.time())
        return bool(super().writable())

    def _enforce(self, now: float) -> None:
        if self.total_outbufs_len:
            return  # an answer is still being sent
        request = self.request
        if request is None:
            if self.first_request and now - self.creation_time > self.limits.header_seconds:
                self.will_close = True  # opened and never sent a byte
            elif (
                now - self.last_activity > self.limits.evict_idle_seconds
                and self._connections() >= self.limits.evict_at
            ):
                self.will_close = True  # idle while room is needed
            return
        if now - self.request_started > self._allowed(request):
            self._time_out(request)

    def _connections(self) -> int:
        # the stubs type active_channels as one channel; it is waitress's dict of them
        return len(cast("Sized", self.server.active_channels))

    def _allowed(self, request: object) -> float:
        limits = self.limits
        if not getattr(request, "headers_finished", False):
            return limits.header_seconds
        if getattr(request, "chunked", False):
            size = int(self.adj.max_request_body_size)
        else:
            size = int(getattr(request, "content_length", 0) or 0)
        return limits.header_seconds + limits.body_seconds + size / limits.body_bytes_per_second

    def _time_out(self, request: object) -> None:
        log.warning(
            "bridge.request_refused",
            extra={
                "status": 408,
                "reason": "too_slow",
                "path": str(getattr(request, "path", "") or "")[:80],
            },
        )
        self.request = None
        with self.outbuf_lock:
            self.outbufs[-1].append(TIMEOUT_ANSWER)
            self.current_outbuf_count += len(TIMEOUT_ANSWER)
            self.total_outbufs_len += len(TIMEOUT_ANSWER)
        self.close_when_flushed = True
