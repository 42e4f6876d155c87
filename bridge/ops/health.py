"""The services the bridge depends on (Slack, Amity), checked at start-up and retried.

``serve`` does not stop when Slack or Amity refuse the bridge's credentials or cannot be
reached: it starts, ``/healthz`` answers 503 with one line per failing service, and a
background thread tries again (after 1 s, then twice as long each time, at most
``RETRY_CAP_SECONDS``) until each has answered once; then ``/healthz`` is 200 without a
restart.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bridge.amity.client import AmityClient
from bridge.amity.errors import AmityError, AmityRejected
from bridge.ops.diagnose import one_line

log = logging.getLogger("bridge.health")
FIRST_RETRY_SECONDS = 1.0
RETRY_CAP_SECONDS = 60.0
FIRST_ROUND_SECONDS = 10.0  # how long ``serve`` waits for the first answers before listening
# An ID of the right form that no community has: a 404 (or any answer but a refusal of the
# token) means Amity accepted the admin token.
PROBE_COMMUNITY = "000000000000000000000000"
REFUSED = frozenset({401, 403})
UNAUTHORIZED = 400100

Probe = Callable[[], str | None]  # None when the service answers, else why not (one line)


def slack_probe(client: WebClient) -> Probe:
    """``auth.test`` with the bot token."""

    def probe() -> str | None:
        try:
            client.auth_test()
        except SlackApiError as error:
            return (
                f"Slack refused SLACK_BOT_TOKEN ({error.response.get('error')}): copy the Bot "
                "User OAuth Token (xoxb-...) from the Slack app's OAuth & Permissions page"
            )
        except (SlackClientError, OSError) as error:
            return (
                f"Slack could not be reached at {client.base_url} ({one_line(error)}): check "
                "SLACK_API_URL and the network"
            )
        return None

    return probe


def amity_probe(amity: AmityClient) -> Probe:
    """One read with the admin token (a community that does not exist: 404 is success)."""

    def probe() -> str | None:
        try:
            amity.get_community(PROBE_COMMUNITY)
        except AmityRejected as error:
            if error.status in REFUSED or error.code == UNAUTHORIZED:
                return (
                    f"Amity refused AMITY_ADMIN_TOKEN ({one_line(error)}): generate an admin "
                    "token in the Amity Console (Settings > Admin users), and check "
                    "AMITY_REGION / AMITY_API_URL"
                )
        except AmityError as error:
            return (
                f"Amity could not be reached ({one_line(error)}): check AMITY_REGION / "
                "AMITY_API_URL and the network"
            )
        return None

    return probe


@dataclass
class Dependencies:
    """Each service's last answer: "ok", "checking" (not asked yet) or why it fails."""

    probes: dict[str, Probe]
    cap: float = RETRY_CAP_SECONDS
    first: float = FIRST_RETRY_SECONDS
    state: dict[str, str] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)
    first_round: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.state = dict.fromkeys(self.probes, "checking")

    def check_once(self) -> None:
        """Ask every service not yet known to work."""
        for name, probe in self.probes.items():
            if self.state[name] == "ok":
                continue
            reason = probe()
            if reason is None:
                if self.state[name] not in ("ok", "checking"):
                    log.info("bridge.dependency_ok", extra={"dependency": name})
                self.state[name] = "ok"
            else:
                if reason != self.state[name]:
                    log.warning(
                        "bridge.dependency_failing", extra={"dependency": name, "reason": reason}
                    )
                self.state[name] = reason

    def failing(self) -> list[str]:
        """One line per service that failed its last check (or, once checking started,
        has not answered yet): ``name: reason``."""
        started = self._thread is not None
        return [
            f"{n}: {s if s != 'checking' else 'no answer yet (still trying)'}"
            for n, s in self.state.items()
            if s != "ok" and (started or s != "checking")
        ]

    def start(self) -> None:
        """Check in the background, again and again until every service has answered
        once; ``first_round`` is set once each has been asked."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="bridge-health", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        wait = self.first
        try:
            self.check_once()
        finally:
            self.first_round.set()
        while any(s != "ok" for s in self.state.values()):
            if self.stopping.wait(wait):
                return
            self.check_once()
            wait = min(self.cap, wait * 2)

    def stop(self) -> None:
        """Stop trying."""
        self.stopping.set()
