"""The Spark planner ranks users on a float32 rounding boundary as the local planner does.

The model is built so that some users' dot products with the first film are exactly a
float32 midpoint (``1 + 2**-11 + 2**-24``, ties to even round it down) plus a term of
``2**-52`` that survives in float64 only when it is not added beside a product of 4 before
the -4 cancels it: whether it survives (and the sum rounds up) depends on the summation
order. Partners score the two float32 values either side, and more boundary users go one
way than the other, so the tie runs change size too. A numpy search keeps
the users whose float64 BLAS product (in every shape tried), rounded straight to float32,
differs from ``ranking.exact_dots`` (numpy's order, the audience's settled score). The Spark
planner rounded the BLAS product on its executors and on its driver (the table of p by rank),
so such users took another rank, and a p their tie run shares, than the local planner gave.

Oracles: ``exact_dots`` with a user-by-user rank (higher scores, then equal scores of lower
index) and each user's p as the mean of ``p_at`` over the ranks of its run of equal scores;
and the local planner (``plan_slate``) on the same slate."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import synthetic_model

from recommender.campaigns.plan import plan_slate
from recommender.campaigns.slate import SlateFilm
from recommender.kernels.ranking import exact_dots
from recommender.model import calibration
from recommender.model.model import Model

pytestmark = pytest.mark.spark

K = 16  # factors: numpy sums 8 or more products with 8 interleaved partial sums
BIG, TINY = 4.0, 2.0**-52  # TINY is lost beside BIG (its float64 spacing is 2**-50)
BASE, HALF = 1.0 + 2.0**-11, 2.0**-24  # BASE + HALF: a float32 midpoint, rounded down
N_UP, N_DOWN = 6, 4  # boundary users each way: tie runs of other sizes when rounded plainly
N_BOUNDARY = N_UP + N_DOWN
N_PLAIN = 30


def blas_roundings(rows: np.ndarray, films: np.ndarray) -> list[np.ndarray]:
    """Film 0's float64 BLAS products of ``rows`` rounded to float32, in the shapes an
    executor's block or the driver may take: the whole matrix against the slate, every
    block of 1 to 8 rows against it, and one film's matrix-vector product."""
    r64, f64 = rows.astype(np.float64), films.astype(np.float64)
    out = [(r64 @ f64.T)[:, 0], r64 @ f64[0]]
    for size in range(1, 9):
        out.append(np.concatenate([(r64[s:s + size] @ f64.T)[:, 0]
                                   for s in range(0, len(r64), size)]))
    return [o.astype(np.float32) for o in out]


def boundary_rows(films: np.ndarray) -> np.ndarray:
    """Users of BIG, -BIG, TINY, BASE and HALF placed at random among the factors, kept where
    every BLAS rounding differs from ``exact_dots`` (found by search, numpy only): ``N_UP``
    where numpy's order keeps TINY (above the midpoint) and the BLAS order loses it,
    ``N_DOWN`` the other way round."""
    rng = np.random.default_rng(11)
    cand = np.zeros((4000, K), np.float32)
    for row in cand:  # a placement per candidate: 4,000 rows of 16 factors
        row[rng.permutation(K)[:5]] = [BIG, -BIG, TINY, BASE, HALF]
    exact = exact_dots(cand, np.arange(len(cand)), films[0])
    differs = np.ones(len(cand), bool)
    for plain in blas_roundings(cand, films):
        differs &= plain != exact
    above = exact > np.float32(BASE)
    up, down = cand[differs & above], cand[differs & ~above]
    assert len(up) >= N_UP and len(down) >= N_DOWN
    return np.concatenate([up[:N_UP], down[:N_DOWN]])


@pytest.fixture(scope="module")
def model() -> Model:
    rng = np.random.default_rng(7)
    films = np.stack([np.ones(K), rng.normal(size=K)]).astype(np.float32)
    # plain users, few bits each (every partial sum exact): film 0 scores below the
    # near ties, film 1 scores spread by the two middle factors, which cancel for film 0
    plain = np.zeros((N_PLAIN, K), np.float32)
    plain[:, K - 1] = np.round(np.linspace(-1.0, 0.9, N_PLAIN) * 1024) / 1024
    spread = np.round(rng.normal(size=N_PLAIN) * 8) / 8
    plain[:, 7], plain[:, 8] = spread, -spread
    # partners scoring exactly the two float32 values around the midpoint
    plain[:3] = 0.0
    plain[0, 0], plain[1, 0] = np.float32(BASE), np.float32(BASE + 2.0**-23)
    plain[2, 0], plain[2, 1] = np.float32(BASE), np.float32(2.0**-23)
    bound = boundary_rows(films)
    uf = np.concatenate([bound[:4], plain[:3], bound[4:], plain[3:]])
    n = len(uf)
    base = synthetic_model(n_users=n, n_films=2, factors=K, density=0.0, seed=3)
    # one plain viewer per film
    seen = sp.csr_matrix((np.ones(2, np.float32), ([n - 1, n - 2], [0, 1])), shape=(n, 2))
    return replace(base, user_factors=uf, film_factors=films, seen=seen,
                   seen_by_film=seen.T.tocsr(), _user_norms=None, _max_user_norm=None,
                   _film_norms=None, _max_film_norm=None)


def oracle(model: Model, film: int) -> tuple[np.ndarray, np.ndarray]:
    """Each candidate's rank and p for ``film`` from ``exact_dots``, user by user."""
    scores = exact_dots(model.user_factors, np.arange(model.n_users), model.film_factors[film])
    cand = np.setdiff1d(np.arange(model.n_users), model.film_viewers(film))
    rank, p = np.zeros(model.n_users, np.int64), np.zeros(model.n_users)
    for u in cand.tolist():
        higher = int((scores[cand] > scores[u]).sum())
        equal = scores[cand] == scores[u]
        rank[u] = higher + int((equal & (cand < u)).sum()) + 1
        spans = np.arange(higher, higher + int(equal.sum())) / len(cand)
        p[u] = calibration.p_at(model.calibration, film, spans).mean()
    return rank, p


def rows_of(plan: Any, model: Model, film_id: str) -> dict[int, tuple[int, float]]:
    t = plan.rows
    films = [str(f) for f in t.column("film_id").to_pylist()]
    users = model.users.to_index([str(u) for u in t.column("user_id").to_pylist()],
                                 strict=True).tolist()
    ranks, ps = t.column("rank").to_pylist(), t.column("p").to_pylist()
    return {u: (int(r), float(p)) for f, u, r, p in zip(films, users, ranks, ps, strict=True)
            if f == film_id}


def test_the_boundary_users_round_apart(model: Model) -> None:
    """The premise: rounding the float64 product straight to float32 ranks the boundary
    users otherwise than ``exact_dots``, with another p."""
    plain = blas_roundings(model.user_factors, model.film_factors)[0]
    exact = exact_dots(model.user_factors, np.arange(model.n_users), model.film_factors[0])
    boundary = np.flatnonzero(plain != exact)
    assert len(boundary) == N_BOUNDARY
    rank, p = oracle(model, 0)
    cand = np.setdiff1d(np.arange(model.n_users), model.film_viewers(0))
    plain_rank = np.zeros(model.n_users, np.int64)
    plain_rank[cand[np.lexsort((cand, -plain[cand]))]] = np.arange(1, len(cand) + 1)
    assert (plain_rank[boundary] != rank[boundary]).any()
    plain_table = calibration.p_in_order(model.calibration, 0, -np.sort(-plain[cand]))
    assert (plain_table[plain_rank[boundary] - 1] != p[boundary]).any()
    # the table of p by rank alone (the driver's) differs too: the tie runs change size
    exact_table = calibration.p_in_order(model.calibration, 0, -np.sort(-exact[cand]))
    assert not np.allclose(plain_table, exact_table, rtol=1e-9, atol=0.0)


def test_spark_plan_ranks_boundary_users_as_the_local_planner(model: Model, spark: Any
                                                               ) -> None:
    from recommender.campaigns.spark_plan import plan_slate_spark

    ids = [str(i) for i in model.films.ids]
    slate = [SlateFilm(ids[0], model.n_users), SlateFilm(ids[1], model.n_users, 0.5)]
    got = plan_slate_spark(model, slate, cap=2, holdout=0.2, waves=2, seed=5, spark=spark,
                           progress=False)
    want = plan_slate(model, slate, cap=2, holdout=0.2, waves=2, seed=5, progress=False)
    plain = blas_roundings(model.user_factors, model.film_factors)[0]
    exact = exact_dots(model.user_factors, np.arange(model.n_users), model.film_factors[0])
    boundary = np.flatnonzero(plain != exact).tolist()
    rank, p = oracle(model, 0)
    spark_rows, local_rows = rows_of(got, model, ids[0]), rows_of(want, model, ids[0])
    assert set(boundary) <= set(spark_rows) and set(boundary) <= set(local_rows)
    for u in boundary:  # bit for bit the local planner's; the oracle's mean to rounding
        assert spark_rows[u] == local_rows[u]
        assert spark_rows[u][0] == rank[u]
        assert spark_rows[u][1] == pytest.approx(p[u], rel=1e-12, abs=0.0)
    # every other row of either film too: the same rank and p as the local planner's
    for film_id in ids:
        mine, theirs = rows_of(got, model, film_id), rows_of(want, model, film_id)
        assert {u: mine[u] for u in set(mine) & set(theirs)} == \
            {u: theirs[u] for u in set(mine) & set(theirs)}
