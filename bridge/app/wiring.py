"""The application factory: settings and routes in, a bridge (``bridge.app.bridge``) out.

``build`` wires the store, the Slack and Amity clients, the Bolt app with its listeners,
the worker and its APScheduler schedule; nothing runs until ``start_worker`` and a server
are started.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, timedelta
from typing import Any

import httpx
from apscheduler.schedulers.background import BackgroundScheduler
from cryptography.fernet import Fernet
from slack_bolt import App

from bridge.amity.client import AmityClient
from bridge.amity.sessions import SessionClient
from bridge.app.bridge import Bridge
from bridge.delivery.approvals import Approvals
from bridge.delivery.attach import Attacher
from bridge.delivery.authors import Authors
from bridge.delivery.budget import SharedBudget, budget_key
from bridge.delivery.files import Downloader
from bridge.delivery.outbox import Clock, Job, Outbox, make_engine, utc_now
from bridge.delivery.people import People
from bridge.delivery.replies import Replies
from bridge.delivery.retention import Pruner
from bridge.delivery.routestore import RouteStore
from bridge.delivery.worker import Policy, Worker
from bridge.listeners.commands import Routes
from bridge.listeners.gate import APPROVE, REFUSE, Gate
from bridge.listeners.home import ADD, EDIT, PAGES, REMOVE
from bridge.listeners.homeedit import HomeEditor
from bridge.listeners.intake import Intake
from bridge.listeners.preview import PREVIEW, Preview
from bridge.listeners.routeform import FORM
from bridge.listeners.routing import answer_route_command
from bridge.listeners.sync import SyncIntake
from bridge.ops.health import Dependencies, amity_probe, slack_probe
from bridge.ops.metrics import Metrics
from bridge.routes import RoutesConfig
from bridge.settings import Settings
from bridge.slack.api import SlackError, SlackGateway, make_web_client
from bridge.slack.changes import TAKE_BACK
from bridge.slack.directory import Directory
from bridge.slack.payloads import SlashCommand

log = logging.getLogger("bridge.app")
SHORTCUT = "crosspost_message"  # callback_id of the message shortcut in manifest.yml


def build(settings: Settings, routes: RoutesConfig, *, clock: Clock = utc_now) -> Bridge:
    """Wire a bridge; nothing runs until ``start_worker`` and a server are started."""
    outbox = Outbox(make_engine(settings.DATABASE_URL), clock)
    outbox.create_schema()
    metrics = Metrics(outbox.count_by_state)
    client = make_web_client(settings.SLACK_BOT_TOKEN.get_secret_value(), settings.SLACK_API_URL)
    slack = SlackGateway(client, observe=metrics.observe_call)
    token = settings.AMITY_ADMIN_TOKEN.get_secret_value()
    budget = SharedBudget(outbox.transaction, budget_key(token), settings.AMITY_RATE_LIMIT)
    amity = AmityClient.create(
        settings.amity_base_url, token, limiter=budget, observe=metrics.observe_call
    )
    downloads = httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0), follow_redirects=False)
    attacher = Attacher(
        slack,
        amity,
        Downloader(downloads, settings.SLACK_BOT_TOKEN.get_secret_value(), settings.SLACK_API_URL),
        max_bytes=int(settings.BRIDGE_MAX_FILE_MB * 1_000_000),
        parallel=settings.BRIDGE_UPLOAD_CONCURRENCY,
    )
    replies = Replies(slack)
    policy = Policy.from_settings(settings)
    people = People(settings.BRIDGE_MENTIONS, slack, routes.users)
    authors = _authors(settings, outbox, amity)
    store = RouteStore(outbox.engine, routes, clock, ttl=settings.BRIDGE_ROUTES_CACHE_SECONDS)
    worker = Worker(
        outbox,
        slack,
        amity,
        store.current,
        settings.post_url,
        attacher,
        replies,
        policy,
        people,
        authors,
    )
    bolt = App(
        client=client,
        signing_secret=settings.SLACK_SIGNING_SECRET.get_secret_value(),
        process_before_response=True,
        logger=logging.getLogger("bridge.bolt"),
        token_verification_enabled=False,  # Slack is asked by bridge.ops.health instead
    )
    bridge = Bridge(
        settings,
        outbox,
        bolt,
        worker,
        BackgroundScheduler(timezone=UTC),
        ThreadPoolExecutor(max_workers=2, thread_name_prefix="bridge-notice"),
        metrics,
        amity,
        downloads,
        authors.sessions if authors is not None else None,
        dependencies=Dependencies({"slack": slack_probe(client), "amity": amity_probe(amity)}),
    )

    def tell_existing(job: Job, user: str) -> None:
        bridge.notices.submit(_quietly, replies.existing, job, user)

    def respond_later(response_url: str, text: str) -> None:
        bridge.notices.submit(_quietly, slack.respond, response_url, text)

    intake, gate = _wire_rules(bridge, store, slack, amity, tell_existing)
    bolt.event("reaction_added")(intake.on_reaction)
    bolt.command("/crosspost")(intake.on_command)
    bolt.action(APPROVE)(intake.on_approval_button)
    bolt.action(REFUSE)(intake.on_approval_button)
    preview = Preview(
        store,
        gate,
        outbox,
        bridge.wake,
        slack,
        max_bytes=int(settings.BRIDGE_MAX_FILE_MB * 1_000_000),
        later=lambda task: bridge.notices.submit(_quietly, task),
        respond_later=respond_later,
        as_authors=authors is not None,
    )
    bolt.shortcut(SHORTCUT)(preview.on_shortcut)
    bolt.view(PREVIEW)(preview.on_submission)
    if bridge.home is not None:
        bolt.event("app_home_opened")(bridge.home.on_home_opened)
    _listen_for_changes(bridge, store, slack, replies, respond_later)
    bridge.housekeeping.append(
        Pruner(outbox.engine, timedelta(days=settings.BRIDGE_RETENTION_DAYS), clock)
    )
    bolt.error(_log_error)
    return bridge


def _wire_rules(
    bridge: Bridge,
    store: RouteStore,
    slack: SlackGateway,
    amity: AmityClient,
    tell_existing: Any,
) -> tuple[Intake, Gate]:
    """The intake with its rules (permissions, approvals, route commands), and the gate
    that the message shortcut's preview asks too."""
    directory = Directory(slack)
    approvals = Approvals(bridge.outbox.engine, bridge.outbox.clock)

    def tell(channel: str, user: str, text: str, thread_ts: str | None) -> None:
        bridge.notices.submit(_quietly, slack.ephemeral, channel, user, text, thread_ts)

    def post(channel: str, text: str, blocks: Any, thread_ts: str | None) -> None:
        send = slack.reply if blocks is None else slack.post_blocks
        args = (text, thread_ts) if blocks is None else (text, blocks, thread_ts)
        bridge.notices.submit(_quietly, send, channel, *args)

    def author_of(channel: str, ts: str, thread_ts: str | None, user: str) -> str | None:
        if not slack.can_read(channel, user):
            return None  # the worker refuses it, without reading the message
        return slack.fetch_message(channel, ts, thread_ts).user

    gate = Gate(directory, approvals, tell, post, author_of)
    editor = HomeEditor(
        store,
        bridge.outbox,
        slack,
        amity,
        directory,
        bridge.settings.admins,
        lambda *args: bridge.notices.submit(_quietly, *args),
    )
    for action in (ADD, EDIT, REMOVE, *PAGES):
        bridge.bolt.action(action)(editor.on_button)
    bridge.bolt.view(FORM)(editor.on_submit)
    bridge.home = editor

    def route_commands(cmd: SlashCommand, request: Routes) -> None:
        def answer() -> None:
            text = answer_route_command(
                store, amity, directory, bridge.settings.admins, cmd.user_id, request
            )
            slack.respond(cmd.response_url, text)

        bridge.notices.submit(_quietly, answer)

    intake = Intake(store, bridge.outbox, bridge.wake, tell_existing, gate, route_commands)

    def expire() -> None:
        for approval in approvals.expire_due():
            gate.announce(
                approval,
                f"The request to publish this message to *{approval.route_name}* expired "
                "without an approver's answer; ask again to reopen it.",
            )

    bridge.housekeeping.append(expire)
    return intake, gate


def _authors(settings: Settings, outbox: Outbox, admin: AmityClient) -> Authors | None:
    """Posting as the author, when AMITY_API_KEY is set (else every post is the admin's)."""
    if settings.AMITY_API_KEY is None or settings.BRIDGE_SECRET_KEY is None:
        return None
    server_key = settings.AMITY_SERVER_KEY
    sessions = SessionClient.create(
        settings.amity_base_url,
        settings.AMITY_API_KEY.get_secret_value(),
        server_key.get_secret_value() if server_key is not None else None,
    )
    budgets: dict[str, SharedBudget] = {}

    def budget(token: str) -> SharedBudget:
        key = budget_key(token)
        if key not in budgets:
            budgets[key] = SharedBudget(outbox.transaction, key, settings.AMITY_RATE_LIMIT)
        return budgets[key]

    secret = Fernet(settings.BRIDGE_SECRET_KEY.get_secret_value().strip().encode())
    return Authors(outbox.transaction, sessions, admin, secret, budget, outbox.clock)


def _listen_for_changes(
    bridge: Bridge,
    store: RouteStore,
    slack: SlackGateway,
    replies: Replies,
    respond: Callable[[str, str], None],
) -> None:
    """Edits, deletions and take-backs of shared messages (``bridge.listeners.sync``)."""

    def is_workspace_admin(user: str) -> bool:
        try:
            return slack.is_admin(user)
        except SlackError as error:
            log.warning("bridge.admin_check_failed", extra={"error": str(error)})
            return False

    def offer(job: Job, user: str) -> None:
        bridge.notices.submit(_quietly, replies.offer_take_back, job, user)

    sync = SyncIntake(
        store,
        bridge.outbox,
        bridge.wake,
        admins=bridge.settings.admins,
        is_workspace_admin=is_workspace_admin,
        take_back_window=timedelta(minutes=bridge.settings.BRIDGE_TAKEBACK_MINUTES),
        offer=offer,
        respond_later=respond,
    )
    bridge.bolt.event("message")(sync.on_message)
    bridge.bolt.event("reaction_removed")(sync.on_reaction_removed)
    bridge.bolt.action(TAKE_BACK)(sync.on_take_back)


def _quietly(send: Any, *args: Any) -> None:
    try:
        send(*args)
    except SlackError as error:
        log.warning("bridge.notice_failed", extra={"error": str(error)})


def _log_error(error: Exception, body: dict[str, Any]) -> None:
    log.error(
        "bridge.listener_error",
        exc_info=error,
        extra={"payload_type": body.get("type"), "command": body.get("command")},
    )
