"""The demo command runs the whole flow against the stand-ins."""

from __future__ import annotations

import io

from bridge.demo import run_demo


def test_demo_creates_two_posts_and_answers() -> None:
    """Both the command and the reaction end as posts, with a thread reply and an answer."""
    out = io.StringIO()
    assert run_demo(out) == 0
    text = out.getvalue()
    assert "Amity received 2 create-post request(s)" in text
    assert "thread reply in C0NEWS001" in text
    assert "command answer (in_channel): Shared to *announcements*" in text
    assert "reaction :white_check_mark:" in text
