"""The bridge's application (behind the same guard) under another WSGI server, for
``bench.edge`` to compare with waitress. Not used by the product.

    python -m bench.edge_alt cheroot   (cheroot must be importable, e.g. on PYTHONPATH)
"""

from __future__ import annotations

import importlib
import io
import json
import signal
import sys
import threading
from types import FrameType
from typing import Any

from bridge.app import build
from bridge.edge.guard import Guard
from bridge.routes import load_routes
from bridge.settings import Settings

THREADS = 8  # as many as the bridge gives waitress


def seekable_body(app: Any, limit: int) -> Any:
    """The guard rewinds the body after checking its signature (waitress gives a
    seekable one): read the body, at most ``limit`` bytes, into memory first."""

    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > limit:
            start_response("413 Request Entity Too Large", [("Content-Length", "0")])
            return [b""]
        environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(length))
        return app(environ, start_response)

    return wrapped


def main() -> int:
    """Build the bridge from the environment as ``serve`` does; serve it until SIGTERM."""
    name = sys.argv[1]
    settings = Settings()
    bridge = build(settings, load_routes(settings.BRIDGE_CONFIG))
    token = settings.BRIDGE_METRICS_TOKEN
    app = Guard(
        bridge.wsgi,
        signing_secret=settings.SLACK_SIGNING_SECRET.get_secret_value(),
        metrics_token=token.get_secret_value() if token else None,
    )
    app = seekable_body(app, settings.BRIDGE_MAX_BODY_BYTES)
    if name != "cheroot":
        raise SystemExit(f"unknown server {name}")
    wsgi: Any = importlib.import_module("cheroot.wsgi")
    server = wsgi.Server(("127.0.0.1", 0), app, numthreads=THREADS)  # its defaults otherwise
    server.prepare()
    bridge.start_worker()
    port = server.bind_addr[1]
    print(json.dumps({"event": "bridge.listening", "port": port}), file=sys.stderr, flush=True)

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=server.stop).start()

    signal.signal(signal.SIGTERM, on_signal)
    try:
        server.serve()
    finally:
        bridge.stop(timeout=5)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
