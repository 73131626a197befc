"""Small-cell suppression over a table whose row and column totals are published too, against
an independent oracle: linear programmes that bound each hidden cell by the published numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import determined
from numpy.typing import NDArray

from recommender.query.privacy import table_suppression


def check(table: NDArray[np.int64], row_sums: bool = True) -> NDArray[np.bool_]:
    hide = table_suppression(table, 10, last_is_row_sum=row_sums)
    assert hide[(table > 0) & (table < 10)].all()  # every small cell is hidden
    for r, c in determined(table, hide, row_sums):
        # only where nothing is left to hide with it: its whole row and column are hidden,
        # so it is a published total itself (a table of one segment: the tier's size)
        assert hide[r].all() and hide[:, c].all(), (table.tolist(), hide.tolist(), (r, c))
    return hide


@pytest.mark.parametrize("table", [
    # segments x (core, extended, broad, overall); zeros are published
    [[7, 54, 76, 137], [30, 40, 50, 120], [12, 3, 90, 105], [0, 25, 0, 25]],
    # a tier whose one non-empty cell is small: its size gives it away unless a zero hides too
    [[0, 12, 8, 0, 20], [12, 0, 12, 5, 29]],
    # two groups of hidden cells joined by one: two hidden a line is not enough
    [[5, 2, 40, 40, 87], [200, 12, 8, 1, 221], [20, 200, 8, 5, 233], [3, 8, 2, 40, 53]],
])
def test_no_hidden_cell_can_be_worked_out(table: list[list[int]]) -> None:
    hide = check(np.array(table))
    assert determined(np.array(table), hide, True) == []


def test_random_tables_leave_no_hidden_cell_determined() -> None:
    rng = np.random.default_rng(0)
    for _ in range(150):
        tiers = rng.integers(0, 25, (int(rng.integers(1, 6)), int(rng.integers(1, 4))))
        tiers[rng.random(tiers.shape) < 0.2] = 0
        check(np.c_[tiers, tiers.sum(axis=1)])
        check(tiers[:, :1], row_sums=False)  # one column, its total published


@pytest.mark.parametrize("raw", ["abc", "0", "-5", "1.5"])
def test_a_bad_minimum_cell_is_one_line_and_exit_2(raw: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """``summary`` and ``film`` ended in a ValueError traceback (exit 1)."""
    from helpers import synthetic_model

    from recommender.cli import main
    from recommender.model import artifact

    model = synthetic_model(n_users=60, n_films=8, seed=1)
    folder = artifact.save(model, tmp_path / "m")
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", raw)
    for command in ("summary", "film"):
        assert main([command, str(folder), str(model.films.ids[1])]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: the minimum cell size is misconfigured: "
                              f"RECOMMENDER_MIN_CELL={raw!r}") and "Traceback" not in err
