"""The bot scopes the bridge needs, read from the Slack app manifest (``manifest.yml``).

The manifest is what an admin installs, so it is the one list: ``check`` compares the
token's granted scopes with it, and the Slack stand-in grants these by default.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import yaml


@cache
def bot_scopes() -> tuple[str, ...]:
    """``oauth_config.scopes.bot`` of the packaged manifest, in its order."""
    manifest = yaml.safe_load((files("bridge") / "manifest.yml").read_text(encoding="utf-8"))
    return tuple(str(scope) for scope in manifest["oauth_config"]["scopes"]["bot"])
