"""A plan's ``held_out_elsewhere`` (the pairs other stored plans select, left out of it) counts
the rows the store-scope cap counts: not the waves a next wave re-planned (never sent from
their plan), as ``cap_scope.live_rows_of`` leaves them out; the check under the writers' lock
(``clashing_rows``) reads the same rows.

Oracle: the store's tables read back with pandas (``pd.read_sql``: plan rows, plan links,
withdrawals), the rule applied there by hand, as tests/campaigns/test_cap_scope_replanned.py
applies it: a plan's rows count up to its withdrawal's ``sent_waves`` and up to the most
``sent_waves`` of its next waves but those withdrawn with 0 sent; then the distinct (film, user)
pairs of the slate's films. Each test asserts that the old rule (every wave of a re-planned plan
counted) reads another count, so that it tells the two apart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pytest
from helpers import synthetic_model

from recommender.campaigns.controls import clashing_rows, plan_beside
from recommender.campaigns.next_wave import plan_next_wave
from recommender.campaigns.plan import Plan
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import CampaignStore, open_store
from recommender.campaigns.wave_sends import record_wave_sent
from recommender.campaigns.withdraw import withdraw
from recommender.model.model import Model


@pytest.fixture(scope="module")
def model() -> Model:
    return synthetic_model(n_users=300, n_films=10, seed=4)


def held_rows(store: CampaignStore, films: list[str], replanned: bool = True) -> pd.DataFrame:
    """The stored rows of ``films`` another plan leaves out, by the rule applied here
    (``replanned`` False: the old rule, a re-planned plan's every wave counted)."""
    with store.engine.connect() as conn:
        rows = pd.read_sql("SELECT plan_id, film_id, user_id, wave FROM campaign_plan_rows",
                           conn)
        links = pd.read_sql("SELECT plan_id, previous_plan_id, sent_waves FROM "
                            "campaign_plan_links", conn)
        gone = pd.read_sql("SELECT plan_id, sent_waves FROM campaign_plan_withdrawals", conn)
    last = dict(zip(gone["plan_id"], gone["sent_waves"], strict=True))
    unsent = {p for p, n in last.items() if n == 0}
    cut = links[~links["plan_id"].isin(unsent)].groupby("previous_plan_id")["sent_waves"] \
        .max().to_dict()
    limit = rows["plan_id"].map(last).fillna(np.inf)
    if replanned:
        limit = np.minimum(limit, rows["plan_id"].map(cut).fillna(np.inf))
    return rows[(rows["wave"] <= limit) & rows["film_id"].isin(films)]


def pairs_of(rows: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(rows["film_id"], rows["user_id"], strict=True))


def campaign(model: Model, store: CampaignStore, films: list[str]) -> tuple[Plan, Plan]:
    """Plan A (3 waves of ``films``, wave 1 recorded sent) and its next wave B after 1 sent
    wave, re-planning A's waves 2 and 3; B leaves out (as opted out) some users of A's waves
    2-3, whose pairs then stay only in A's re-planned waves."""
    a = plan_beside(model, [SlateFilm(f, 60) for f in films], store, cap=1, waves=3)
    store.save_plan(a.plan_id, a.summary, a.rows)
    record_wave_sent(store, a.plan_id, 1)
    later = a.rows.filter(pc.greater(a.rows.column("wave"), 1))
    dropped = sorted(set(later.column("user_id").to_pylist()))[::3]
    b = plan_next_wave(model, store, a.plan_id, sent_waves=1, exclude=dropped)
    return a, b


def test_a_re_planned_plans_unsent_waves_are_not_held_out(model: Model,
                                                         store_target: str) -> None:
    films = [str(f) for f in model.films.ids][:3]
    store = open_store(store_target)  # SQLite and PostgreSQL
    a, b = campaign(model, store, films)
    held = pairs_of(held_rows(store, films))
    old = pairs_of(held_rows(store, films, replanned=False))
    freed = old - held  # pairs of A's waves 2-3 alone
    assert freed and held < old
    c = plan_beside(model, [SlateFilm(f, 150) for f in films], store, cap=1)
    info = c.summary["held_out_elsewhere"]
    assert info["pairs"] == len(held) != len(old)
    assert info["plans_count"] == held_rows(store, films)["plan_id"].nunique() == 2
    assert sorted(info["plans"]) == sorted([a.plan_id, b.plan_id])
    mine = set(zip(c.rows.column("film_id").to_pylist(), c.rows.column("user_id").to_pylist(),
                   strict=True))
    assert not mine & held
    assert mine & freed  # planned again: never contacted nor held out by A
    with store.engine.begin() as conn:  # the check under the lock reads the same rows
        assert clashing_rows(conn, store.dialect, freed) == []
        some = sorted(held)[:5]
        assert {(f, u) for f, u, _ in clashing_rows(conn, store.dialect, set(some))} \
            == set(some)
    store.save_plan(c.plan_id, c.summary, c.rows)  # not refused for the freed pairs
    store.close()


def test_a_next_wave_withdrawn_unsent_holds_the_plan_out_again(model: Model,
                                                               store_target: str) -> None:
    """A next wave withdrawn before any send re-plans nothing: A's every wave is held out
    again (and B's pairs, withdrawn unsent, none)."""
    films = [str(f) for f in model.films.ids][:3]
    store = open_store(store_target)
    a, b = campaign(model, store, films)
    before = pairs_of(held_rows(store, films))
    withdraw(store, b.plan_id, 0)
    held = pairs_of(held_rows(store, films))
    assert held != before
    assert held == set(zip(a.rows.column("film_id").to_pylist(),
                           a.rows.column("user_id").to_pylist(), strict=True))
    c = plan_beside(model, [SlateFilm(f, 150) for f in films], store, cap=1)
    assert c.summary["held_out_elsewhere"]["pairs"] == len(held)
    assert c.summary["held_out_elsewhere"]["plans"] == [a.plan_id]
    store.close()
