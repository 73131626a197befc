"""Small-cell suppression over a table whose row and column totals are published too."""

from __future__ import annotations

import itertools

import numpy as np

from recommender.query.privacy import table_suppression


def test_a_hidden_cell_is_never_alone_in_a_row_or_a_column() -> None:
    # segments x (core, extended, broad, overall): the overall column is the rows' sum
    tiers = np.array([[7, 54, 76], [30, 40, 50], [12, 3, 90], [0, 25, 0]])
    table = np.c_[tiers, tiers.sum(axis=1)]
    hide = table_suppression(table, 10)
    assert hide[0, 0] and hide[2, 1]  # the small cells (7 and 3)
    for line in (*hide, *hide.T):
        assert int(line.sum()) != 1
    assert not hide[table == 0].any()  # an empty cell names nobody: it stays


def test_random_tables_leave_no_cell_recoverable_by_one_subtraction() -> None:
    rng = np.random.default_rng(0)
    for _ in range(300):
        tiers = rng.integers(0, 25, (int(rng.integers(1, 7)), int(rng.integers(1, 4))))
        table = np.c_[tiers, tiers.sum(axis=1)]
        hide = table_suppression(table, 10)
        assert (hide | ~((table > 0) & (table < 10))).all()  # every small cell hidden
        for line, counts in itertools.chain(zip(hide, table, strict=True),
                                            zip(hide.T, table.T, strict=True)):
            # alone unless nothing else in the line could be hidden with it
            assert int(line.sum()) != 1 or int((counts > 0).sum()) == 1
        assert not hide[table == 0].any()
