"""Approval requests in the store: one per message and route, decided once, expiring."""

from __future__ import annotations

from datetime import timedelta

from bridge.delivery.approvals import Approvals
from bridge.delivery.outbox import Outbox
from tests.e2e import MovableClock


def test_request_decide_expire_and_reopen(outbox: Outbox) -> None:
    """Asking twice keeps one request; a decision is taken once; past its time it expires
    and asking again reopens it."""
    clock = MovableClock()
    store = Approvals(outbox.engine, clock)
    first, created = store.request("T1", "C1", "1.000001", None, "news", "U1", 2)
    assert created
    again, created = store.request("T1", "C1", "1.000001", None, "news", "U2", 2)
    assert not created and again.id == first.id and again.requested_by == "U1"
    assert [a.id for a in store.waiting_on("C1", "1.000001")] == [first.id]
    assert store.decide(first.id, "refused", "U9")
    assert not store.decide(first.id, "approved", "U9")  # already answered
    reopened, created = store.request("T1", "C1", "1.000001", None, "news", "U3", 2)
    assert created and reopened.id == first.id and reopened.state == "waiting"
    clock.advance(timedelta(hours=2, seconds=1))
    assert store.waiting_on("C1", "1.000001") == []
    assert not store.decide(first.id, "approved", "U9")  # expired, even before the sweep
    assert [a.requested_by for a in store.expire_due()] == ["U3"]
    assert store.expire_due() == []
    expired = store.get(first.id)
    assert expired is not None and expired.state == "expired"
