"""The package's structure: no import circle, no module reaching into another's private
names, and a design document that names only modules and objects that exist."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "bridge"
DESIGN = ROOT / "docs" / "architecture.md"
LINT = Path(sys.executable).parent / "lint-imports"


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_definitions(tree: ast.Module) -> set[str]:
    """The private names a module defines: its functions, classes, methods, constants."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            found.add(node.attr)
    return {name for name in found if is_private(name)}


def trees() -> dict[str, ast.Module]:
    return {
        str(path.relative_to(ROOT)): ast.parse(path.read_text(), str(path))
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def private_uses(trees: dict[str, ast.Module]) -> list[str]:
    """Each place a module imports, or reaches through an object for, a private name that
    another module of the package defines (and it does not)."""
    defined = {path: private_definitions(tree) for path, tree in trees.items()}
    problems = []
    for path, tree in trees.items():
        elsewhere = set().union(*(names for p, names in defined.items() if p != path))
        elsewhere -= defined[path]
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bridge"):
                parts = [*(node.module or "").split("."), *(a.name for a in node.names)]
                if any(is_private(part) for part in parts):
                    problems.append(f"{path}:{node.lineno} imports {ast.unparse(node)}")
            elif isinstance(node, ast.Attribute) and node.attr in elsewhere:
                owner = node.value
                if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
                    problems.append(f"{path}:{node.lineno} uses {ast.unparse(node)}")
    return problems


def test_no_module_uses_another_modules_private_names() -> None:
    """A name with a leading underscore is its module's own: another module neither
    imports it nor reaches it through an object (``self`` and ``cls`` may)."""
    assert private_uses(trees()) == []


def test_the_private_names_check_finds_a_reach_into_another_module() -> None:
    """The check above sees both forms it forbids."""
    modules = {
        "bridge/a.py": ast.parse("def _draft():\n    pass\n"),
        "bridge/b.py": ast.parse(
            "from bridge.a import _draft\n\ndef go(worker):\n    return worker._draft()\n"
        ),
    }
    assert [p.split(" ")[0] for p in private_uses(modules)] == ["bridge/b.py:1", "bridge/b.py:4"]


def test_the_import_circle_contract_covers_the_whole_package() -> None:
    """pyproject.toml has import-linter's no-circle contract over ``bridge`` (run with the
    other contracts by ``lint-imports`` in CI and in tests/test_layers.py)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    circles = [c for c in config["contracts"] if c["type"] == "acyclic_siblings"]
    assert [c["ancestors"] for c in circles] == [["bridge"]]
    assert "depth" not in circles[0] and "skip_descendants" not in circles[0]


def test_the_import_circle_contract_fails_on_a_circle(tmp_path: Path) -> None:
    """The same contract, on a package whose two modules import each other, is broken."""
    package = tmp_path / "circle" / "inner"
    package.mkdir(parents=True)
    (package.parent / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "worker.py").write_text("from circle.inner import sync\n")
    (package / "sync.py").write_text("from circle.inner.worker import __name__ as w\n")
    (tmp_path / ".importlinter").write_text(
        "[importlinter]\nroot_package = circle\n\n"
        "[importlinter:contract:one]\nname = No circle\ntype = acyclic_siblings\n"
        "ancestors = circle\n"
    )
    done = subprocess.run(
        [str(LINT), "--no-cache", "--no-logo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(tmp_path), "PATH": str(LINT.parent)},
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "BROKEN" in done.stdout and "circle.inner" in done.stdout


def design_names() -> list[str]:
    """The modules and objects the design document names: ``bridge.x.y`` dotted names and
    ``bridge/x/y.py`` paths (within the package's modules)."""
    text = DESIGN.read_text()
    dotted = re.findall(r"\bbridge(?:\.[A-Za-z_]\w*)+", text)
    paths = [
        p.removesuffix(".py").replace("/", ".")
        for p in re.findall(r"\bbridge(?:/\w+)+\.py\b", text)
    ]
    named = set(dotted) | set(paths)  # log events ("bridge.job_done") name no module
    return sorted(n for n in named if top_module(n).exists() or top_module(n, ".py").exists())


def top_module(name: str, suffix: str = "") -> Path:
    """Where the package's module or subpackage that ``name`` starts with would be."""
    return PACKAGE / (name.split(".")[1] + suffix)


def resolve(name: str) -> object:
    """Import the longest module prefix of ``name``, then look the rest up in it."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            found = getattr(found, attribute)
        return found
    raise ModuleNotFoundError(name)


def test_the_design_document_names_many_modules() -> None:
    """It walks a job through the package: the check below has names to check."""
    modules = {n for n in design_names() if isinstance(resolve(n), ModuleType)}
    assert len(modules) >= 30


@pytest.mark.parametrize("name", design_names())
def test_every_name_in_the_design_document_exists(name: str) -> None:
    """Each module the design document names imports, and each object it names in a
    module is there."""
    assert resolve(name) is not None


MAX_LINES = 300


def test_every_module_stays_small() -> None:
    """Modules stay at most ~300 lines: a longer one is split along its data flow."""
    long = {
        str(path.relative_to(ROOT)): n
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"
