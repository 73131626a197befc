"""``service/bodies.py``: the fast audience-page writer gives ``json.dumps``'s bytes exactly
(oracle: ``render_json`` of the library's own ``to_json``), errors included."""

from __future__ import annotations

import json

import numpy as np
import pytest

from recommender.query.audience import AudiencePage
from service.bodies import render_json, render_page


def _page(film_id: str | None, user_ids: list[str], score: np.ndarray, percentile: np.ndarray,
          tier: list[str | None], total: int = 10, offset: int = 0) -> AudiencePage:
    n = len(user_ids)
    return AudiencePage(film_id=film_id, user_idx=np.arange(n, dtype=np.int64),
                        user_ids=np.array(user_ids, dtype=str),
                        rank=np.arange(1, n + 1, dtype=np.int64) + offset,
                        score=np.asarray(score, np.float32), percentile=percentile, tier=tier,
                        segment=np.arange(n, dtype=np.int64) % 3, total=total, offset=offset,
                        k=n)


def test_render_page_is_json_dumps_byte_for_byte() -> None:
    rng = np.random.default_rng(3)
    odd = ["u1", "é/ü", 'q"uote', "back\\slash", "tab\tnl\n", "\x00\x1f", "😀", "</script>", "",
           "100%", "%s"]
    for trial in range(60):
        n = int(rng.integers(0, 12))
        page = AudiencePage(
            film_id=None if trial % 7 == 0 else odd[trial % len(odd)],
            user_idx=np.arange(n, dtype=np.int64),
            user_ids=np.array([odd[i % len(odd)] + str(i) for i in rng.integers(0, 99, n)]),
            rank=np.arange(1, n + 1, dtype=np.int64) + trial,
            score=(rng.standard_normal(n) * 10.0 ** rng.integers(-8, 4)).astype(np.float32),
            percentile=rng.random(n) * 100, tier=[[None, "core", "broad"][i % 3] for i in range(n)],
            segment=rng.integers(0, 10, n), total=int(rng.integers(0, 10**6)), offset=trial, k=n)
        assert render_page(page) == render_json(page.to_json())


def test_render_page_of_uniform_and_empty_columns() -> None:
    tiers: list[list[str | None]] = [["core", "core"], [None, None]]
    for tier in tiers:  # a tier column of one kind only
        page = _page("f", ["a", "b"], np.array([0.5, -0.0]), np.array([100.0, 50.0]), tier)
        assert render_page(page) == render_json(page.to_json())
    empty = _page(None, [], np.array([]), np.array([]), [], total=0)
    assert render_page(empty) == render_json(empty.to_json())
    assert json.loads(render_page(empty)) == {"film_id": None, "title": None, "year": None,
                                              "also_titled": None, "users": [], "total": 0,
                                              "offset": 0, "k": 0, "ring": None,
                                              "note": None, "empty": None}
    named = _page("300", ["a"], np.array([0.5]), np.array([99.5]), ["core"])
    named.title, named.year = 'Quiz "Show"\u2028', 1994  # quotes and a line separator
    named.also_titled = ["51662 300 (2007)", "7 300 \u00e9 (1999)"]
    assert render_page(named) == render_json(named.to_json())
    assert json.loads(render_page(named))["also_titled"] == named.also_titled
    ringed = _page("f", ["a"], np.array([0.5]), np.array([99.5]), ["extended"])
    ringed.ring = {"tier": "extended", "rank_range": [3, 9], "size": 7}
    assert render_page(ringed) == render_json(ringed.to_json())
    assert json.loads(render_page(ringed))["ring"] == ringed.ring


@pytest.mark.parametrize("score, percentile", [(np.nan, 1.0), (1.0, np.inf), (-np.inf, np.nan)])
def test_non_finite_numbers_raise_jsons_own_error(score: float, percentile: float) -> None:
    page = _page("f", ["u", "v"], np.array([1.0, score]), np.array([percentile, 2.0]),
                 [None, None])
    with pytest.raises(ValueError) as want:
        render_json(page.to_json())
    with pytest.raises(ValueError) as got:
        render_page(page)
    assert str(got.value) == str(want.value)
