"""A plan summary's per-film waves come from one sort of the plan's rows, not a pass over
every row per film and per wave (films x waves x rows: 50 films of 1,000 waves took 7 s of
a 10 s plan); the counts are checked against the plan's own rows, counted one by one."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest
from helpers import synthetic_model

import recommender.campaigns.plan as plan_module
from recommender.campaigns.plan import plan_slate
from recommender.campaigns.slate import SlateFilm


class _Counted(np.ndarray):  # type: ignore[type-arg]
    """An array that counts the elements its == and != compare (into ``seen``)."""

    seen = [0]

    def __eq__(self, other: object) -> Any:  # type: ignore[override]
        _Counted.seen[0] += self.size
        return np.ndarray.__eq__(self, other)

    def __ne__(self, other: object) -> Any:  # type: ignore[override]
        _Counted.seen[0] += self.size
        return np.ndarray.__ne__(self, other)


def test_wave_counts_are_the_rows_and_each_row_is_compared_a_few_times(
        monkeypatch: pytest.MonkeyPatch) -> None:
    model = synthetic_model(n_users=300, n_films=30, seed=3)
    summary = plan_module.summarise

    def counted(*args: Any) -> Any:  # f_pos and wave (arguments 7 and 8) count comparisons
        args = list(args)
        args[7], args[8] = (np.asarray(a).view(_Counted) for a in args[7:9])
        return summary(*args)

    monkeypatch.setattr(plan_module, "summarise", counted)
    _Counted.seen[0] = 0
    slate = [SlateFilm(f, 60) for f in model.films.ids[:20].tolist()]
    plan = plan_slate(model, slate, cap=6, holdout=0.2, waves=12)
    rows = plan.rows.to_pydict()
    n = len(rows["film_id"])
    assert n > 500
    # the oracle: each row counted once into (film, wave, group)
    seen = Counter(zip(rows["film_id"], rows["wave"], rows["group"], strict=True))
    for film in plan.summary["films"]:
        mine = sorted({w for f, w, _ in seen if f == film["film_id"]})
        assert [r["wave"] for r in film["waves"]] == mine
        assert len(mine) > 1
        for r in film["waves"]:
            assert r["contacts"] == seen[film["film_id"], r["wave"], "target"]
            assert r["control"] == seen[film["film_id"], r["wave"], "control"]
        assert film["selected"] == sum(k for (f, _, _), k in seen.items()
                                       if f == film["film_id"])
    # a pass per film and per wave compared each row 20 x (1 + 2 x 12) times
    assert _Counted.seen[0] <= 4 * n, (_Counted.seen[0], n)
