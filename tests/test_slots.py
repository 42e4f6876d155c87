"""Worker slots: a long job holds one slot; the others keep taking small jobs."""

from __future__ import annotations

from pathlib import Path

from bridge_standins.amity import Fault
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender
from bridge_standins.stack import NEWS, SIGNING_SECRET, start_stack

from bridge.delivery.outbox import JobState
from tests.e2e import job_state


def test_small_jobs_go_out_while_an_upload_hangs(tmp_path: Path, database_url: str) -> None:
    """An upload that does not finish holds one slot; ten text jobs after it all post."""
    stack = start_stack(tmp_path, database_url=database_url, BRIDGE_WORKERS=2)
    try:
        stack.amity.chaos([Fault.slow(600)], 1.0, path_prefix="/api/v4/files")
        report = stack.slack.add_file({"name": "report.txt", "mimetype": "text/plain"}, b"q3")
        msg = stack.slack.add_message(
            NEWS, {"user": "U0ALICE01", "text": "with a file", "files": [report]}
        )
        with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
            slack.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
            wait_for(lambda: any(r.path == "/api/v4/files" for r in stack.amity.requests))
            for n in range(10):
                url = stack.slack.response_url(f"r{n}")
                slack.command(f"small {n}", channel_id=NEWS, user_id="U0BOB0001", response_url=url)
        wait_for(lambda: stack.amity.post_count() == 10, timeout=20)
        assert sorted(p["data"]["text"] for p in stack.amity.posts) == sorted(
            f"small {n}" for n in range(10)
        )
        assert job_state(stack, msg["ts"]) is JobState.running  # still uploading
    finally:
        stack.amity.stop()  # ends the hanging upload, so the worker can stop
        stack.stop()
