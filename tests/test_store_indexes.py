"""Every query of a poll, a trigger or an App Home open is served by an index (PostgreSQL).

The bridge's own code runs each operation against a store seeded with thousands of
finished jobs (and approvals, post links, sessions), statistics up to date; the SQL it
sends is captured and explained with sequential scans disabled, so a query no index can
serve still shows a ``Seq Scan``. The App Home's "newest first" lists must also come in
index order, without sorting the workspace's jobs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, text

from bridge.delivery.approvals import Approvals
from bridge.delivery.jobs import Job, JobState, NewJob, utc_now
from bridge.delivery.links import Links
from bridge.delivery.outbox import Outbox, make_engine
from bridge.delivery.retention import prune_batch
from bridge.delivery.sync import creator_of, earlier_open, edit_job
from bridge.listeners.home import home_view
from bridge.routes import RoutesConfig
from bridge.slack.message import SlackMessage
from tests.conftest import postgres_url, reset_postgres

pytestmark = pytest.mark.postgres
ROWS = 20_000
LEASE = timedelta(seconds=30)

SEED = f"""
INSERT INTO jobs (key, kind, state, team_id, channel_id, message_ts, route_name,
    community_id, post_id, requested_by, text, post_url, attempts, next_run_at,
    progress, created_at, updated_at)
SELECT 'T' || (n % 4) || ':C' || (n % 50) || ':' || n || '.000100:community', 'message',
    CASE WHEN n % 10 = 0 THEN 'failed' ELSE 'done' END,
    'T' || (n % 4), 'C' || (n % 50), n || '.000100', 'news', 'community',
    'slack-' || md5(n::text), 'U' || (n % 300), NULL, 'https://amity.example/' || n, 1,
    now() - n * interval '1 minute',
    json_build_object('message', json_build_object('ts', n || '.000100', 'user',
        'U' || (n % 300), 'text', repeat('words ', 40)), 'post_created', true),
    now() - n * interval '1 minute', now() - n * interval '1 minute'
FROM generate_series(1, {ROWS}) AS n;
INSERT INTO post_links (post_id, team_id, state, route_name, removed_at, updated_at)
SELECT 'slack-' || md5(n::text), 'T' || (n % 4), 'removed', 'news',
    now() - n * interval '1 hour', now()
FROM generate_series(1, {ROWS // 4}) AS n;
INSERT INTO approvals (team_id, channel_id, message_ts, route_name, requested_by, state,
    expires_at, created_at)
SELECT 'T1', 'C' || (n % 50), n || '.000200', 'news', 'U1', 'approved',
    now() + n * interval '1 minute', now()
FROM generate_series(1, {ROWS // 4}) AS n;
INSERT INTO amity_sessions (user_id, device_id, token, expires_at, updated_at)
SELECT 'amity-' || n, 'bridge-amity-' || n, 'gAAAA', now() + n * interval '1 minute', now()
FROM generate_series(1, {ROWS // 4}) AS n;
"""


@pytest.fixture(scope="module")
def store() -> Iterator[Outbox]:
    url = postgres_url()
    reset_postgres(url)
    box = Outbox(make_engine(url))
    box.create_schema()
    raw = box.engine.raw_connection()
    try:
        raw.cursor().execute(SEED)
        raw.commit()
    finally:
        raw.close()
    for n in range(3):  # a few open jobs, as on a live bridge
        box.enqueue(job(f"open{n}"), utc_now() + timedelta(hours=n))
    with box.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    yield box
    box.engine.dispose()
    reset_postgres(url)


def job(key: str) -> NewJob:
    return NewJob(
        key=f"T1:C1:{key}:community",
        kind="message",
        team_id="T1",
        channel_id="C1",
        message_ts="1.000100",
        route_name="news",
        community_id="community",
        post_id=f"slack-{key}",
        requested_by="U1",
    )


def captured(store: Outbox, run: Callable[[], object]) -> list[tuple[str, Any]]:
    """The SQL statements (and parameters) ``run`` sends, but inserts and savepoints."""
    sent: list[tuple[str, Any]] = []

    def grab(*args: Any) -> None:
        statement, parameters = args[2], args[3]
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "WITH")):
            sent.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", grab)
    try:
        run()
    finally:
        event.remove(store.engine, "before_cursor_execute", grab)
    return sent


def plan_nodes(store: Outbox, statement: str, parameters: Any) -> list[dict[str, Any]]:
    """The nodes of the statement's plan, with sequential scans disabled."""
    with store.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        raw = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar_one()
        conn.rollback()
    nodes, todo = [], [raw[0]["Plan"]]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo += node.get("Plans", [])
    return nodes


def created(store: Outbox) -> Job:
    """A finished share (the job an edit belongs to)."""
    return store.recent_in("T1", (JobState.done,), 1)[0]


def _held(store: Outbox) -> Outbox:
    held = Outbox(store.engine)
    held.enqueue(job("held"))
    assert held.claim(1, LEASE)
    return held


OPERATIONS: dict[str, Callable[[Outbox], object]] = {
    "claim (idle poll)": lambda s: s.claim(1, LEASE),
    "waiting": lambda s: s.waiting(100),
    "get_by_key": lambda s: s.get_by_key("T1:C1:1.000100:community"),
    "enqueue of a duplicate": lambda s: s.enqueue(job("open0")),
    "scheduled_by (/crosspost list)": lambda s: s.scheduled_by("T1", "U1"),
    "creator_of (edit, delete, take-back)": lambda s: creator_of(s, "slack-open1"),
    "earlier sync jobs of a post": lambda s: earlier_open(
        s, s.enqueue(edit_job(created(s), SlackMessage(ts="1.1", text="x"), "9.9"))[0]
    ),
    "post link of a post": lambda s: Links(s.engine).get("slack-open1"),
    "approvals of a message": lambda s: Approvals(s.engine, utc_now).waiting_on("C1", "7.000200"),
    "approval request": lambda s: Approvals(s.engine, utc_now).request(
        "T1", "C1", "8.000200", None, "news", "U1", 1
    ),
    "approval decision": lambda s: Approvals(s.engine, utc_now).decide(3, "approved", "U2"),
    "expiring approvals (poll)": lambda s: Approvals(s.engine, utc_now).expire_due(),
    "prune batch (poll)": lambda s: prune_batch(s.engine, timedelta(days=30), utc_now(), 10),
}
ORDERED = "App Home"


@pytest.mark.parametrize("name", [*OPERATIONS, "renew (heartbeat)", ORDERED])
def test_query_is_served_by_an_index(store: Outbox, name: str) -> None:
    """No plan of the operation's statements scans a table; the App Home reads in order."""
    if name == ORDERED:
        run: Callable[[], object] = lambda: home_view(RoutesConfig.empty(), store, "T1")  # noqa: E731
    elif name == "renew (heartbeat)":
        held = _held(store)
        run = lambda: held.renew(LEASE)  # noqa: E731
    else:
        run = lambda: OPERATIONS[name](store)  # noqa: E731
    statements = captured(store, run)
    assert statements, f"{name} sent no query"
    for statement, parameters in statements:
        nodes = plan_nodes(store, statement, parameters)
        types = [node["Node Type"] for node in nodes]
        assert "Seq Scan" not in types, f"{name}: {statement}\n{types}"
        if name == ORDERED and "LIMIT" in statement and "IN (%(state_1_1)s)" in statement:
            assert "Sort" not in types, f"{name} sorts: {statement}\n{types}"
        if name.startswith("prune") and statement.startswith("SELECT jobs.id"):
            indexes = {node.get("Index Name") for node in nodes}
            assert "ix_jobs_unpruned" in indexes, f"{name}: {statement}\n{indexes}"
