"""Reading and writing a routes file (YAML): every problem is one line naming the file,
the place and the fix, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bridge.routes.model import (
    MAX_HASHTAG_LENGTH,
    MAX_HASHTAGS,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    ConfigError,
    Route,
    RoutesConfig,
    RoutesMissing,
)

EXAMPLE = """routes:
  - name: announcements
    channels: [C0123ABCD]
    emoji: mega
    community: 64be1f6cb9b4106b5a6bbf3f
"""


def read_text(path: Path) -> str:
    """The file's text, or ConfigError saying in one line why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RoutesMissing(
            f"{path}: routes file not found (it is optional: routes added from Slack are "
            "kept in the store; to start from a file, copy bridge.example.yml to it)"
        ) from None
    except IsADirectoryError:
        raise ConfigError(
            f"{path} is a directory, not a routes file: point BRIDGE_CONFIG at a YAML file "
            "(such as bridge.yml), or remove the directory"
        ) from None
    except PermissionError:
        raise ConfigError(
            f"{path} cannot be read (permission denied): make it readable by the user "
            f"running the bridge, e.g. chmod a+r {path}"
        ) from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path} is not UTF-8 text (byte 0x{error.object[error.start]:02x} on line "
            f"{_line_of(error)}): save it with the UTF-8 encoding"
        ) from None
    except OSError as error:
        raise ConfigError(f"{path} cannot be read ({error.strerror}): check the path") from None


def parse_routes(text: str, source: Path) -> RoutesConfig:
    """Validate a routes file's ``text`` (``source`` names it in messages)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = " ".join(str(error.problem or error.context or "syntax error").split())
        raise ConfigError(
            f"{source}{where}: not valid YAML ({what}): fix the indentation or quoting there"
        ) from None
    except yaml.YAMLError as error:
        said = " ".join(str(error).split())
        raise ConfigError(f"{source}: not valid YAML ({said})") from None
    if not isinstance(raw, dict):
        first = " ".join(EXAMPLE.split())
        raise ConfigError(f"{source}: expected a mapping with a 'routes:' list, e.g. {first}")
    if "emoji" in str(raw):
        raw = _strip_colons(raw)
    try:
        return RoutesConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError("\n".join(_describe(source, error, raw))) from None


def load_routes(path: Path) -> RoutesConfig:
    """Read and validate the routes file, or raise ConfigError with a readable message
    (RoutesMissing when there is no file)."""
    return parse_routes(read_text(path), path)


def dump_routes(routes: list[Route], users: dict[str, str] | None = None) -> str:
    """``routes`` as a routes file that ``load_routes`` reads back (defaults left out)."""
    data: dict[str, Any] = {
        "routes": [route.model_dump(mode="json", exclude_defaults=True) for route in routes]
    }
    if users:
        data["users"] = dict(users)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _strip_colons(raw: dict[str, object]) -> dict[str, object]:
    routes = raw.get("routes")
    if isinstance(routes, list):
        for route in routes:
            if isinstance(route, dict) and isinstance(route.get("emoji"), str):
                route["emoji"] = route["emoji"].strip().strip(":")
    return raw


HINTS = {
    "channels": "a Slack channel ID such as C0123ABCD (channel details > About, at the bottom)",
    "emoji": "a reaction name without colons, such as mega",
    "users": "Slack user IDs (U0123ABCD) mapped to Amity user IDs",
    "community": "the Amity community ID",
    "tags": f"at most {MAX_TAGS} Amity tags of at most {MAX_TAG_LENGTH} characters",
    "hashtags": f"at most {MAX_HASHTAGS} hashtags of at most {MAX_HASHTAG_LENGTH} characters, "
    "without spaces",
    "attribution": "a line such as '— shared from Slack by {author}'",
    "discoverable": "true or false",
}


def _describe(path: Path, error: ValidationError, raw: dict[str, Any]) -> list[str]:
    lines = []
    for item in error.errors():
        if item["type"] == "value_error" and not item["loc"]:  # RoutesConfig._unambiguous
            lines.append(f"{path}: {item['msg'].removeprefix('Value error, ')}")
            continue
        where = ".".join(str(part) for part in item["loc"]) or "top level"
        name = _route_name(raw, item["loc"])
        hint = next((h for key, h in HINTS.items() if key in map(str, item["loc"])), None)
        # lower only the first letter: the rest may quote a pattern, which must stay exact
        said = str(item["msg"]).removeprefix("Value error, ")
        message = "is missing" if item["type"] == "missing" else _lower_first(said)
        line = f"{path}: {where} {message}" + (f" (expected {hint})" if hint else "")
        lines.append(line + (f", in route {name}" if name is not None else ""))
    return lines


def _route_name(raw: dict[str, Any], loc: tuple[int | str, ...]) -> str | None:
    """The name of the route an error is in, when the file gives one."""
    if len(loc) < 2 or loc[0] != "routes" or not isinstance(loc[1], int):
        return None
    routes = raw.get("routes")
    if not isinstance(routes, list) or loc[1] >= len(routes):
        return None
    route = routes[loc[1]]
    name = route.get("name") if isinstance(route, dict) else None
    return name if isinstance(name, str) and name else None


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _line_of(error: UnicodeDecodeError) -> int:
    """The line (from 1) of the first byte that is not UTF-8."""
    return error.object[: error.start].count(b"\n") + 1
