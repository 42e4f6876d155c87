"""The bridge wired to the stand-ins: used by ``python -m bridge demo`` and the tests.

``start_stack`` starts a fake Slack and a fake Amity, writes a routes file, builds the
real bridge from real settings, and serves it with waitress on 127.0.0.1 (port 0) in a
background thread. Everything talks over real HTTP.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from waitress.server import BaseWSGIServer

from bridge.app import Bridge, build
from bridge.delivery.outbox import Clock, utc_now
from bridge.routes import load_routes
from bridge.server import bound_port, make_server, run_until
from bridge.settings import Settings
from bridge_standins.amity import FakeAmity
from bridge_standins.slack import FakeSlack

TEAM = "T0FAKE"
NEWS = "C0NEWS001"  # routed channel: emoji mega → community COMMUNITY
RANDOM = "C0RANDOM1"  # a channel with no route
COMMUNITY = "64be1f6cb9b4106b5a6bbf3f"
SIGNING_SECRET = "local-signing-secret"
BOT_TOKEN = "xoxb-local-bot-token"
AMITY_TOKEN = "local-amity-admin-token"
POST_URL = "https://community.acme.test/c/{communityId}/posts/{postId}"
ROUTES = f"""routes:
  - name: announcements
    channels: [{NEWS}]
    emoji: mega
    community: {COMMUNITY}
users:
  U0ALICE01: alice-amity
"""


@dataclass
class LocalStack:
    """A running bridge with its stand-ins."""

    slack: FakeSlack
    amity: FakeAmity
    bridge: Bridge
    server: BaseWSGIServer
    settings: Settings
    thread: threading.Thread = field(init=False)
    stopped: threading.Event = field(init=False)

    def __post_init__(self) -> None:
        self.stopped = threading.Event()
        self.thread = threading.Thread(
            target=run_until, args=(self.server, self.stopped), name="bridge-http", daemon=True
        )

    @property
    def url(self) -> str:
        """Where Slack would send requests."""
        return f"http://127.0.0.1:{bound_port(self.server)}"

    @property
    def events_url(self) -> str:
        """``POST /slack/events``."""
        return self.url + "/slack/events"

    def stop(self) -> None:
        """Stop the server, the worker and the stand-ins."""
        self.stopped.set()
        self.thread.join(timeout=10)
        self.bridge.stop()
        self.bridge.outbox.engine.dispose()
        self.slack.stop()
        self.amity.stop()


def seed(slack: FakeSlack, amity: FakeAmity) -> None:
    """The workspace and network the demo and the tests start from."""
    slack.add_channel(NEWS, "announcements")
    slack.add_channel(RANDOM, "random")
    slack.add_user("U0ALICE01", "Alice", real_name="Alice Martin")
    slack.add_user("U0BOB0001", "", real_name="Bob Stone")
    amity.add_community(COMMUNITY, "Announcements")


def start_stack(
    workdir: Path,
    *,
    database_url: str | None = None,
    routes: str = ROUTES,
    clock: Clock = utc_now,
    start_worker: bool = True,
    **settings: object,
) -> LocalStack:
    """Start everything; ``settings`` override the stack's settings by name."""
    slack = FakeSlack(bot_token=BOT_TOKEN, team_id=TEAM).start()
    amity = FakeAmity(token=AMITY_TOKEN).start()
    seed(slack, amity)
    routes_file = workdir / "bridge.yml"
    routes_file.write_text(routes, encoding="utf-8")
    values: dict[str, object] = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url + "/api/",
        "AMITY_API_URL": amity.url,
        "AMITY_ADMIN_TOKEN": AMITY_TOKEN,
        "AMITY_POST_URL_TEMPLATE": POST_URL,
        "DATABASE_URL": database_url or f"sqlite:///{workdir / 'bridge.db'}",
        "BRIDGE_CONFIG": routes_file,
        "BRIDGE_POLL_SECONDS": 0.2,
    } | settings
    config = Settings(_env_file=None, **values)  # type: ignore[arg-type]
    bridge = build(config, load_routes(routes_file), clock=clock)
    stack = LocalStack(slack, amity, bridge, make_server(bridge, "127.0.0.1", 0), config)
    stack.thread.start()
    if start_worker:
        bridge.start_worker()
    return stack
