"""Every environment variable the code reads is documented: in the README, and in ``--help``
(``serve --help`` names each server setting with its default, ``recommender --help`` the
variables the commands read). ``serve --help`` named its three options only, and no
``--help`` named ``RECOMMENDER_PROGRESS`` or ``RECOMMENDER_MIN_CELL``."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from recommender.cli import build_parser
from recommender.cli.environment_help import SERVE_SETTINGS
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"RECOMMENDER_[A-Z0-9_]*[A-Z0-9]")
#: set by ``serve --workers N`` for its own workers (service/metrics.py), never by a person
INTERNAL = {"RECOMMENDER_METRICS_SHARED"}
#: named in the README as the misspelling ``serve`` refuses, as names nothing reads (warned at
#: the start: recommender.io.env_names) and as the tests' own (RECOMMENDER_TEST_*)
MISSPELT_EXAMPLES = {"RECOMMENDER_READ_KEY", "RECOMMENDER_WORKERS", "RECOMMENDER_PORT",
                     "RECOMMENDER_HOST", "RECOMMENDER_TEST"}


def read_in_code(package: str) -> set[str]:
    """The variable names a package's code holds as string constants (what it reads with
    ``os.environ``; docstrings and comments, which name misspellings too, are not names)."""
    out = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and NAME.fullmatch(node.value):
                out.add(node.value)
    return out


def settings_names() -> set[str]:
    """The server's settings as variables (pydantic reads ``RECOMMENDER_`` + the field)."""
    assert Settings.model_config.get("env_prefix") == "RECOMMENDER_"
    return {f"RECOMMENDER_{name.upper()}" for name in Settings.model_fields}


def help_of(*argv: str) -> str:
    parser = build_parser()
    for name in argv:
        parser = next(a for a in parser._actions if a.dest == "command").choices[name]
    return parser.format_help()


def test_every_variable_in_the_code_is_in_the_readme() -> None:
    code = read_in_code("recommender") | read_in_code("service") | settings_names()
    assert "RECOMMENDER_STORE" in code and "RECOMMENDER_PROGRESS" in code  # the oracle reads
    readme = set(NAME.findall((ROOT / "README.md").read_text(encoding="utf-8")))
    assert sorted(code - INTERNAL - readme) == []
    assert sorted(readme - code - MISSPELT_EXAMPLES) == []  # none documented that is not read


def test_serve_help_names_every_setting_with_its_default() -> None:
    listed = {f"RECOMMENDER_{name}": default for name, _, default in SERVE_SETTINGS}
    assert set(listed) == settings_names()
    text = help_of("serve")
    for field, info in Settings.model_fields.items():
        name = f"RECOMMENDER_{field.upper()}"
        assert listed[name] == as_read(info.default), name
        said = re.search(rf"^{name}: (.*?)(?=^RECOMMENDER_|\Z)", text, re.M | re.S)
        assert said is not None, name
        if info.default is not None:
            default = as_read(info.default) or "blank"
            item = " ".join(said.group(1).split())  # unwrapped
            assert item.endswith(f"(default {default})"), item


def as_read(value: Any) -> str | None:
    """A default as a person would set the variable: true, 0.25, 30 (not 30.0)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)


@pytest.mark.parametrize("name", sorted(read_in_code("recommender")))
def test_each_variable_a_command_reads_is_in_the_top_level_help(name: str) -> None:
    assert name in help_of()


def test_serve_help_says_what_log_user_ids_keeps_as_the_setting_does() -> None:
    """``serve --help`` said the setting keeps "a path's user id" only, while it keeps the
    query's too (``?user_id=``) and the stall warning's: its text is the setting's own."""
    said = re.search(r"^RECOMMENDER_LOG_USER_IDS: (.*?)(?=^RECOMMENDER_|\Z)", help_of("serve"),
                     re.M | re.S)
    assert said is not None
    item = " ".join(said.group(1).split())
    described = Settings.model_fields["log_user_ids"].description
    assert described is not None
    assert item == f"{' '.join(described.split())} (default false)", item
    assert "?user_id=u1" in item and "cut for stalling" in item, item
