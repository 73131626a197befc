"""House rules the tree keeps: small modules, each opening with a line saying what it is for."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 450
MODULES = sorted([*(ROOT / "recommender").rglob("*.py"), *(ROOT / "service").rglob("*.py")])


def _id(p: Path) -> str:
    return str(p.relative_to(ROOT))


@pytest.mark.parametrize("path", MODULES, ids=_id)
def test_module_is_small(path: Path) -> None:
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{_id(path)} has {n} lines (at most {MAX_LINES}): split it by concern"


@pytest.mark.parametrize("path", MODULES, ids=_id)
def test_module_opens_with_a_summary_line(path: Path) -> None:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert doc, f"{_id(path)} has no module docstring"
    first = doc.splitlines()[0].strip()
    assert first.endswith((".", "?")) and len(first) > 10, (
        f"{_id(path)}: the docstring's first line should be one sentence saying what the "
        f"module is for, got {first!r}")


def test_tests_mirror_the_library() -> None:
    rooms = {p.name for p in (ROOT / "recommender").iterdir()
             if p.is_dir() and (p / "__init__.py").exists()}
    missing = sorted(r for r in rooms if not any((ROOT / "tests" / r).glob("test_*.py")))
    assert not missing, f"rooms of recommender/ without tests/<room>/test_*.py: {missing}"


def test_test_file_names_are_unique() -> None:
    """pytest imports test files by base name (the test folders are not packages): two
    ``test_report.py`` in different rooms stop the whole collection."""
    seen: dict[str, list[str]] = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        seen.setdefault(path.name, []).append(str(path.relative_to(ROOT)))
    assert not {n: p for n, p in seen.items() if len(p) > 1}
