"""``check``'s line about posting as the author: do the API key (and server key) work?

A session is registered for one person the bridge already posts as (else the first
person of the routes file's ``users:`` table who has an Amity account) and stored like
the worker's, so the running bridge keeps a token that works. Nothing is posted.
"""

from __future__ import annotations

from cryptography.fernet import Fernet
from sqlalchemy import Engine

from bridge.amity.client import AmityClient, AmityError, AmityRejected
from bridge.amity.ratelimit import SlidingWindow
from bridge.amity.sessions import SessionClient
from bridge.delivery.authors import Authors, device_id
from bridge.delivery.outbox import Outbox, utc_now
from bridge.ops.diagnose import one_line
from bridge.routes import RoutesConfig
from bridge.settings import Settings

NAME = "post as author"
OFF = "off (AMITY_API_KEY is not set): every post is the Amity admin user's"
KEYS = "check AMITY_API_KEY, and AMITY_SERVER_KEY when the network is in secure mode"


def check_authors(
    settings: Settings, routes: RoutesConfig, amity: AmityClient, engine: Engine | None
) -> tuple[bool, str]:
    """(ok, detail) for the ``post as author`` line; ``engine`` None: no store yet."""
    if settings.AMITY_API_KEY is None or settings.BRIDGE_SECRET_KEY is None:
        return True, OFF
    server_key = settings.AMITY_SERVER_KEY
    sessions = SessionClient.create(
        settings.amity_base_url,
        settings.AMITY_API_KEY.get_secret_value(),
        server_key.get_secret_value() if server_key is not None else None,
        timeout=15,
    )
    mode = "secure mode, with the server key" if server_key else "without secure mode"
    try:
        authors = _authors(settings, sessions, amity, engine)
        known = authors.known_user() if authors is not None else None
        user = known or next((u for u in routes.users.values() if amity.user_exists(u)), None)
        if user is None:
            return True, f"on ({mode}); nobody has posted as themselves yet to test it with"
        if authors is not None:
            authors.register(user, None)
        else:
            sessions.register(user, device_id(user), None)
    except AmityRejected as error:
        if error.status == 403 and server_key:
            return False, "Amity says the network is not in secure mode: unset AMITY_SERVER_KEY"
        return False, f"Amity refused a session ({one_line(error)}): {KEYS}"
    except AmityError as error:
        return False, f"Amity could not be reached for a session ({one_line(error)}): try again"
    finally:
        sessions.close()
    return True, f"on ({mode}): a session for {user} works"


def _authors(
    settings: Settings, sessions: SessionClient, amity: AmityClient, engine: Engine | None
) -> Authors | None:
    """The worker's session store, when the store is there (else sessions are not kept)."""
    if engine is None or settings.BRIDGE_SECRET_KEY is None:
        return None
    secret = Fernet(settings.BRIDGE_SECRET_KEY.get_secret_value().strip().encode())
    return Authors(
        Outbox(engine).transaction,
        sessions,
        amity,
        secret,
        lambda _token: SlidingWindow(settings.AMITY_RATE_LIMIT, 5.0),
        utc_now,
    )
