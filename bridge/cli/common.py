"""What every command shares: settings read once, expected failures as one line."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path
from typing import NoReturn, TypeVar

from dotenv.parser import parse_stream
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from bridge.routes import ConfigError, RoutesConfig, RoutesMissing, load_routes
from bridge.settings import RoutesSettings, describe_errors

S = TypeVar("S", bound=BaseSettings)
ENV_FILE = Path(".env")
log = logging.getLogger("bridge.cli")


class Refused(Exception):
    """An expected failure: the command ends with this one line and exit code 2."""


def fail(message: str) -> NoReturn:
    """End the command with ``bridge: message`` on stderr."""
    raise Refused(message)


def settings(kind: type[S]) -> S:
    """The settings of ``kind``; exit 2 with one line per wrong setting."""
    check_env_file(ENV_FILE)
    try:
        return kind()
    except ValidationError as error:
        for line in describe_errors(error):
            print(f"bridge: {line}", file=sys.stderr)
        raise SystemExit(2) from None


def check_env_file(path: Path) -> None:
    """A ``.env`` file that is there must be readable UTF-8 of ``NAME=value`` lines."""
    if not path.exists() and not path.is_symlink():
        return
    try:
        text = path.read_text(encoding="utf-8")
    except IsADirectoryError:
        fail(f"{path.resolve()} is a directory: settings are read from a file named .env")
    except PermissionError:
        fail(f"{path.resolve()} cannot be read (permission denied): chmod a+r {path}")
    except UnicodeDecodeError as error:
        fail(
            f"{path.resolve()} is not UTF-8 text (byte 0x{error.object[error.start]:02x} on "
            f"line {_line_of(error)}): save it with the UTF-8 encoding"
        )
    except OSError as error:
        fail(f"{path.resolve()} cannot be read ({error.strerror}): fix or remove it")
    for binding in parse_stream_text(text):
        if binding[1]:
            fail(
                f"{path.resolve()} line {binding[0]} is not a setting "
                "(expected NAME=value, or a # comment): fix or remove that line"
            )


def parse_stream_text(text: str) -> list[tuple[int, bool]]:
    """Each statement of a ``.env`` text: (line number, whether it could not be read)."""
    return [(b.original.line, b.error) for b in parse_stream(io.StringIO(text))]


def file_routes(settings: RoutesSettings) -> RoutesConfig:
    """The routes file's routes; none when there is no file (it is optional); exit 2 with
    one line per problem when it cannot be read or is wrong."""
    try:
        return load_routes(settings.BRIDGE_CONFIG)
    except RoutesMissing:
        return RoutesConfig.empty()
    except ConfigError as error:
        fail(str(error))


def _line_of(error: UnicodeDecodeError) -> int:
    """The line (from 1) of the first byte that is not UTF-8."""
    return error.object[: error.start].count(b"\n") + 1
