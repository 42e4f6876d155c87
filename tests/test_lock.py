"""requirements.txt (what Heroku's, Dokku's, Render's and Railway's Python buildpacks install)
stays in step with pyproject.toml.

The lock is made by ``uv pip compile`` (its first lines give the command). Regenerating it
in the test would need the network and the same index state, so instead the test checks,
offline, what a stale lock gets wrong: every runtime dependency is pinned at a version its
specifier allows, the lock's top-level packages are exactly the runtime dependencies (no dev
tools, nothing removed left behind), and every pin carries hashes.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parents[1]
COMMAND = (
    "uv pip compile pyproject.toml -o requirements.txt --generate-hashes "
    "--python-version 3.11 --universal"
)
PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^\s;\\]+)")


def lock() -> dict[str, tuple[str, list[str], int]]:
    """name → (version, the 'via' sources, number of hashes)."""
    found: dict[str, tuple[str, list[str], int]] = {}
    current = ""
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match["name"])
            found[current] = (match["version"], [], 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, via, hashes = found[current]
            found[current] = (version, via, hashes + 1)
        elif current and (source := line.strip().removeprefix("#").strip()) not in ("", "via"):
            found[current][1].append(source.removeprefix("via ").strip())
    return found


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(text) for text in project["dependencies"]]


def test_lock_was_made_by_the_documented_command() -> None:
    """The header names the command the README gives for regenerating it."""
    text = (ROOT / "requirements.txt").read_text()
    assert text.splitlines()[1].strip("# ") == COMMAND


def test_every_runtime_dependency_is_pinned_within_its_specifier() -> None:
    """A dependency added to pyproject.toml or a raised minimum fails until re-locked."""
    pins = lock()
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is missing from requirements.txt: re-run {COMMAND}"
        version = pins[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{name}=={version} does not satisfy {requirement}: re-run {COMMAND}"
        )


def test_top_level_pins_are_exactly_the_runtime_dependencies() -> None:
    """No dev tool in the lock, and nothing left over from a removed dependency."""
    pins = lock()
    top = {name for name, (_, via, _) in pins.items() if "bridge (pyproject.toml)" in via}
    assert top == {canonicalize_name(r.name) for r in declared()}
    orphans = [name for name, (_, via, _) in pins.items() if not via]
    assert orphans == []
    assert "pytest" not in pins and "mypy" not in pins and "websockets" not in pins


def test_every_pin_has_hashes() -> None:
    """pip installs in hash-checking mode: every package is verified."""
    assert all(hashes >= 1 for _, _, hashes in lock().values())


def test_extras_are_locked() -> None:
    """psycopg[binary] brings its compiled driver (no libpq build on the platform)."""
    assert "psycopg-binary" in lock()
