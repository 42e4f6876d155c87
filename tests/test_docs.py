"""The documentation: the site builds strictly, the settings reference matches ``Settings``,
and the README stays a landing page.

The settings reference is the table in ``docs/operator/settings.md``; a row documents a
setting when its first cell is the setting's environment name in backticks
(``| `NAME` | ...``). A new field of ``Settings`` needs exactly one such row.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from pydantic import AliasChoices

from bridge.settings import Settings

ROOT = Path(__file__).parents[1]
REFERENCE = ROOT / "docs" / "operator" / "settings.md"
ROW = re.compile(r"^\|\s*`(?P<name>[A-Za-z_][A-Za-z0-9_]*)`\s*\|", re.MULTILINE)
LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
README_MAX_LINES = 200
TWO_COMMANDS_BY_LINE = 60


def environment_names() -> set[str]:
    """The name each ``Settings`` field is read from: its alias when it has one."""
    prefix = str(Settings.model_config.get("env_prefix") or "")
    names = set()
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias or field.alias
        if isinstance(alias, AliasChoices):
            alias = next((choice for choice in alias.choices if isinstance(choice, str)), None)
        names.add(alias if isinstance(alias, str) else prefix + field_name)
    return names


def documented_rows() -> list[str]:
    """The setting names in the first column of the reference's table, in order."""
    return [match["name"] for match in ROW.finditer(REFERENCE.read_text(encoding="utf-8"))]


def test_site_builds_strictly(tmp_path: Path) -> None:
    """mkdocs build --strict passes: no broken link or anchor, no page left out of the nav."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # the theme's notice is not our warning
    config, site = str(ROOT / "mkdocs.yml"), str(tmp_path / "site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-f", config, "-d", site],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "operator" / "settings" / "index.html").is_file()


def test_every_setting_is_documented_exactly_once() -> None:
    """Each field of Settings has one row in the reference; a missing one names itself."""
    rows = documented_rows()
    for name in sorted(environment_names()):
        count = rows.count(name)
        assert count == 1, f"{name} has {count} rows in {REFERENCE.relative_to(ROOT)}, not 1"


def test_no_setting_is_documented_that_does_not_exist() -> None:
    """A row whose setting is not a field of Settings (renamed, removed, mistyped) fails."""
    unknown = sorted(set(documented_rows()) - environment_names())
    assert unknown == [], f"documented but not in bridge/settings.py: {unknown}"


def test_reference_rows_are_counted_by_the_pattern() -> None:
    """The pattern sees the table: as many rows as there are settings, none in prose."""
    assert len(documented_rows()) == len(environment_names())
    assert ROW.search("Set `PORT` to change the port.") is None
    assert ROW.search("| `PORT` | no | `3000` | HTTP port |")


def test_readme_is_a_landing_page() -> None:
    """The README is under 200 lines, with "The two commands" in its first 60."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) < README_MAX_LINES, f"README.md has {len(lines)} lines"
    headings = [number for number, line in enumerate(lines, 1) if line == "## The two commands"]
    assert headings, 'README.md has no "## The two commands" heading'
    assert headings[0] <= TWO_COMMANDS_BY_LINE, f"The two commands start at line {headings[0]}"


def test_readme_links_lead_to_files() -> None:
    """Every relative link of the README names a file or folder of the repository."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = [match["target"] for match in LINK.finditer(text)]
    local = [t.split("#", 1)[0] for t in targets if not re.match(r"[a-z]+:|#", t)]
    assert local, "README.md links to no page of the documentation"
    missing = [target for target in local if not (ROOT / target).exists()]
    assert missing == [], f"README.md links to missing files: {missing}"
