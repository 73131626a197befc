"""A next wave counts each film's sent targets (its budget spent) and each film's sent rows
(its controls' rounding offset) in one pass over the rows, not one pass per film (films x
rows of string compares); both checked against the first plan's rows, counted by hand."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import synthetic_model

import recommender.campaigns.next_wave as next_wave
from recommender.campaigns.plan import plan_slate
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import open_store


class _Counted(np.ndarray):  # type: ignore[type-arg]
    """An array that counts the elements its == compares (into ``seen``)."""

    seen = [0]

    def __eq__(self, other: object) -> Any:  # type: ignore[override]
        _Counted.seen[0] += self.size
        return np.ndarray.__eq__(self, other)


def test_spent_budgets_and_offsets_in_one_pass(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    m = synthetic_model(n_users=600, n_films=12, seed=3)
    store = open_store(str(tmp_path / "s.db"))
    slate = [SlateFilm(str(f), 40 + 5 * i) for i, f in enumerate(m.films.ids[:10].tolist())]
    first = plan_slate(m, slate, cap=3, holdout=0.2, waves=3, seed=1)
    store.save_plan(first.plan_id, first.summary, first.rows)
    rows_of, plan = next_wave._rows_of, next_wave.plan_slate
    seen: dict[str, Any] = {}

    def counted_rows(*args: Any) -> Any:
        film, sent, target = rows_of(*args)
        return np.asarray(film).view(_Counted), sent, target

    def captured(model: Any, slate: Any, **kw: Any) -> Any:
        seen["slate"], seen["offsets"] = slate, kw["control_offsets"]
        return plan(model, slate, **kw)

    monkeypatch.setattr(next_wave, "_rows_of", counted_rows)
    monkeypatch.setattr(next_wave, "plan_slate", captured)
    _Counted.seen[0] = 0
    next_wave.plan_next_wave(m, store, first.plan_id, sent_waves=2)
    rows = first.rows.to_pydict()
    sent = [(f, g) for f, w, g in zip(rows["film_id"], rows["wave"], rows["group"], strict=True)
            if w <= 2]
    targets, chosen = Counter(f for f, g in sent if g == "target"), Counter(f for f, _ in sent)
    assert [f.budget for f in seen["slate"]] == [max(0, s.budget - targets[s.film_id])
                                                 for s in slate]
    assert seen["offsets"].tolist() == [chosen[s.film_id] for s in seen["slate"]]
    assert min(chosen.values()) > 0
    # the plan's rows were compared film by film: 10 x rows
    assert _Counted.seen[0] <= len(rows["film_id"]), (_Counted.seen[0], len(rows["film_id"]))
