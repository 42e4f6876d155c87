"""The insert an acknowledgement waits for (bridge.delivery.acks): on PostgreSQL it has
connections of its own, which a store restart can break; the job is still stored."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from bridge.delivery.acks import Writers
from bridge.delivery.outbox import JobState, Outbox
from tests.test_outbox import new_job


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_job_is_stored_after_the_server_dropped_the_ack_connections(outbox: Outbox) -> None:
    first, _ = outbox.enqueue(new_job("T1:C1:1.000001:comm"))
    with outbox.engine.connect() as conn:  # the server ends every other session
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    second, created = outbox.enqueue(new_job("T1:C1:2.000002:comm"))
    assert created and second.id != first.id
    stored = outbox.get(second.id)
    assert stored is not None and stored.state is JobState.pending


def test_a_duplicate_is_still_told_apart(outbox: Outbox) -> None:
    """The insert commits on its own: a key stored already is the existing job."""
    first, created = outbox.enqueue(new_job())
    again, created_again = outbox.enqueue(new_job())
    assert created and not created_again and again.id == first.id


def test_on_sqlite_the_acks_insert_goes_before_the_writers_that_wait() -> None:
    writers = Writers()
    order: list[str] = []
    writers.__enter__()  # a write under way

    def worker_write() -> None:
        with writers:
            order.append("worker")

    def ack_insert() -> None:
        with writers.first():
            order.append("ack")

    queued = threading.Thread(target=worker_write)
    queued.start()
    ack = threading.Thread(target=ack_insert)
    ack.start()
    while writers.queued_first == 0:
        ack.join(0.01)
    writers.__exit__(None, None, None)
    queued.join(10)
    ack.join(10)
    assert order == ["ack", "worker"]
