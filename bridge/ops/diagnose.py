"""Expected store failures, each told in one line that names the cause and the fix.

Every command opens the store through here, so a missing database, a server that is down
or a schema that was never migrated reads the same everywhere, without a traceback and
without the URL's password. Read-only commands open only a store that already exists:
they never leave an empty SQLite file behind.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from bridge.delivery.migrate import current_revision, head_revision
from bridge.delivery.outbox import Outbox, make_engine

MIGRATE = "run `python -m bridge migrate`"


class StoreProblem(Exception):
    """The store cannot be used; the message says why and what to do."""


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def one_line(error: BaseException) -> str:
    """An exception's own words on one line (urllib's URLError: the OSError inside)."""
    cause = getattr(error, "reason", None) or error
    return " ".join(str(cause).split())[:200] or type(error).__name__


def _where(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"the SQLite file {url.database}"
    return f"the database {url.database} on {url.host or 'localhost'}:{url.port or 5432}"


def place(database_url: str) -> str:
    """Where the store is, for people: ``SQLite file /abs/bridge.db`` or ``PostgreSQL
    database test on 127.0.0.1:5432`` (never the password)."""
    url = make_url(database_url)
    path = sqlite_file(database_url)
    if path is not None:
        return f"SQLite file {path.resolve()}"
    if url.get_backend_name() == "sqlite":
        return "an in-memory SQLite database"
    return f"PostgreSQL database {url.database} on {url.host or 'localhost'}:{url.port or 5432}"


def _cause(error: SQLAlchemyError, url: URL) -> str:
    """The driver's own words, on one line, without the password."""
    original = getattr(error, "orig", None) or error
    text = " ".join(str(original).split())
    text = re.sub(r"^connection failed: ", "", text)
    if url.password:
        text = text.replace(str(url.password), "***")
    return text[:300]


def describe(database_url: str, error: SQLAlchemyError) -> str:
    """One line for a store error: where, the driver's cause, the fix."""
    url = make_url(database_url)
    cause = _cause(error, url)
    where = _where(url)
    if url.get_backend_name() == "sqlite":
        if "no such table" in cause:
            return f"{where} has no bridge tables ({cause}): {MIGRATE}"
        return (
            f"{where} in DATABASE_URL could not be used ({cause}): check that its folder "
            "exists and is writable, or fix DATABASE_URL"
        )
    lowered = cause.lower()
    if "does not exist" in lowered and "database" in lowered:
        fix = f"create it (`createdb {url.database}`) or fix the name in DATABASE_URL"
    elif "password authentication failed" in lowered or "role" in lowered:
        fix = "fix the user and password in DATABASE_URL"
    elif "connection refused" in lowered:
        fix = "start PostgreSQL there, or fix the host and port in DATABASE_URL"
    elif "undefinedtable" in lowered or "relation" in lowered:
        return f"{where} has no bridge tables ({cause}): {MIGRATE}"
    else:
        fix = "check the host in DATABASE_URL and that the network reaches it"
    return f"{where} in DATABASE_URL could not be opened ({cause}): {fix}"


def schema_problem(database_url: str, outbox: Outbox) -> str | None:
    """Why the schema cannot be used yet (never migrated, or older than this code)."""
    current = current_revision(outbox.engine)
    if current == head_revision():
        return None
    where = _where(make_url(database_url))
    if current is None:
        return f"{where} has no bridge tables yet: {MIGRATE}"
    return f"{where} has an older schema ({current}) than this version needs: {MIGRATE}"


def open_existing(database_url: str) -> Outbox:
    """The store, for commands that must not create one: raises StoreProblem when it does
    not exist, cannot be reached, or is not migrated."""
    path = sqlite_file(database_url)
    if path is not None and not path.exists():
        raise StoreProblem(
            f"the SQLite file {path} does not exist yet (DATABASE_URL): {MIGRATE}, or start "
            "`python -m bridge serve`, which creates it"
        )
    outbox = Outbox(make_engine(database_url))
    try:
        problem = schema_problem(database_url, outbox)
    except SQLAlchemyError as error:
        outbox.engine.dispose()
        raise StoreProblem(describe(database_url, error)) from None
    if problem is not None:
        outbox.engine.dispose()
        raise StoreProblem(problem)
    return outbox
