"""``demo-data`` with fewer users than its 8 taste groups plants one group per user.

``demo-data --users 3`` was refused as "n_groups must be in 1..n_users, got 8": a parameter
the command has no option for.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from recommender.cli import main
from recommender.errors import InvalidParameterError
from recommender.io import demo


def test_three_users_get_three_groups(tmp_path: Path) -> None:
    out = tmp_path / "tiny"
    assert main(["demo-data", str(out), "--users", "3", "--films", "20",
                 "--interactions", "15"]) == 0
    assert demo.read_manifest(out)["n_groups"] == 3
    with open(out / "users.csv", encoding="utf-8", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 3


def test_eight_users_or_more_keep_eight_groups(tmp_path: Path) -> None:
    out = demo.generate(tmp_path / "d", n_users=9, n_films=20, n_interactions=45)
    assert demo.read_manifest(out)["n_groups"] == 8


@pytest.mark.parametrize(("argv", "option", "said"), [
    (["--interactions", "5"], "--interactions",
     "must be in 15000..300000 for 3000 users (--users) and 400 films (--films), got 5"),
    (["--users", "10", "--interactions", "10000"], "--interactions",
     "must be in 50..1000 for 10 users (--users) and 400 films (--films), got 10000"),
    (["--films", "12"], "--films", "must be >= 20"),
])
def test_a_size_no_demo_has_is_refused_naming_the_option_typed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], option: str,
        said: str) -> None:
    """The refusals named the Python parameters (n_interactions, n_films), which no one
    typing `demo-data` gave; the library's own callers still read its parameter names."""
    out = tmp_path / "d"
    assert main(["demo-data", str(out), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {option} {said}") and err.count("\n") == 1, err
    assert "n_" not in err and not out.exists()
    with pytest.raises(InvalidParameterError, match=r"^n_films must be >= 20"):
        demo.generate(out, n_films=12)
