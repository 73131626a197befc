"""The rooms of ``recommender/`` import downwards only, and the library never imports HTTP."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Rank of each room: a module may import its own room and rooms of a lower rank only.
# Rooms of equal rank (serving, evaluation, spark; campaigns, distribution) never import
# one another.
RANK = {
    "": 0,  # the package root: errors, __version__
    "errors": 0,
    "kernels": 1,
    "io": 2,
    "model": 3,
    "query": 4,
    "serving": 5,
    "evaluation": 5,
    "spark": 5,
    "campaigns": 6,  # slate planning, the campaign store, events and reports
    "distribution": 6,  # demand by place and screen allocation
    "cli": 7,
    "console": 8,  # the console script's entry point (recommender.console): it loads the CLI
    "__main__": 9,  # python -m recommender (and -m recommender.cli): the console script's entry
}
HTTP_PACKAGES = ("fastapi", "starlette", "uvicorn", "service")
# The CLI is a surface beside the service: ``recommender serve`` starts it (lazily imported).


def room_of(module: str) -> str:
    """``recommender.model.training`` -> ``model``; ``recommender.errors`` -> ``errors``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every absolute import in a file, lazy imports inside functions included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "recommender":
                found += [(node.lineno, f"recommender.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


def library_modules() -> list[Path]:
    return sorted((ROOT / "recommender").rglob("*.py"))


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join(parts)


def test_every_room_has_a_rank() -> None:
    rooms = {room_of(module_name(p)) for p in library_modules()}
    assert rooms <= set(RANK), f"rooms without a rank in this test: {rooms - set(RANK)}"


@pytest.mark.parametrize("path", library_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down(path: Path) -> None:
    name = module_name(path)  # every __main__ is an entry point, as the package root's is
    here = "__main__" if name.endswith(".__main__") else room_of(name)
    wrong = []
    for line, target in imports_of(path):
        top = target.split(".")[0]
        if top in HTTP_PACKAGES and not (here == "cli" and top == "service"):
            wrong.append(f"line {line}: {target} (the library never imports HTTP code)")
        if top != "recommender":
            continue
        there = room_of(target)
        if there == here or there not in RANK:
            continue
        if RANK[there] >= RANK[here]:
            wrong.append(f"line {line}: {here or 'root'} imports {target} ({there}, rank "
                         f"{RANK[there]} >= {RANK[here]})")
    assert not wrong, "\n".join(wrong)


def test_the_layer_check_catches_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from recommender.serving.engine import Engine\nimport fastapi\n")
    targets = [t for _, t in imports_of(bad)]
    assert targets == ["recommender.serving.engine", "fastapi"]
    assert RANK[room_of(targets[0])] > RANK["model"]
