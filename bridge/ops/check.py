"""``python -m bridge check``: every setting checked against the real services.

One line per check, ``OK``, ``WARN`` (works, but worth a look) or ``FAIL`` with what to
do; the exit code is 1 when any check fails. Nothing is posted anywhere: only read calls are made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bridge.amity.client import AmityClient, AmityError
from bridge.amity.ratelimit import SlidingWindow
from bridge.delivery.budget import SharedBudget, budget_key
from bridge.delivery.migrate import is_current
from bridge.delivery.outbox import Outbox, make_engine, utc_now
from bridge.delivery.routestore import RouteStore
from bridge.ops.authorcheck import check_authors
from bridge.ops.diagnose import describe, one_line, schema_problem, sqlite_file
from bridge.routes import RoutesConfig, describe_rules
from bridge.settings import MentionStrategy, Settings
from bridge.slack.scopes import bot_scopes

EMAIL_SCOPES = frozenset({"users:read.email"})  # only the email mention strategy reads them
REINSTALL = "add it to the app (manifest.yml has them all) and reinstall the app to the workspace"


@dataclass(frozen=True)
class Check:
    """The outcome of one check."""

    name: str
    ok: bool
    detail: str
    warning: bool = False  # ok, but the operator should know (shown as WARN)

    def line(self) -> str:
        """``OK   name: detail``, ``WARN name: detail`` or ``FAIL name: detail``."""
        mark = "FAIL" if not self.ok else "WARN" if self.warning else "OK  "
        return f"{mark} {self.name}: {self.detail}"


def check_routes(file_routes: RoutesConfig, routes: RoutesConfig, source: str) -> Check:
    """How many routes are in force, from the store and from the routes file."""
    from_file = len(file_routes.routes)
    stored = len(routes.routes) - from_file
    if not routes.routes:
        return Check(
            "routes",
            True,
            "none yet: nothing is published until a route exists; add one from Slack (the "
            "bridge's App Home > Add a route), `python -m bridge routes import FILE`, or a "
            f"routes file ({source})",
            warning=True,
        )
    return Check("routes", True, f"{stored} stored, {from_file} from the routes file ({source})")


MENTIONS = {
    MentionStrategy.map: "mentioned people listed in the routes file's users: are notified",
    MentionStrategy.email: "a mentioned person's Amity user ID is their Slack email",
    MentionStrategy.slack_id: "a mentioned person's Amity user ID is their Slack user ID",
    MentionStrategy.none: "mentions stay plain text, nobody is notified",
}


def check_slack(client: WebClient, unused: frozenset[str] = frozenset()) -> list[Check]:
    """The token works, and has every scope of the manifest but the ``unused`` ones (of
    features the settings leave off)."""
    try:
        answer = client.auth_test()
    except SlackApiError as error:
        code = error.response.get("error")
        return [
            Check(
                "slack token",
                False,
                f"Slack refused SLACK_BOT_TOKEN ({code}): copy the "
                "Bot User OAuth Token (xoxb-...) from OAuth & Permissions",
            )
        ]
    except (SlackClientError, OSError) as error:  # urllib's errors are OSErrors
        return [
            Check(
                "slack token",
                False,
                f"Slack could not be reached at {client.base_url} ({one_line(error)}): "
                "check SLACK_API_URL and the network",
            )
        ]
    checks = [
        Check(
            "slack token",
            True,
            f"valid for {answer.get('team')} as @{answer.get('user')} ({answer.get('url')})",
        )
    ]
    header = next((v for k, v in answer.headers.items() if k.lower() == "x-oauth-scopes"), "")
    granted = {s.strip() for s in (header[0] if isinstance(header, list) else header).split(",")}
    missing = [s for s in bot_scopes() if s not in granted and s not in unused]
    detail = f"missing {', '.join(missing)}: {REINSTALL}" if missing else "all granted"
    if any(s.endswith(":history") for s in missing):
        detail += (
            "; without the history scopes Slack sends no message events, so edits and "
            "deletions of shared messages do not reach their posts"
        )
    checks.append(Check("slack scopes", not missing, detail))
    return checks


def check_mentions(strategy: MentionStrategy, routes: RoutesConfig) -> Check:
    """Which mention strategy is in use, and what it means."""
    detail = f"BRIDGE_MENTIONS={strategy.value}: {MENTIONS[strategy]}"
    if strategy is MentionStrategy.map:
        detail += f" ({len(routes.users)} listed)"
    elif routes.users:
        detail += " (the routes file's users: table is not used)"
    return Check("mentions", True, detail)


def check_channels(client: WebClient, routes: RoutesConfig) -> list[Check]:
    """The bot is a member of every routed channel."""
    checks = []
    for channel in dict.fromkeys(c for r in routes.routes for c in r.channels):
        name = f"channel {channel}"
        try:
            info: Any = client.conversations_info(channel=channel)["channel"]
        except SlackApiError as error:
            checks.append(
                Check(
                    name,
                    False,
                    f"{error.response.get('error')}: the channel does "
                    "not exist or is private: invite the bot with /invite @bridge",
                )
            )
            continue
        except (SlackClientError, OSError) as error:
            checks.append(
                Check(name, False, f"Slack could not be reached ({one_line(error)}): try again")
            )
            continue
        member = bool(info.get("is_member"))
        detail = (
            f"#{info.get('name')}: the bot is a member"
            if member
            else f"#{info.get('name')}: the bot is not a member: /invite @bridge in the channel"
        )
        checks.append(Check(name, member, detail))
    return checks


def check_amity(amity: AmityClient, routes: RoutesConfig) -> list[Check]:
    """The token works and every route's community exists (and who may post there)."""
    checks = []
    for route in routes.routes:
        name = f"route {route.name}"
        try:
            community = amity.get_community(route.community)
        except AmityError as error:
            checks.append(
                Check(
                    name,
                    False,
                    f"Amity refused or could not be reached: {error} "
                    "(check AMITY_ADMIN_TOKEN and AMITY_REGION / AMITY_API_URL)",
                )
            )
            continue
        if community is None:
            checks.append(
                Check(
                    name,
                    False,
                    f"community {route.community} not found in Amity: "
                    "fix the route's community ID in the routes file",
                )
            )
            continue
        notes = []
        if community.get("onlyAdminCanPost"):
            notes.append("only admins can post: the admin token's user must be one")
        if community.get("needApprovalOnPostCreation"):
            notes.append("posts wait for a moderator's approval before others see them")
        detail = f"community '{community.get('displayName')}' found"
        detail += f" ({'; '.join(notes)})" if notes else ""
        checks.append(Check(name, True, f"{detail}; {describe_rules(route, slack=False)}"))
    return checks


def check_store(database_url: str) -> list[Check]:
    """The database answers and its schema is current; a SQLite file that does not exist
    yet passes (``serve`` creates it) and is not created here."""
    path = sqlite_file(database_url)
    if path is not None and not path.exists():
        detail = f"the SQLite file {path} does not exist yet: `serve` creates it at start-up"
        return [Check("store", True, detail)]
    outbox = Outbox(make_engine(database_url))
    try:
        problem = schema_problem(database_url, outbox)
    except SQLAlchemyError as error:
        return [Check("store", False, describe(database_url, error))]
    finally:
        outbox.engine.dispose()
    return [Check("store", problem is None, problem or "reachable, schema current")]


def run_checks(settings: Settings, routes: RoutesConfig) -> list[Check]:
    """Every check, in order."""
    client = WebClient(
        token=settings.SLACK_BOT_TOKEN.get_secret_value(),
        base_url=settings.SLACK_API_URL,
        timeout=15,
    )
    email = settings.BRIDGE_MENTIONS is MentionStrategy.email
    checks = check_slack(client, frozenset() if email else EMAIL_SCOPES)
    checks.append(Check("signing secret", True, "set (Slack requests are verified with it)"))
    engine = make_engine(settings.DATABASE_URL)
    file_routes, routes = routes, with_stored_routes(engine, settings, routes)
    path = settings.BRIDGE_CONFIG
    source = str(path) if path.exists() else f"no file at {path}, which is optional"
    checks.append(check_routes(file_routes, routes, source))
    checks.append(check_mentions(settings.BRIDGE_MENTIONS, routes))
    if checks[0].ok:
        checks += check_channels(client, routes)
    amity = AmityClient.create(
        settings.amity_base_url,
        settings.AMITY_ADMIN_TOKEN.get_secret_value(),
        timeout=15,
        limiter=shared_budget(engine, settings) or SlidingWindow(settings.AMITY_RATE_LIMIT, 5.0),
    )
    try:
        checks += check_amity(amity, routes)
        store = engine if shared_budget(engine, settings) is not None else None
        checks.append(Check("post as author", *check_authors(settings, routes, amity, store)))
    finally:
        amity.close()
        engine.dispose()
    return checks + check_store(settings.DATABASE_URL)


def with_stored_routes(engine: Engine, settings: Settings, routes: RoutesConfig) -> RoutesConfig:
    """The routes file's routes and those added from Slack, when the store is there."""
    if shared_budget(engine, settings) is None:
        return routes
    try:
        return RouteStore(engine, routes, utc_now, ttl=0).current()
    except SQLAlchemyError:
        return routes


def shared_budget(engine: Engine, settings: Settings) -> SharedBudget | None:
    """The Amity budget the running instances use, when the store is there to share it
    (a SQLite file that does not exist yet is not created here)."""
    path = sqlite_file(settings.DATABASE_URL)
    if path is not None and not path.exists():
        return None
    try:
        if not is_current(engine):
            return None
    except SQLAlchemyError:
        return None
    key = budget_key(settings.AMITY_ADMIN_TOKEN.get_secret_value())
    return SharedBudget(Outbox(engine).transaction, key, settings.AMITY_RATE_LIMIT)
