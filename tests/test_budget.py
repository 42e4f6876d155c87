"""The Amity rate budget shared through the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys

import pytest
from bridge_standins.amity import FakeAmity
from bridge_standins.stack import AMITY_TOKEN, COMMUNITY

from bridge.delivery.budget import SharedBudget, budget_key
from bridge.delivery.outbox import Outbox, make_engine
from tests.conftest import postgres_url, reset_postgres


def test_processes_share_one_schedule(outbox: Outbox) -> None:
    """Two handles on one store take turns: each request gets the next slot of one schedule."""
    waits: list[float] = []
    first, second = (
        SharedBudget(
            Outbox(outbox.engine).transaction, "k", limit=1, period=100.0, sleep=waits.append
        )
        for _ in range(2)
    )
    for _ in range(3):
        first.acquire()
        second.acquire()
    # one request per 100 s (limit 1): the first goes at once, the sixth 500 s later
    assert [round(w / 100) for w in waits] == [1, 2, 3, 4, 5]  # the first did not sleep


def test_tokens_have_budgets_of_their_own(outbox: Outbox) -> None:
    """Another admin token's requests do not wait for this one's."""
    waits: list[float] = []
    mine, theirs = (
        SharedBudget(outbox.transaction, budget_key(token), 1, 100.0, sleep=waits.append)
        for token in ("eyJhbGciOi.first-token", "eyJhbGciOi.second-token")
    )
    assert "token" not in budget_key("eyJhbGciOi.first-token")  # the store never holds it
    assert mine.acquire() == 0.0
    assert theirs.acquire() == 0.0
    assert mine.acquire() > 90


CLIENT = """
import sys, threading
from bridge.amity.client import AmityClient
from bridge.delivery.outbox import Outbox, make_engine
from bridge.delivery.budget import SharedBudget, budget_key
url, amity_url, token, community = sys.argv[1:5]
budget = SharedBudget(Outbox(make_engine(url)).transaction, budget_key(token), 20, 1.0)
client = AmityClient.create(amity_url, token, limiter=budget)
def run():
    for _ in range(10):
        assert client.get_community(community) is not None
threads = [threading.Thread(target=run) for _ in range(3)]
for t in threads: t.start()
for t in threads: t.join()
"""


@pytest.mark.postgres
def test_two_processes_never_exceed_the_budget_together() -> None:
    """Two processes sending 60 Amity requests at once stay within 20 per second together."""
    url = postgres_url()
    reset_postgres(url)
    box = Outbox(make_engine(url))
    box.create_schema()
    box.engine.dispose()
    with FakeAmity(token=AMITY_TOKEN) as amity:
        amity.add_community(COMMUNITY)
        amity.rate_limit, amity.rate_period = 20, 1.0
        args = [sys.executable, "-c", CLIENT, url, amity.url, AMITY_TOKEN, COMMUNITY]
        procs = [subprocess.Popen(args) for _ in range(2)]
        assert [p.wait(timeout=60) for p in procs] == [0, 0]
        assert len(amity.requests) == 60
        assert amity.rate_limited == 0
