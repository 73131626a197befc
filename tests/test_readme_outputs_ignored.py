"""The files README's shell examples write in the checkout (``--out PATH``, ``evaluate --json
PATH``, ``> PATH``) are ignored by git: a reader who runs them is not left with untracked
files (``report.json`` and ``tuned.json`` of the Evaluation examples were not)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: a shell block of the README
BLOCK = re.compile(r"```(?:sh|bash|console)\n(.*?)```", re.S)
#: an option or redirection followed by the path it writes
WRITES = re.compile(r"(?:--out|--json|>)\s+([^\s|;&()]+)")


def readme_outputs() -> list[str]:
    """The relative paths README's shell examples write (a path without a suffix is a
    folder: a model's)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found: dict[str, None] = {}
    for block in BLOCK.findall(text):
        for line in block.splitlines():
            for path in WRITES.findall(line.split("  #")[0]):
                if path[0] in "-/$&~" or "://" in path or path.startswith("../"):
                    continue  # an option, an absolute or remote path, outside the checkout
                found[path if Path(path).suffix else path.rstrip("/") + "/"] = None
    return list(found)


def test_readme_example_outputs_are_ignored_by_git() -> None:
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout (an sdist has no .gitignore to check)")
    outputs = readme_outputs()
    assert {"report.json", "tuned.json", "models/main/", "recs.csv"} <= set(outputs), outputs
    checked = subprocess.run(["git", "check-ignore", "--no-index", "--stdin"], cwd=ROOT,
                             input="\n".join(outputs) + "\n", capture_output=True, text=True)
    ignored = set(checked.stdout.splitlines())
    assert not [p for p in outputs if p not in ignored], (
        "README's examples write these, which .gitignore does not ignore")
