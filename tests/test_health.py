"""The start-up checks of Slack and Amity behind /healthz: one line per failing service,
retried with a capped backoff until each answers."""

from __future__ import annotations

import socket
import threading

from bridge_standins.amity import FakeAmity
from bridge_standins.server import wait_for
from bridge_standins.slack import FakeSlack
from bridge_standins.stack import AMITY_TOKEN, BOT_TOKEN
from slack_sdk import WebClient

from bridge.amity.client import AmityClient
from bridge.amity.ratelimit import SlidingWindow
from bridge.ops.health import Dependencies, amity_probe, slack_probe

Fakes = tuple[FakeSlack, FakeAmity]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_probes_say_ok_refused_or_unreachable(fakes: Fakes) -> None:
    slack, amity = fakes
    assert slack_probe(WebClient(token=BOT_TOKEN, base_url=slack.url + "/api/"))() is None
    refused = slack_probe(WebClient(token="xoxb-wrong", base_url=slack.url + "/api/"))()
    assert refused is not None and refused.startswith(
        "Slack refused SLACK_BOT_TOKEN (invalid_auth)"
    )
    gone = f"http://127.0.0.1:{free_port()}/api/"
    unreachable = slack_probe(WebClient(token=BOT_TOKEN, base_url=gone))()
    assert unreachable is not None and unreachable.startswith(
        f"Slack could not be reached at {gone}"
    )
    window = SlidingWindow(100, 5.0)
    good = AmityClient.create(amity.url, AMITY_TOKEN, limiter=window)
    wrong = AmityClient.create(amity.url, "not-the-token", limiter=window)
    away = AmityClient.create(f"http://127.0.0.1:{free_port()}", AMITY_TOKEN, limiter=window)
    try:
        assert amity_probe(good)() is None
        said = amity_probe(wrong)()
        assert said is not None and said.startswith("Amity refused AMITY_ADMIN_TOKEN (")
        said = amity_probe(away)()
        assert said is not None and said.startswith("Amity could not be reached (")
    finally:
        for client in (good, wrong, away):
            client.close()


def test_retries_back_off_up_to_the_cap_until_the_service_answers() -> None:
    answers = ["down", "down", "down", "down", None]
    calls: list[int] = []
    waits: list[float] = []

    def probe() -> str | None:
        calls.append(1)
        return answers[min(len(calls) - 1, len(answers) - 1)]

    deps = Dependencies({"slack": probe}, cap=0.04, first=0.01)
    original = deps.stopping.wait

    def recorded(timeout: float | None = None) -> bool:
        waits.append(float(timeout or 0))
        return original(timeout)

    deps.stopping.wait = recorded  # type: ignore[method-assign]
    assert deps.failing() == []  # not started: nothing to say yet
    deps.start()
    assert deps.first_round.wait(5)
    assert deps.failing() in (["slack: down"], [])  # [] once it already answered
    wait_for(lambda: deps.state["slack"] == "ok", timeout=10)
    assert deps.failing() == [] and len(calls) == 5
    assert waits == [0.01, 0.02, 0.04, 0.04]  # doubled, capped
    deps.stop()


def test_not_yet_checked_is_not_a_failure_and_stop_ends_the_thread() -> None:
    gate = threading.Event()

    def probe() -> str | None:
        gate.wait(5)
        return "down"

    deps = Dependencies({"amity": probe}, first=0.01)
    assert deps.failing() == [] and deps.state == {"amity": "checking"}
    deps.start()
    assert deps.failing() == ["amity: no answer yet (still trying)"]
    deps.stop()
    gate.set()
    assert deps._thread is not None
    deps._thread.join(timeout=5)
    assert not deps._thread.is_alive()
