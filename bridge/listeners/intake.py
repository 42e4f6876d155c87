"""Intake: Bolt listeners that turn a verified Slack request into a stored job.

Each listener parses the payload, checks the route, inserts a job with its unique key
and returns; Bolt answers Slack after that (``process_before_response``), so an
acknowledged trigger is already durable. Nothing here calls Amity or waits on Slack.
"""

from __future__ import annotations

from bridge.listeners.intakebase import RouteCommands
from bridge.listeners.newjobs import is_retry, message_job, no_route_text, post_id_for, text_job
from bridge.listeners.oncommand import CommandIntake
from bridge.listeners.onreaction import ReactionIntake

__all__ = [
    "Intake",
    "RouteCommands",
    "is_retry",
    "message_job",
    "no_route_text",
    "post_id_for",
    "text_job",
]


class Intake(ReactionIntake, CommandIntake):
    """The listeners, bound to the routes and the outbox: the reaction trigger
    (:mod:`bridge.listeners.onreaction`) and the command (:mod:`bridge.listeners.oncommand`)."""
