"""A segment's top genre is one whose lift, as stored and shown (3 decimals), is above 1: a
genre of lift 1.0002 was kept and stored as 1.0, read ``lift 1.000`` by ``segments`` and
``×1.000`` in the Studio under a legend saying every top genre's lift is above 1."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.io.dataset import Catalog
from recommender.model.segments import describe


@pytest.mark.parametrize("more", [1, 100])  # a lift of 1.0002, and a lift of 1.02
def test_a_genre_whose_rounded_lift_is_1_is_no_top_genre(more: int) -> None:
    # two users, each a segment, over 10,000 films of genre A, 10,000 of B and 1,000 of C:
    # user 0 watched 5,000 + more A films and 5,000 - more B films, user 1 the other way
    # round, both every C film, so each over-indexes on one genre by (5,000 + more) / 5,000
    n = 10_000
    genres = np.array(["A"] * n + ["B"] * n + ["C"] * 1000)
    views = {0: {"A": 5000 + more, "B": 5000 - more, "C": 1000},
             1: {"A": 5000 - more, "B": 5000 + more, "C": 1000}}
    rows: list[int] = []
    cols: list[int] = []
    for user, counts in views.items():
        for start, g in ((0, "A"), (n, "B"), (2 * n, "C")):
            rows += [user] * counts[g]
            cols += range(start, start + counts[g])
    seen = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(2, len(genres)))
    ids = np.arange(len(genres)).astype(str)
    catalog = Catalog(ids, ids.copy(), np.zeros(len(genres), np.int32), genres)
    info = describe(np.array([0, 1], np.int16), seen, catalog)
    # the oracle: each genre's lift worked out from the counts above
    total = {g: views[0][g] + views[1][g] for g in "ABC"}
    for s in (0, 1):
        lifts = {g: (views[s][g] / sum(views[s].values())) / (total[g] / sum(total.values()))
                 for g in "ABC"}
        want = [g for g, x in sorted(lifts.items(), key=lambda kv: -kv[1]) if round(x, 3) > 1]
        assert [t["genre"] for t in info[s]["top_genres"]] == want
        assert all(t["lift"] > 1 for t in info[s]["top_genres"])
        assert bool(want) == (more > 1)


@pytest.mark.parametrize("niche", [3, 6])  # 3% and 6% of segment 0's views
def test_a_genre_under_the_least_share_of_a_segment_is_no_top_genre(niche: int) -> None:
    """A genre the segment barely watches (under ``MIN_GENRE_SHARE`` of its genre views)
    names it not, however high its lift: segment 0 watches ``niche`` films of genre N, which
    nobody else watches (lift 2), beside D and C; the oracle works the lifts out by hand."""
    from recommender.model.segments import MIN_GENRE_SHARE

    views = {0: {"D": 60, "C": 40 - niche, "N": niche}, 1: {"D": 40, "C": 60, "N": 0}}
    genres = np.array(["D"] * 100 + ["C"] * 100 + ["N"] * 10)
    first = {"D": 0, "C": 100, "N": 200}
    rows: list[int] = []
    cols: list[int] = []
    for user, counts in views.items():
        for g, c in counts.items():
            rows += [user] * c
            cols += range(first[g], first[g] + c)
    seen = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(2, len(genres)))
    ids = np.arange(len(genres)).astype(str)
    catalog = Catalog(ids, ids.copy(), np.zeros(len(genres), np.int32), genres)
    top = [t["genre"] for t in describe(np.array([0, 1], np.int16), seen, catalog)[0]
           ["top_genres"]]
    total = {g: views[0][g] + views[1][g] for g in "DCN"}
    lift = {g: (views[0][g] / 100) / (total[g] / 200) for g in "DCN"}
    assert lift["N"] == 2.0 and lift["D"] == 1.2 and lift["C"] < 1
    want = [g for g in ("N", "D") if views[0][g] / 100 >= MIN_GENRE_SHARE]
    assert top == want == (["N", "D"] if niche == 6 else ["D"])
