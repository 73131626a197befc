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


@pytest.mark.parametrize("raw", ["abc", "0", "-5", "1.5", ""])
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


def pinned_by_bounds(table: NDArray[np.int64], hide: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """The hidden cells of 1 to 2 users (minimum cell 3) whose least and greatest value agree
    under the published numbers (shown cells, column totals, each row's last cell the sum of
    the others) with every count at least 0: a linear programme per bound."""
    from scipy.optimize import linprog
    rows, cols = table.shape
    cells = [(r, c) for r in range(rows) for c in range(cols) if hide[r, c]]
    a = [[float(cc == c) for _, cc in cells] for c in range(cols)]
    a += [[float(rr == r) * (-1.0 if c == cols - 1 else 1.0) for rr, c in cells]
          for r in range(rows)]
    b = np.array(a) @ np.array([float(table[cell]) for cell in cells])
    out = []
    for i, cell in enumerate(cells):
        if 0 < table[cell] < 3:
            goal = np.eye(len(cells))[i]
            low = linprog(goal, A_eq=a, b_eq=b, bounds=(0, None)).fun
            high = -linprog(-goal, A_eq=a, b_eq=b, bounds=(0, None)).fun
            if high - low < 1e-6:
                out.append(cell)
    return out


def test_an_empty_ring_hides_nothing_for_a_small_cell() -> None:
    """An empty ring's total 0 says each of its cells is 0, and a row's shown sum of 0 each of
    its parts: hidden with them, segment 0's 1 user in the broad ring was its tier's size 1
    less the other segments' (segments x core, extended, broad, overall; review's seed 48)."""
    table = np.array([[0, 0, 1, 1], [0, 0, 0, 0], [1, 0, 0, 1], [0, 0, 0, 0]])
    hide = table_suppression(table, 3)
    assert hide[(table > 0) & (table < 3)].all()
    assert pinned_by_bounds(table, hide) == []


def test_random_sparse_tables_leave_no_small_cell_bounded_to_one_value() -> None:
    """Tables with empty rings and empty segments: a small hidden cell is pinned, counts being
    at least 0, only where its whole row and column are hidden (a published total itself)."""
    rng = np.random.default_rng(1)
    for _ in range(150):
        tiers = rng.integers(0, 6, (int(rng.integers(1, 6)), int(rng.integers(1, 4))))
        tiers[rng.random(tiers.shape) < 0.5] = 0
        if rng.random() < 0.5:
            tiers[:, rng.integers(tiers.shape[1])] = 0  # an empty ring
        table = np.c_[tiers, tiers.sum(axis=1)]
        hide = table_suppression(table, 3)
        for r, c in pinned_by_bounds(table, hide):
            assert hide[r].all() and hide[:, c].all(), (table.tolist(), hide.tolist(), (r, c))
