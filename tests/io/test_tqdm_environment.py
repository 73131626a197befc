"""A ``TQDM_*`` variable tqdm cannot read as its number is refused before any work."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys

import pytest

from recommender.errors import InvalidParameterError
from recommender.io.progress import TQDM_NUMBERS, check_tqdm_environment

CASES = [(name, value) for name in ("TQDM_MININTERVAL", "TQDM_MAXINTERVAL", "TQDM_NCOLS",
                                    "TQDM_DELAY", "TQDM_POSITION", "TQDM_DISABLE", "TQDM_UNIT",
                                    "TQDM_ASCII", "TQDM_LEAVE", "TQDM_UNKNOWN_THING")
         for value in ("abc", "1.5", "7", "")]


def _tqdm_imports(env: dict[str, str]) -> bool:
    """The oracle: whether tqdm itself takes these variables (it reads them at import)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TQDM_")}
    done = subprocess.run([sys.executable, "-c", "import tqdm.std"], env={**clean, **env},
                          capture_output=True, text=True, timeout=120)
    return done.returncode == 0


@pytest.mark.parametrize(("name", "value"), CASES)
def test_refused_exactly_where_tqdm_fails(monkeypatch: pytest.MonkeyPatch, name: str,
                                          value: str) -> None:
    for k in [k for k in os.environ if k.startswith("TQDM_")]:
        monkeypatch.delenv(k)
    monkeypatch.setenv(name, value)
    try:
        check_tqdm_environment()
        refused = None
    except InvalidParameterError as e:
        refused = str(e)
    assert (refused is None) == _tqdm_imports({name: value}), (name, value, refused)
    if refused is not None:
        assert refused.startswith(f"{name}={value!r} is not a ")


def test_every_number_tqdm_reads_is_checked() -> None:
    """Every parameter of tqdm's ``__init__`` it would convert from text to a number (by its
    default's type or its listed type) is one the check knows, by the same type."""
    from tqdm import std

    params = inspect.signature(std.tqdm.__init__.__wrapped__  # type: ignore[attr-defined]
                               if hasattr(std.tqdm.__init__, "__wrapped__")
                               else std.tqdm.__init__).parameters
    numeric = {name for name, p in params.items()
               if p.default is not inspect.Parameter.empty and p.default is not None
               and type(p.default) in (int, float)}
    listed = {"total", "ncols", "miniters", "position", "nrows"}  # tqdm's types= fallback
    assert numeric | listed <= set(TQDM_NUMBERS)


def test_a_command_says_it_before_its_work(tmp_path: object) -> None:
    """The CLI refuses it at once, naming the variable (exit 2, no traceback): before, the
    first command drawing progress stopped on tqdm's import with a bare ValueError."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TQDM_")}
    done = subprocess.run([sys.executable, "-m", "recommender.cli", "info", str(tmp_path)],
                          env={**clean, "TQDM_MININTERVAL": "abc"}, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "TQDM_MININTERVAL='abc' is not a number" in done.stderr
