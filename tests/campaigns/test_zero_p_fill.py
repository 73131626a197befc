"""Users of ``p`` 0 fill the budgets the users of positive ``p`` leave, in every slate: the
solve alone left them out or not by chance (a lone film filled its budget in rank order, three
films under cap 1 stopped at their users of positive ``p`` with half the users free)."""

from __future__ import annotations

import numpy as np
from helpers import synthetic_model
from test_campaign_allocation import milp_optimum

from recommender.campaigns.plan import plan_slate
from recommender.campaigns.probabilities import slate_candidates
from recommender.campaigns.slate import SlateFilm


def test_budgets_fill_with_users_of_p_0_when_users_are_free() -> None:
    m = synthetic_model(n_users=120, n_films=10, seed=2)  # p is 0 past ~22% of the ranks
    slate = [SlateFilm(str(m.films.ids[i]), 40) for i in range(3)]
    plan = plan_slate(m, slate, cap=1, holdout=0.0, waves=1, progress=False)
    rows = plan.rows.to_pydict()
    film_pos = {s.film_id: i for i, s in enumerate(slate)}
    fp = np.array([film_pos[f] for f in rows["film_id"]], np.int64)
    ui = np.asarray(m.users.to_index(rows["user_id"]), np.int64)
    cands = slate_candidates(m, m.films.to_index([s.film_id for s in slate]), progress=False)
    per_user = np.bincount(ui, minlength=m.n_users)
    assert per_user.max() <= 1
    for i in range(len(slate)):
        mine = fp == i
        assert mine.sum() <= 40
        # no budget left unspent while an eligible user of the film is free
        free = ~np.isnan(cands.p[i]) & (per_user == 0)
        assert mine.sum() == 40 or not free.any(), (i, int(mine.sum()), int(free.sum()))
        # the film's users of p 0 are its best-ranked ones among those left
        zero = ui[mine & (np.asarray(rows["p"]) == 0.0)]
        if len(zero):
            worst = cands.rank[i, zero].max()
            assert not (free & (cands.p[i] == 0) & (cands.rank[i] < worst)).any()
    assert (np.asarray(rows["p"]) == 0.0).any()  # the case is exercised
    # and the plan stays optimal
    w = cands.p.copy()
    best = milp_optimum(w, np.full(3, 40), 1)
    assert abs(float(w[fp, ui].sum()) - best) <= 1e-9 * max(best, 1.0)
