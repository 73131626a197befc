"""The allocation's tie exchange and fill find each film's pairs from one sort of the pairs
by film (``by_film``), not a pass over every pair per film (films x pairs); ``by_film`` is
``user[film == f]`` for every film, and an allocation with ties still keeps its budgets."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import recommender.campaigns.allocation as allocation
from recommender.campaigns.allocation import allocate
from recommender.campaigns.allocation_picks import by_film


class _Counted(np.ndarray):  # type: ignore[type-arg]
    """An array that counts the elements its == compares (into ``seen``)."""

    seen = [0]

    def __eq__(self, other: object) -> Any:  # type: ignore[override]
        _Counted.seen[0] += self.size
        return np.ndarray.__eq__(self, other)


def test_by_film_is_each_films_users_in_row_order() -> None:
    rng = np.random.default_rng(3)
    film = rng.integers(0, 9, 500)
    user = rng.integers(0, 1000, 500)
    got = by_film(film, user, 12)  # films 9 to 11 hold no pair
    assert len(got) == 12
    for f in range(12):
        assert got[f].tolist() == user[film == f].tolist()


def test_ties_and_fill_pass_over_the_pairs_once(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    n_films, n_users = 40, 300
    weights = np.round(rng.random((n_films, n_users)), 1)  # many ties of weight
    weights[rng.random(weights.shape) < 0.1] = np.nan
    budgets = rng.integers(5, 40, n_films)
    read = {}
    for name in ("ties_by_bonus", "fill_by_bonus"):  # as allocate reads them
        original = getattr(allocation, name)

        def counted(film: np.ndarray, *args: Any, _f: Any = original, _n: str = name) -> Any:
            _Counted.seen[0] = 0
            out = _f(np.asarray(film).view(_Counted), *args)
            read[_n] = (_Counted.seen[0], len(film))
            return out

        monkeypatch.setattr(allocation, name, counted)
    bonus = 1e-7 * rng.random(weights.shape)  # ranks break the ties, as a plan's
    a = allocate(weights, budgets, 3, bonus=bonus)
    per_film = np.bincount(a.film, minlength=n_films)
    assert (per_film <= budgets).all() and (np.bincount(a.user, minlength=n_users) <= 3).all()
    assert set(read) == {"ties_by_bonus", "fill_by_bonus"}
    for name, (compared, pairs) in read.items():
        assert pairs > 200
        assert compared <= pairs, (name, compared, pairs)  # a pass per film: 40 x pairs
