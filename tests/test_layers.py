"""The package's layers hold, and a production install carries no stand-ins."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from setuptools import find_packages

ROOT = Path(__file__).parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_lower_layers_never_import_upper_ones() -> None:
    """import-linter's contracts (pyproject.toml) are kept."""
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


def test_the_runtime_package_ships_no_stand_ins() -> None:
    """The packages pip installs from this pyproject are bridge's own, and the runtime
    dependencies hold nothing only the stand-ins need."""
    include = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    shipped = find_packages(where=str(ROOT), include=include)
    assert "bridge" in shipped
    assert "bridge.delivery.migrations" in shipped
    assert all(name == "bridge" or name.startswith("bridge.") for name in shipped)
    runtime = {Requirement(r).name for r in PYPROJECT["project"]["dependencies"]}
    assert not runtime & {"jsonschema", "websockets"}


def test_the_stand_ins_are_a_distribution_of_their_own() -> None:
    """``standins/`` builds ``bridge_standins`` with what it needs at run time."""
    standins = tomllib.loads((ROOT / "standins" / "pyproject.toml").read_text())
    assert standins["tool"]["setuptools"]["packages"] == ["bridge_standins"]
    needs = {Requirement(r).name for r in standins["project"]["dependencies"]}
    assert {"jsonschema", "websockets"} <= needs
    assert "bridge" not in needs  # never fetched from an index: it comes from this repository
