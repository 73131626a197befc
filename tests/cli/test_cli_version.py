"""``recommender --version`` tells builds apart: every build said 0.1.0, so an operator
upgrading in place could not tell which engine would migrate (or refuse) a store. It prints the
package version, the store schema a new store is created at, and the model folder format.

Oracle: the schema read back from a store this build creates (``schema_version`` with the
sqlite3 module) and the package metadata's version from pyproject.toml."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from recommender.campaigns.store import open_store
from recommender.cli import main
from recommender.model import artifact

ROOT = Path(__file__).resolve().parents[2]


def test_version_names_the_package_store_schema_and_model_format(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    found = re.fullmatch(r"recommender (\S+) \(store schema (\d+), model format (\d+)\)\n", out)
    assert found, out
    package = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert found.group(1) == package
    db = tmp_path / "s.db"
    open_store(str(db)).close()
    with sqlite3.connect(db) as conn:
        (schema,) = conn.execute("select max(version) from schema_version").fetchone()
    assert int(found.group(2)) == schema
    assert int(found.group(3)) == max(artifact.READABLE_VERSIONS)


def test_version_is_the_console_commands_too() -> None:
    """As an operator types it: the module's entry point, with no command given."""
    done = subprocess.run([sys.executable, "-m", "recommender", "--version"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("recommender ") and "store schema" in done.stdout


def test_readme_shows_this_builds_version_line() -> None:
    """README's example is this build's line (a new migration or format changes it)."""
    from recommender.cli.version import version_line

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- version-line -->`([^`]*)`<!-- /version-line -->", readme)
    assert shown and shown.group(1) == version_line()
