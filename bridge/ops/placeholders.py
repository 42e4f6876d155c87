"""Placeholder values left in the settings: the example file's values and example domains.

A setting copied as-is from ``.env.example`` (``xoxb-your-bot-token``) or pointing at an
example domain (``community.example.com``, RFC 2606) passes validation but cannot work:
``check`` reports each as a FAIL naming the setting and what to put there instead.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import SecretStr

from bridge.settings import HOW_TO_FIX, Settings

# Every value of .env.example (tests/test_placeholders.py keeps this list in step with it)
EXAMPLE_VALUES = frozenset(
    {
        "xoxb-your-bot-token",
        "your-signing-secret",
        "your-amity-admin-token",
        "https://community.example.com/posts/{postId}",
        "xapp-your-app-token",
        "your-amity-api-key",
        "your-amity-server-key",
        "generate-one-as-the-README-says",
    }
)
EXAMPLE_DOMAIN = re.compile(r"(^|\.)(example\.(com|org|net)|[^.]+\.example|example)$")
YOUR = re.compile(r"(^|[-_])your[-_]", re.IGNORECASE)
URL_SETTINGS = ("AMITY_POST_URL_TEMPLATE", "AMITY_API_URL", "SLACK_API_URL")


def is_example_host(url: str) -> bool:
    """Whether ``url``'s host is an example domain (example.com, .org, .net, *.example)."""
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return False
    return bool(host) and EXAMPLE_DOMAIN.search(host) is not None


def placeholders(settings: Settings) -> list[tuple[str, str]]:
    """(setting, why) for every setting that still holds a placeholder."""
    found: list[tuple[str, str]] = []
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if not isinstance(value, str):
            continue
        fix = HOW_TO_FIX.get(name, "the real value")
        if value in EXAMPLE_VALUES or YOUR.search(value):
            found.append((name, f"{name} is still the example value: set it to {fix}"))
        elif name in URL_SETTINGS and is_example_host(value):
            host = urlsplit(value).hostname
            found.append((name, f"{name} points at the example domain {host}: set it to {fix}"))
    return found
