"""The Spark planner's pricing takes each film's rows from one sort by film
(``spark_kernels.film_groups``), not a pass over every row per film (films x rows): in a
task's ``dual_round`` and in the driver's pricing round (``spark_plan._prices``). Both are
checked without a Spark session, against the mask per film as the oracle, value for value."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import recommender.campaigns.spark_plan as spark_plan
from recommender.campaigns import spark_kernels as kern


class _Counted(np.ndarray):  # type: ignore[type-arg]
    """An array that counts the elements its == compares (into ``seen``)."""

    seen = [0]

    def __eq__(self, other: object) -> Any:  # type: ignore[override]
        _Counted.seen[0] += self.size
        return np.ndarray.__eq__(self, other)


def _rows(rng: np.random.Generator, n_films: int, n_users: int, per_user: int
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows grouped by user as a task holds them: each user some distinct films."""
    f = np.concatenate([rng.choice(n_films, per_user, replace=False) for _ in range(n_users)])
    u = np.repeat(np.arange(n_users), per_user)
    w = np.round(rng.random(len(f)), 2)  # ties of w, as rounded p give
    r = w + 1e-7 * rng.random(len(f))
    return f.astype(np.int64), u.astype(np.int64), r, w


def _thresholds_by_mask(t: np.ndarray, fs: np.ndarray, keep: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """The oracle: each film's positive thresholds by a mask over every row."""
    tf, tv = [], []
    for i in range(len(keep)):
        vals = t[(t > 0) & (fs == i)]
        k = int(keep[i])
        if len(vals) > k:
            vals = vals[np.argpartition(-vals, k - 1)[:k]]
        tf.append(np.full(len(vals), i, np.int64))
        tv.append(vals)
    return np.concatenate(tf), np.concatenate(tv)


def test_film_groups_are_each_films_rows_in_row_order() -> None:
    rng = np.random.default_rng(11)
    f = rng.integers(0, 7, 400)
    got = kern.film_groups(f, 10)  # films 7 to 9 hold no row
    assert len(got) == 10
    for i in range(10):
        assert got[i].tolist() == np.flatnonzero(f == i).tolist()
    assert [len(g) for g in kern.film_groups(f[:0], 3)] == [0, 0, 0]
    assert kern.film_groups(f[:0], 0) == []


@pytest.mark.parametrize("cap", [1, 3])
def test_dual_round_passes_over_the_rows_once(cap: int) -> None:
    rng = np.random.default_rng(cap)
    n_films = 30
    f, u, r, w = _rows(rng, n_films, 200, 8)
    lam = np.where(rng.random(n_films) < 0.5, 0.0, 0.3 * rng.random(n_films))
    for keep in (rng.integers(1, 40, n_films), np.zeros(n_films, np.int64)):
        # the oracle: the kernel's own thresholds, per film by a mask over every row
        m = r - lam[f]
        order, pos = kern.user_order(f, u, m)
        fs, us, ms, rs = f[order], u[order], m[order], r[order]
        pos_m = np.maximum(ms, 0.0)
        other = np.where(pos < cap, kern._kth_of_user(pos_m, pos, us, cap),
                         kern._kth_of_user(pos_m, pos, us, cap - 1))
        want_f, want_v = _thresholds_by_mask(rs - other, fs, keep)
        assert len(want_v) > 100 or not keep.any()
        _Counted.seen[0] = 0
        got = kern.dual_round(f.view(_Counted), u, r, w, lam, cap, keep)
        assert np.array_equal(got["film"], want_f)
        assert np.array_equal(got["threshold"], want_v)  # same values in the same order
        assert got["threshold"].dtype == want_v.dtype
        assert _Counted.seen[0] <= len(f), _Counted.seen[0]  # a pass per film: 30 x rows


class _Rows:
    """What ``_prices`` asks of the Spark rows besides the rounds: their count."""

    def count(self) -> int:
        return 1000


def test_pricing_round_passes_over_the_thresholds_once(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    rng = np.random.default_rng(4)
    n = 40
    budgets = rng.integers(0, 30, n)
    rounds: list[tuple[np.ndarray, np.ndarray]] = []
    seen_lam: list[np.ndarray] = []
    compared: list[int] = []

    def fake_round(rows: Any, lam: np.ndarray, cap: int, budgets: np.ndarray,
                   keep: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        seen_lam.append(lam.copy())
        if rounds:
            compared.append(_Counted.seen[0])
        th_f = rng.integers(0, n - 3, 3000)  # the last 3 films: no threshold
        th_v = np.round(rng.random(3000), 3)  # ties among the thresholds
        rounds.append((th_f, th_v))
        _Counted.seen[0] = 0
        return th_f.view(_Counted), th_v, np.zeros(n), 100.0 - len(rounds)  # bound improves

    monkeypatch.setattr(spark_plan, "_dual_round", fake_round)
    spark_plan._prices(_Rows(), budgets, 2, 4, False)  # type: ignore[arg-type]
    assert len(seen_lam) == 4
    for (th_f, th_v), lam in zip(rounds[:-1], seen_lam[1:], strict=True):
        want = np.zeros(n)  # the oracle: each film's price by a mask over every threshold
        for i in range(n):
            mine = th_v[th_f == i]
            b = int(budgets[i])
            if len(mine) > b:
                want[i] = max(0.0, float(-np.partition(-mine, b)[b]))
        assert want.any()
        assert np.array_equal(lam, want)
    assert compared and max(compared) <= 3000, compared  # a pass per film: 40 x 3000
