"""Benchmark: the store at 10 k / 100 k / 1 M finished posts, before and after retention.

For each size, a fresh PostgreSQL database (created and dropped here) is migrated and
seeded with ``generate_series`` with finished jobs shaped like real ones: mostly shared
messages whose progress holds the fetched message (text and rich-text blocks), some
``/crosspost`` texts, a few failures with their error, spread over a year in one
workspace, plus the post links of removed posts and a few jobs waiting. Then, through
the project's own code (``Outbox``, the App Home's ``home_view``, sync's ``creator_of``),
p50 and p95 over ``--runs`` of:

- claim: an idle poll (nothing due);
- enqueue: a new (scheduled) job;
- get_by_key: a trigger's de-duplication lookup;
- creator_of: an edit's or deletion's post → job lookup;
- home recent: the App Home's "last cross-posts" query (newest done jobs);
- home all: every query of an App Home open, and the view built from them;

then the table's size (with its indexes and TOAST), ``prune`` (``BRIDGE_RETENTION_DAYS``
30) timed, and after ``VACUUM FULL`` the size again and the bytes per row kept.

    .venv/bin/python -m bench.store [--sizes 10000,100000,1000000] [--runs 50]
"""

from __future__ import annotations

import argparse
import signal
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine, text

from bench.instances import ADMIN_URL, quantile, scratch_database
from bridge.delivery.jobs import JobState, NewJob, utc_now
from bridge.delivery.outbox import Outbox, make_engine
from bridge.delivery.retention import prune
from bridge.delivery.sync import creator_of
from bridge.listeners.home import home_view
from bridge.routes import RoutesConfig

TEAM = "T0BENCH01"
LEASE = timedelta(seconds=30)
RETENTION = timedelta(days=30)

# One row per post: n = 1 is the newest, the oldest is a year old. 90 % shared messages
# (progress holds the message: ~300 characters of text and the same as rich-text blocks),
# 10 % /crosspost texts; 3 % failed with an error, 1 % cancelled.
SEED = """
INSERT INTO jobs (key, kind, state, team_id, channel_id, message_ts, route_name,
    community_id, post_id, requested_by, response_url, text, post_url, attempts,
    next_run_at, last_error, progress, created_at, updated_at)
SELECT
    '{team}:C' || lpad((n % 40)::text, 8, '0') || ':' || (1700000000 + n) || '.000100:'
        || 'community-' || (n % 5),
    CASE WHEN n % 10 = 0 THEN 'text' ELSE 'message' END,
    CASE WHEN n % 100 < 3 THEN 'failed' WHEN n % 100 = 3 THEN 'cancelled' ELSE 'done' END,
    '{team}', 'C' || lpad((n % 40)::text, 8, '0'),
    CASE WHEN n % 10 = 0 THEN NULL ELSE (1700000000 + n) || '.000100' END,
    'route-' || (n % 5), 'community-' || (n % 5), 'slack-' || md5(n::text),
    'U' || lpad((n % 500)::text, 8, '0'),
    'https://hooks.slack.com/actions/{team}/' || n || '/' || md5(n::text),
    CASE WHEN n % 10 = 0 THEN left(repeat('Typed announcement ' || n || '. ', 12), 220)
    END,
    'https://community.example.com/posts/slack-' || md5(n::text),
    1, now() - n * interval '1 second' * :spread,
    CASE WHEN n % 100 < 3 THEN 'Amity refused the post: the community was not found' END,
    CASE WHEN n % 10 = 0 THEN json_build_object('post_created', true, 'reply_sent', true)
    ELSE json_build_object(
        'message', json_build_object(
            'ts', (1700000000 + n) || '.000100',
            'user', 'U' || lpad((n % 700)::text, 8, '0'),
            'text', left(repeat('Release notes for build ' || n || ', with thanks. ', 8), 300),
            'blocks', json_build_array(json_build_object(
                'type', 'rich_text', 'block_id', md5(n::text),
                'elements', json_build_array(json_build_object(
                    'type', 'rich_text_section',
                    'elements', json_build_array(json_build_object('type', 'text',
                        'text', left(repeat('Release notes for build ' || n
                            || ', with thanks. ', 8), 300)))))))),
        'post_created', true, 'reply_sent', true, 'attached', json_build_array())
    END,
    now() - n * interval '1 second' * :spread, now() - n * interval '1 second' * :spread
FROM generate_series(1, :rows) AS n;
INSERT INTO post_links (post_id, team_id, state, removed_by, removed_at, route_name,
    updated_at)
SELECT 'slack-' || md5(n::text), '{team}', 'removed', NULL,
    now() - n * interval '1 second' * :spread, 'route-' || (n % 5),
    now() - n * interval '1 second' * :spread
FROM generate_series(1, :rows, 50) AS n;
"""


def seed(engine: Engine, rows: int) -> None:
    """Fill the store with ``rows`` finished posts over a year, and a few waiting jobs."""
    spread = 365 * 24 * 3600 / rows
    with engine.begin() as conn:
        for statement in SEED.format(team=TEAM).split(";")[:-1]:
            conn.execute(text(statement), {"rows": rows, "spread": spread})
    box = Outbox(engine)
    for n in range(5):  # scheduled posts, not due: a poll finds nothing to claim
        box.enqueue(new_job(f"scheduled-{n}"), utc_now() + timedelta(days=1 + n))
    # Settled, as a table that has been there a while: no autovacuum or checkpoint of
    # the fresh rows running during the measures.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        conn.execute(text("CHECKPOINT"))


def new_job(tag: str) -> NewJob:
    return NewJob(
        key=f"{TEAM}:C00000001:bench:{tag}:community-1",
        kind="text",
        team_id=TEAM,
        channel_id="C00000001",
        route_name="route-1",
        community_id="community-1",
        post_id=f"slack-bench-{tag}",
        requested_by="U00000001",
        text=f"Scheduled announcement {tag}",
    )


def timed(run: Callable[[int], object], runs: int) -> tuple[float, float]:
    """p50 and p95 of ``run`` in milliseconds (after two warm-up calls)."""
    run(-1)
    run(-2)
    took = []
    for n in range(runs):
        started = time.perf_counter()
        run(n)
        took.append((time.perf_counter() - started) * 1000)
    return quantile(took, 0.5), quantile(took, 0.95)


def table_bytes(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_total_relation_size('jobs')")).scalar_one())


def measure(url: str, rows: int, runs: int) -> dict[str, str]:
    """One line of the table."""
    engine = make_engine(url)
    box = Outbox(engine)
    box.create_schema()
    started = time.perf_counter()
    seed(engine, rows)
    seeded = time.perf_counter() - started
    done = box.recent_in(TEAM, (JobState.done,), 30)
    post_id = done[-1].post_id
    key = done[-1].key
    routes = RoutesConfig.empty()
    stamp = f"{rows}-{time.monotonic_ns()}"
    results = {
        "claim": timed(lambda n: box.claim(1, LEASE), runs),
        "enqueue": timed(
            lambda n: box.enqueue(new_job(f"{stamp}-{n}"), utc_now() + timedelta(days=2)), runs
        ),
        "get_by_key": timed(lambda n: box.get_by_key(key), runs),
        "creator_of": timed(lambda n: creator_of(box, post_id), runs),
        "home recent": timed(lambda n: box.recent_in(TEAM, (JobState.done,), 30), runs),
        "home all": timed(lambda n: home_view(routes, box, TEAM), runs),
    }
    size = table_bytes(engine)
    started = time.perf_counter()
    pruned = prune(engine, RETENTION)
    prune_s = time.perf_counter() - started
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM FULL ANALYZE jobs"))
        kept = int(conn.execute(text("SELECT count(*) FROM jobs")).scalar_one())
    after = table_bytes(engine)
    engine.dispose()
    line = {"rows": f"{rows:,}", "seed s": f"{seeded:.0f}", "table": mb(size)}
    line |= {name: f"{p50:.2f} / {p95:.2f}" for name, (p50, p95) in results.items()}
    line |= {
        "pruned": f"{pruned.cleared:,} in {prune_s:.1f} s",
        "after prune": mb(after),
        "B/row": f"{after / kept:.0f}",
    }
    return line


def mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def show(lines: list[dict[str, str]]) -> None:
    """A table: one column per measure; times are p50 / p95 in ms."""
    header = list(lines[0])
    widths = [max(len(h), *(len(line[h]) for line in lines)) for h in header]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for line in lines:
        print("  ".join(line[h].ljust(w) for h, w in zip(header, widths, strict=True)))


def _stop(_signal: int, _frame: object) -> None:
    raise SystemExit(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="rows, comma-separated")
    parser.add_argument("--runs", type=int, default=50, help="timed runs per query")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="a PostgreSQL server's URL")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop)  # stopped: the scratch database is still dropped
    lines = []
    for rows in (int(size) for size in args.sizes.split(",")):
        with scratch_database(args.admin_url) as url:
            lines.append(measure(url, rows, args.runs))
            print(f"measured {rows:,} rows: {lines[-1]}", flush=True)
    print("times: p50 / p95 in ms over", args.runs, "runs; retention 30 days; PostgreSQL")
    show(lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
