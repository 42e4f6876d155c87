"""Which message changes are edits, the preview's checks, and the route's sync options."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.delivery.jobs import Job
from bridge.delivery.replies import delayed_text, failed_text
from bridge.listeners.preview import Shared, read_submission
from bridge.routes import ConfigError, RoutesConfig, load_routes
from bridge.slack.changes import MessageChanged, is_real_change

BASE = {"ts": "1712345678.000100", "user": "U1", "text": "hello", "blocks": []}


def change(previous: dict[str, Any], new: dict[str, Any]) -> MessageChanged:
    event = {"type": "message", "subtype": "message_changed", "channel": "C1"}
    return MessageChanged.model_validate(
        event | {"message": BASE | new, "previous_message": BASE | previous}
    )


@pytest.mark.parametrize(
    ("previous", "new", "real"),
    [
        ({}, {"text": "hello!"}, True),
        ({}, {"files": [{"id": "F1"}]}, True),
        ({}, {"attachments": [{"from_url": "https://x.org", "title": "X"}]}, False),
        ({}, {"reply_count": 2, "latest_reply": "1712345679.000100"}, False),
        (
            {"blocks": [{"type": "rich_text", "block_id": "a"}]},
            {"blocks": [{"type": "rich_text", "block_id": "b"}]},
            False,
        ),
        ({}, {"attachments": [{"is_share": True, "text": "forwarded"}]}, True),
    ],
)
def test_real_changes(previous: dict[str, Any], new: dict[str, Any], real: bool) -> None:
    """Text, files and forwards are edits; previews, thread counters and block IDs are not."""
    assert is_real_change(change(previous, new)) is real


def test_tombstone_is_a_deletion() -> None:
    """A thread parent replaced by Slack's tombstone counts as deleted."""
    assert change({}, {"subtype": "tombstone", "text": "This message was deleted."}).is_deletion()


def shared(**kwargs: Any) -> Shared:
    values: dict[str, Any] = {
        "team": "T1",
        "channel": "C1",
        "ts": "1.1",
        "thread_ts": None,
        "digest": "",
        "long": False,
        "length": 5,
        "has_files": False,
    }
    return Shared(**(values | kwargs))


def state(text: str, route: str | None = "r", tags: str = "") -> dict[str, Any]:
    option = {"value": route} if route else None
    return {
        "community": {"route": {"selected_option": option}},
        "text": {"text": {"value": text}},
        "tags": {"tags": {"value": tags}},
    }


def test_files_alone_are_something_to_post() -> None:
    """An emptied text is fine when files go along."""
    _, errors = read_submission(shared(has_files=True), state(""))
    assert errors == {}


def test_long_text_left_empty_is_posted_as_written() -> None:
    """A text too long for the input, left empty, is the message's own (no override)."""
    choice, errors = read_submission(shared(long=True, length=4000), state(""))
    assert choice.text is None and errors == {}


def test_tags_are_trimmed_and_split() -> None:
    """Tags are comma-separated, blanks dropped."""
    choice, _ = read_submission(shared(), state("hi", tags=" a, ,b "))
    assert choice.tags == ["a", "b"]


def test_route_sync_options(tmp_path: Any) -> None:
    """Defaults: edits synced, deletes delete; `keep` is accepted, anything else refused."""
    base = "routes:\n  - name: a\n    channels: [C0123]\n    emoji: mega\n    community: x\n"
    path = tmp_path / "bridge.yml"
    path.write_text(base)
    route = load_routes(path).routes[0]
    assert (route.sync_edits, route.sync_deletes) == (True, "delete")
    path.write_text(base + "    sync_deletes: keep\n    sync_edits: false\n")
    route = load_routes(path).routes[0]
    assert (route.sync_edits, route.sync_deletes) == (False, "keep")
    path.write_text(base + "    sync_deletes: archive\n")
    with pytest.raises(ConfigError, match="sync_deletes"):
        load_routes(path)
    assert RoutesConfig.empty().routes == []


@pytest.mark.parametrize(
    ("kind", "words"),
    [("edit", "will be updated"), ("delete", "will be removed")],
)
def test_notices_of_sync_jobs_speak_of_the_post(kind: str, words: str) -> None:
    """A delayed or failed edit or removal is not called a share."""
    job = Job(
        key="k",
        kind=kind,
        team_id="T",
        channel_id="C",
        route_name="news",
        community_id="c",
        post_id="p",
        requested_by="U",
    )
    assert words in delayed_text(job, "Amity") and "shared" not in delayed_text(job, "Amity")
    assert "Could not share" not in failed_text(job, "no")
