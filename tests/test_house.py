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


#: code in the tests that may signal its own process: it runs in a forked child, never in
#: the test runner ({(file, enclosing function): why})
OWN_SIGNAL_ALLOWED = {
    ("tests/model/test_artifact_layout.py", "killed_at"): "SIGKILLs the forked child itself",
}


def _dotted(node: ast.expr) -> str:
    """``os.kill`` for ``os.kill``, ``kill`` for a bare name; empty for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


def _own_process(node: ast.expr) -> bool:
    """``os.getpid()``, ``os.getpgrp()``, ``os.getpgid(0)`` or ``0``: this process (group)."""
    if isinstance(node, ast.Constant):
        return node.value == 0
    return isinstance(node, ast.Call) and _dotted(node.func).split(".")[-1] in (
        "getpid", "getpgrp", "getpgid")


def _signals_itself(call: ast.Call) -> bool:
    name = _dotted(call.func).split(".")[-1]
    if name in ("raise_signal", "pthread_kill"):
        return True
    return name in ("kill", "killpg") and bool(call.args) and _own_process(call.args[0])


def test_no_test_sends_a_real_signal_to_the_test_runner() -> None:
    """A signal sent to the pytest process (``os.kill(os.getpid(), ...)``,
    ``signal.raise_signal``, ``signal.pthread_kill``) can stop or confuse a parallel run:
    a test runs the handler instead (``signal_arrival.signal_arrives``) or signals a child.
    Code in a string a child process runs is not parsed here, so it may signal itself."""
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        allowed = {n for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)
                   and (_id(path), fn.name) in OWN_SIGNAL_ALLOWED for n in ast.walk(fn)}
        found += [f"{_id(path)}:{n.lineno}" for n in ast.walk(tree)
                  if isinstance(n, ast.Call) and _signals_itself(n) and n not in allowed]
    assert not found, f"a real signal sent to the test process at {found}: run the handler " \
        "(signal_arrival.signal_arrives) or signal a child process"
