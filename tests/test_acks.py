"""The insert an acknowledgement waits for (bridge.delivery.acks): on PostgreSQL it has
connections of its own, which a store restart can break; the job is still stored."""

from __future__ import annotations

import pytest
from sqlalchemy import text

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
