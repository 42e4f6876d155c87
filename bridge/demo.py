"""``python -m bridge demo``: the whole flow against local stand-ins, no accounts needed.

Starts a fake Slack and a fake Amity on 127.0.0.1, the real bridge (waitress, SQLite
file, worker), then sends a signed ``/crosspost`` command and a signed reaction over
HTTP, waits for both posts, and shows what Amity and Slack received. The bridge's log
lines go to a file (shown only if the demo fails) so they do not break up the story;
``--verbose`` shows them on stderr as they happen.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from bridge_standins.server import WaitTimeoutError, wait_for
from bridge_standins.signed import SlackSender
from bridge_standins.stack import NEWS, SIGNING_SECRET, LocalStack, start_stack

from bridge.delivery.outbox import JobState
from bridge.ops.logs import setup_logging

MESSAGE = {
    "user": "U0ALICE01",
    "text": "Big news <@U0BOB0001>: the app ships today :rocket: <https://example.com/launch|"
    "release notes> #launch",
}


def run_demo(out: TextIO = sys.stdout, timeout: float = 20.0, *, verbose: bool = False) -> int:
    """Run the demo; 0 when both posts were created and answered."""
    level = logging.getLevelName(logging.getLogger().level)
    level = "WARNING" if level == "NOTSET" else level
    with tempfile.TemporaryDirectory(prefix="bridge-demo-") as workdir:
        log_file = Path(workdir) / "bridge.log"
        if not verbose:
            setup_logging(level, path=log_file)
        stack = start_stack(Path(workdir))
        try:
            result = _drive(stack, out, timeout)
        finally:
            stack.stop()
            if not verbose:
                setup_logging(level)  # closes the file before its folder goes
        if result and log_file.exists():
            out.write("\nThe bridge's log:\n" + log_file.read_text(encoding="utf-8"))
        return result


def _drive(stack: LocalStack, out: TextIO, timeout: float) -> int:
    out.write(f"bridge is listening on {stack.events_url}\n")
    out.write(
        f"  fake Slack Web API: {stack.slack.url}/api/\n  fake Amity API:     "
        f"{stack.amity.url}\n  store:              {stack.settings.DATABASE_URL}\n\n"
    )
    message = stack.slack.add_message(NEWS, MESSAGE)
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        answer = slack.command(
            "Hello from Slack :wave: <@U0ALICE01|alice>",
            channel_id=NEWS,
            user_id="U0BOB0001",
            response_url=stack.slack.response_url("demo"),
        )
        out.write(
            f"> /crosspost Hello from Slack :wave: @alice\n  HTTP {answer.status_code}: "
            f"{answer.json().get('text')}\n"
        )
        answer = slack.reaction(
            user="U0BOB0001", reaction="mega", channel=NEWS, ts=message["ts"], item_user="U0ALICE01"
        )
        out.write(f"> :mega: reaction on Alice's message\n  HTTP {answer.status_code}\n\n")
    try:
        wait_for(lambda: _all_done(stack, 2), timeout=timeout, message="two finished jobs")
    except WaitTimeoutError as error:
        out.write(f"demo failed: {error}\n")
        _report(stack, out)
        return 1
    _report(stack, out)
    return 0


def _all_done(stack: LocalStack, count: int) -> bool:
    jobs = stack.bridge.outbox.recent(count)
    return len(jobs) == count and all(j.state is JobState.done for j in jobs)


def _report(stack: LocalStack, out: TextIO) -> None:
    out.write(f"Amity received {len(stack.amity.posts)} create-post request(s):\n")
    for body in stack.amity.posts:
        out.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
    out.write("\nSlack received:\n")
    for reply in stack.slack.posted:
        out.write(f"  thread reply in {reply.channel} (thread {reply.thread_ts}): {reply.text}\n")
    for reaction in stack.slack.reactions_added:
        out.write(f"  reaction :{reaction.name}: on {reaction.channel}/{reaction.timestamp}\n")
    for response in stack.slack.responses:
        body = response.body if isinstance(response.body, dict) else {}
        out.write(f"  command answer ({body.get('response_type')}): {body.get('text')}\n")
    for job in stack.bridge.outbox.recent(10):
        if job.state is not JobState.done:
            out.write(f"  job {job.id} is {job.state.value}: {job.last_error}\n")
