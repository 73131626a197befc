"""The store-scope cap does not count the waves a next wave re-planned: they never go out from
their plan (its sends of them are refused), the next wave's rows count instead.

Oracle: the store's tables read back with pandas (``pd.read_sql``: plan rows, plan links,
withdrawals), the rule applied there by hand: a plan's rows count up to its withdrawal's
``sent_waves`` and up to the most ``sent_waves`` of its next waves but those withdrawn with 0
sent; then each user's distinct films. The plan of store scope is compared with the plan
made by ``plan_slate`` under the per-user caps those counts leave, and each test asserts that
the old rule (every wave of a re-planned plan counted) reads a different count, so that it
tells the two apart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from helpers import synthetic_model

from recommender.campaigns.cap_scope import films_elsewhere, refuse_over_cap
from recommender.campaigns.controls import plan_beside
from recommender.campaigns.next_wave import plan_next_wave
from recommender.campaigns.plan import Plan, plan_slate
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import CampaignStore, open_store
from recommender.campaigns.wave_sends import record_wave_sent
from recommender.campaigns.withdraw import withdraw
from recommender.errors import PlansClashError
from recommender.model.model import Model

KEPT = ["film_id", "user_id", "wave", "group", "rank", "p", "expected_value"]


@pytest.fixture(scope="module")
def model() -> Model:
    return synthetic_model(n_users=300, n_films=10, seed=4)


def counted_rows(store: CampaignStore, skip: frozenset[str] | set[str] = frozenset(),
                 replanned: bool = True) -> pd.DataFrame:
    """The stored rows that count against a store-scope cap, by the rule applied here
    (``replanned`` False: the old rule, a re-planned plan's every wave counted)."""
    with store.engine.connect() as conn:
        rows = pd.read_sql("SELECT plan_id, film_id, user_id, wave FROM campaign_plan_rows",
                           conn)
        links = pd.read_sql("SELECT plan_id, previous_plan_id, sent_waves FROM "
                            "campaign_plan_links", conn)
        gone = pd.read_sql("SELECT plan_id, sent_waves FROM campaign_plan_withdrawals", conn)
    last = dict(zip(gone["plan_id"], gone["sent_waves"], strict=True))
    unsent = {p for p, n in last.items() if n == 0}
    live_links = links[~links["plan_id"].isin(unsent)]
    cut = live_links.groupby("previous_plan_id")["sent_waves"].max().to_dict()
    limit = rows["plan_id"].map(last).fillna(np.inf)
    if replanned:
        limit = np.minimum(limit, rows["plan_id"].map(cut).fillna(np.inf))
    keep = (rows["wave"] <= limit) & ~rows["plan_id"].isin(skip)
    return rows[keep]


def used_by(model: Model, rows: pd.DataFrame) -> np.ndarray:
    """Each model user's distinct films among ``rows``."""
    per_user = rows.drop_duplicates(["user_id", "film_id"]).groupby("user_id").size()
    return np.array([int(per_user.get(str(u), 0)) for u in model.users.ids], np.int64)


def frame(plan: Plan) -> pd.DataFrame:
    return plan.rows.to_pandas()[KEPT].reset_index(drop=True)


def campaign(model: Model, store: CampaignStore, films: list[str]) -> tuple[Plan, Plan]:
    """Plan A (3 waves of ``films``, wave 1 recorded sent) and its next wave B after 1 sent
    wave, re-planning A's waves 2 and 3; B leaves out (as opted out) some users of A's waves
    2-3, who then stay only in A's re-planned waves."""
    a = plan_beside(model, [SlateFilm(f, 60) for f in films], store, cap=1, waves=3)
    store.save_plan(a.plan_id, a.summary, a.rows)
    record_wave_sent(store, a.plan_id, 1)
    later = a.rows.filter(pc.greater(a.rows.column("wave"), 1))
    dropped = sorted(set(later.column("user_id").to_pylist()))[::3]
    b = plan_next_wave(model, store, a.plan_id, sent_waves=1, exclude=dropped)
    return a, b


@pytest.mark.parametrize("cap", [1, 2])
def test_a_re_planned_plans_unsent_waves_do_not_count(model: Model, store_target: str,
                                                      cap: int) -> None:
    films = [str(f) for f in model.films.ids]
    store = open_store(store_target)  # SQLite and PostgreSQL
    a, b = campaign(model, store, films[:3])
    if cap == 2:  # a second plan of other films, so that some users have part of a cap left
        d = plan_beside(model, [SlateFilm(f, 40) for f in films[3:5]], store, cap=1, waves=1)
        store.save_plan(d.plan_id, d.summary, d.rows)
    used = used_by(model, counted_rows(store))
    old = used_by(model, counted_rows(store, replanned=False))
    only_replanned = set(a.rows.filter(pc.greater(a.rows.column("wave"), 1))
                         .column("user_id").to_pylist()) - set(
        a.rows.filter(pc.equal(a.rows.column("wave"), 1)).column("user_id")
        .to_pylist()) - set(b.rows.column("user_id").to_pylist())
    assert only_replanned  # users of A's waves 2-3 alone: the oracle's rule tells them apart
    assert (old >= used).all() and (old > used).sum() >= len(only_replanned)
    got, plans = films_elsewhere(model, store)
    assert got.tolist() == used.tolist()
    assert plans == (3 if cap == 2 else 2)  # A (its sent wave) and B, and D
    slate = [SlateFilm(f, 80) for f in films[5:8]]
    c = plan_beside(model, slate, store, cap=cap, cap_scope="store")
    info = c.summary["cap_scope"]
    assert info["users_excluded"] == int((used >= cap).sum())
    assert info["users_limited"] == int(((used > 0) & (used < cap)).sum())
    assert info["users_excluded"] < int((old >= cap).sum())  # the old count excluded more
    # the plan is the exact allocation under the caps the oracle's counts leave
    want = plan_slate(model, slate, cap=cap, user_caps=np.maximum(cap - used, 0),
                      cap_scope="store")
    pd.testing.assert_frame_equal(frame(c), frame(want))
    assert set(c.rows.column("user_id").to_pylist()) & only_replanned  # planned again
    mine = used_by(model, c.rows.to_pandas())
    assert (mine + used <= cap).all()
    store.save_plan(c.plan_id, c.summary, c.rows)  # the check under the lock agrees
    store.close()


def test_the_chain_of_next_waves_and_their_withdrawals(model: Model, store_target: str) -> None:
    films = [str(f) for f in model.films.ids]
    store = open_store(store_target)
    a, b = campaign(model, store, films[:3])
    record_wave_sent(store, b.plan_id, 1)
    e = plan_next_wave(model, store, b.plan_id, sent_waves=1)  # a next wave of the next wave
    for skip in (set(), {a.plan_id, b.plan_id}):
        got, _ = films_elsewhere(model, store, sorted(skip))
        assert got.tolist() == used_by(model, counted_rows(store, skip)).tolist()
    assert (used_by(model, counted_rows(store, replanned=False))
            > used_by(model, counted_rows(store))).any()
    # the last next wave withdrawn after its first wave: its later waves count no more, and
    # the plans it and B re-planned stay cut (their waves were never sent from them)
    withdraw(store, e.plan_id, 1)
    got, _ = films_elsewhere(model, store)
    assert got.tolist() == used_by(model, counted_rows(store)).tolist()
    store.close()


def test_a_next_wave_withdrawn_unsent_re_plans_nothing(model: Model, store_target: str) -> None:
    films = [str(f) for f in model.films.ids]
    store = open_store(store_target)
    a, b = campaign(model, store, films[:3])
    before, _ = films_elsewhere(model, store)
    withdraw(store, b.plan_id, 0)  # never sent: A is its own campaign again
    got, plans = films_elsewhere(model, store)
    assert got.tolist() == used_by(model, counted_rows(store)).tolist()
    assert got.tolist() == used_by(model, a.rows.to_pandas()).tolist() and plans == 1
    assert got.tolist() != before.tolist()
    store.close()


def test_a_next_wave_planned_beside_one_counts_neither(model: Model,
                                                       store_target: str) -> None:
    """A second next wave of A skips A's chain and B (an alternative to it), as before."""
    films = [str(f) for f in model.films.ids]
    store = open_store(store_target)
    a = plan_beside(model, [SlateFilm(f, 60) for f in films[:3]], store, cap=1, waves=3,
                    cap_scope="store")
    store.save_plan(a.plan_id, a.summary, a.rows)
    record_wave_sent(store, a.plan_id, 1)
    other = plan_beside(model, [SlateFilm(f, 40) for f in films[3:5]], store, cap=1, waves=1)
    store.save_plan(other.plan_id, other.summary, other.rows)
    plan_next_wave(model, store, a.plan_id, sent_waves=1)
    again = plan_next_wave(model, store, a.plan_id, sent_waves=1, seed=2)
    info = again.summary["cap_scope"]
    assert info["plans"] == 1  # the other plan only
    sent = set(a.rows.filter(pc.equal(a.rows.column("wave"), 1)).column("user_id")
               .to_pylist())  # at the cap already in the chain: not counted as excluded
    assert info["users_excluded"] == len(set(other.rows.column("user_id").to_pylist()) - sent)
    store.close()


def test_the_check_under_the_lock_counts_by_the_same_rule(model: Model,
                                                          store_target: str) -> None:
    """Rows selecting a user of A's re-planned waves alone pass the check; a user of B's
    rows is refused."""
    films = [str(f) for f in model.films.ids]
    store = open_store(store_target)
    a, b = campaign(model, store, films[:3])
    counted = set(counted_rows(store)["user_id"])
    free = sorted(set(a.rows.column("user_id").to_pylist()) - counted)
    assert free
    summary = {"parameters": {"cap_scope": "store", "cap": 1}}

    def rows_for(users: list[str]) -> pa.Table:
        want = plan_slate(model, [SlateFilm(films[6], 1)], cap=1).rows.slice(0, 1)
        return want.set_column(want.schema.get_field_index("user_id"), "user_id",
                               pa.array(users, pa.string()))

    with store.engine.begin() as conn:
        refuse_over_cap(conn, rows_for(free[:1]), summary)
        taken = sorted(set(b.rows.column("user_id").to_pylist()))[0]
        with pytest.raises(PlansClashError, match="select 1 of its users"):
            refuse_over_cap(conn, rows_for([taken]), summary)
    store.close()
