"""What every intake listener shares: the route store, the outbox, and storing a job
(waking the worker when it is new, at most once per burst period:
:mod:`bridge.listeners.wakeup`)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bridge.delivery.outbox import Job, NewJob, Outbox
from bridge.delivery.reopen import Stored, store_trigger
from bridge.delivery.routestore import RouteStore
from bridge.listeners.commands import Routes
from bridge.listeners.gate import Gate
from bridge.listeners.wakeup import Coalesced
from bridge.routes import RoutesConfig
from bridge.slack.payloads import SlashCommand

log = logging.getLogger("bridge.listeners.intake")

RouteCommands = Callable[[SlashCommand, Routes], None]  # answers through the response_url


class IntakeBase:
    """The listeners' shared state: the routes, the outbox, the gate."""

    def __init__(
        self,
        store: RouteStore,
        outbox: Outbox,
        wake: Callable[[], None],
        tell_existing: Callable[[Job, str], None],
        gate: Gate,
        route_commands: RouteCommands,
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.wake = Coalesced(wake)
        self.tell_existing = tell_existing
        self.gate = gate
        self.route_commands = route_commands

    @property
    def routes(self) -> RoutesConfig:
        """The routes in force now (the store's, refreshed every few seconds)."""
        return self.store.current()

    def enqueue(self, new: NewJob) -> tuple[Job, bool]:
        stored = self.store_job(new)
        return stored.job, stored.created

    def store_job(self, new: NewJob) -> Stored:
        """Store ``new`` (re-opening the message's earlier share when it made no post);
        whoever had scheduled a post it replaces is told, privately."""
        stored = store_trigger(self.outbox, new)
        job, created = stored.job, stored.created
        outcome = "duplicate" if not created else "reopened" if stored.earlier else "accepted"
        log.info(
            "bridge.job_%s",
            outcome,
            extra={"job_id": job.id, "channel": new.channel_id, "ts": new.message_ts},
        )
        if created:
            self.wake()
        if stored.earlier is not None and (told := stored.schedule_notice()):
            earlier = stored.earlier
            self.gate.tell(earlier.channel_id, earlier.requested_by, told, earlier.message_ts)
        return stored
