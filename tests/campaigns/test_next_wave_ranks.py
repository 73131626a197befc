"""A next wave keeps the film's ranking: a contact is not a watch.

The sent pairs were planned as if seen, so every unsent candidate moved up by the number of
users sent before it and got the p of that better rank: with nothing new known, the user
after a first wave of 100 went from rank 101 to rank 1 and its p nearly tripled, and the
next wave's expected conversions grew by 80%."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
from helpers import synthetic_model

from recommender.campaigns.next_wave import plan_next_wave
from recommender.campaigns.plan import plan_slate
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import open_store


def test_unsent_users_keep_their_rank_and_p(tmp_path: Path) -> None:
    m = synthetic_model(n_users=600, n_films=6, seed=3)
    store = open_store(str(tmp_path / "s.db"))
    slate = [SlateFilm(str(m.films.ids[0]), 90), SlateFilm(str(m.films.ids[1]), 60, 2.0)]
    first = plan_slate(m, slate, cap=2, holdout=0.1, waves=3, seed=1)
    store.save_plan(first.plan_id, first.summary, first.rows)
    nxt = plan_next_wave(m, store, first.plan_id, sent_waves=1)
    before = {(f, u): (r, p) for f, u, r, p in zip(
        *(first.rows.column(c).to_pylist() for c in ("film_id", "user_id", "rank", "p")),
        strict=True)}
    sent = first.rows.filter(pc.equal(first.rows.column("wave"), 1))
    sent_pairs = set(zip(sent.column("film_id").to_pylist(), sent.column("user_id").to_pylist(),
                         strict=True))
    again = 0
    for f, u, r, p in zip(*(nxt.rows.column(c).to_pylist()
                            for c in ("film_id", "user_id", "rank", "p")), strict=True):
        assert (f, u) not in sent_pairs
        if (f, u) in before:
            again += 1
            assert (r, p) == before[(f, u)], (f, u, r, p, before[(f, u)])
    assert again > 0
