"""The store-scope cap's count reads plan rows off migration 11's index (user, film, plan,
wave), given to an old store once, which drops step 9's index by user alone (a prefix of it).

Oracle of the count: each user's distinct films over the stored rows, counted here in Python,
leaving out a withdrawn plan's unsent waves (its rows' waves against its ``sent_waves``) and
the plans skipped; the plans counted are those with a row left."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa
from helpers import synthetic_model

from recommender.campaigns import store as store_mod
from recommender.campaigns.cap_scope import films_elsewhere
from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.store import CampaignStore, open_store, plan_rows
from recommender.campaigns.store_tables import COUNT_INDEX, USER_ONLY_INDEX
from recommender.campaigns.withdraw import withdraw
from recommender.model.model import Model


def rows_of(plan_id: str, rows: list[tuple[str, str, int]]) -> pa.Table:
    """Plan rows of (film, user, wave) triples."""
    n = len(rows)
    return pa.Table.from_arrays([
        pa.array([plan_id] * n, pa.string()), pa.array([f for f, _, _ in rows], pa.string()),
        pa.array([u for _, u, _ in rows], pa.string()),
        pa.array([w for _, _, w in rows], pa.int16()),
        pa.array(["control" if i % 4 == 0 else "target" for i in range(n)], pa.string()),
        pa.array(range(1, n + 1), pa.int32()), pa.array([0.5] * n, pa.float64()),
        pa.array([0.25] * n, pa.float64())], schema=PLAN_SCHEMA)


def indexes(store: CampaignStore) -> dict[str, list[str]]:
    return {str(ix["name"]): list(ix["column_names"])
            for ix in sa.inspect(store.engine).get_indexes(plan_rows.name)}


def stored(model: Model, seed: int) -> dict[str, list[tuple[str, str, int]]]:
    """Four plans of random (film, user, wave) rows, a pair repeated within and across plans;
    a user id the model does not know among them."""
    rng = random.Random(seed)
    users = [str(u) for u in model.users.ids[:40]] + ["not-in-the-model"]
    films = [str(f) for f in model.films.ids[:8]]
    return {f"p{k}": [(rng.choice(films), rng.choice(users), rng.randint(1, 3))
                      for _ in range(120)] for k in range(4)}


def oracle(model: Model, plans: dict[str, list[tuple[str, str, int]]], sent: dict[str, int],
           skip: set[str]) -> tuple[list[int], int]:
    pairs: set[tuple[str, str]] = set()
    live = set()
    for plan_id, rows in plans.items():
        for film, user, wave in rows:
            if plan_id not in skip and wave <= sent.get(plan_id, 99):
                pairs.add((user, film))
                live.add(plan_id)
    per_user: dict[str, int] = {}
    for user, _ in pairs:
        per_user[user] = per_user.get(user, 0) + 1
    return [per_user.get(str(u), 0) for u in model.users.ids], len(live)


@pytest.mark.parametrize("seed", range(3))
def test_an_old_store_gets_the_count_index_once_and_counts_as_before(
        store_target: str, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    model = synthetic_model(n_users=60, n_films=10, seed=seed)
    plans = stored(model, seed)
    monkeypatch.setattr(store_mod, "MIGRATIONS", store_mod.MIGRATIONS[:10])
    old = open_store(store_target)  # as the engine before migration 11 made it
    try:
        for plan_id, rows in plans.items():
            old.save_plan(plan_id, {"created": plan_id, "model_version": "m",
                                    "parameters": {"waves": 3}}, rows_of(plan_id, rows))
        assert old.version() == 10
        assert COUNT_INDEX not in indexes(old) and USER_ONLY_INDEX in indexes(old)
        before = films_elsewhere(model, old)
    finally:
        old.close()
    monkeypatch.undo()
    for _ in range(2):  # migrated once; opened again, nothing more
        st = open_store(store_target)
        try:
            latest = store_mod.MIGRATIONS[-1][0]
            assert st.version() == latest >= 11
            found = indexes(st)
            assert found[COUNT_INDEX] == ["user_id", "film_id", "plan_id", "wave"]
            assert USER_ONLY_INDEX not in found
            with st.engine.connect() as conn:
                assert conn.execute(sa.select(store_mod.schema_version.c.version).order_by(
                    store_mod.schema_version.c.version)).scalars().all() == list(
                    range(1, latest + 1))
        finally:
            st.close()
    st = open_store(store_target)
    try:
        used, n = films_elsewhere(model, st)
        assert (used.tolist(), n) == oracle(model, plans, {}, set())
        assert used.tolist() == before[0].tolist() and n == before[1]  # as step 10 counted
        withdraw(st, "p1", 1)  # its waves 2 and 3 never went out
        withdraw(st, "p2", 0)  # none of its waves went out
        used, n = films_elsewhere(model, st, skip=["p3"])
        assert (used.tolist(), n) == oracle(model, plans, {"p1": 1, "p2": 0}, {"p3"})
        used, n = films_elsewhere(model, st, skip=["p0", "p1", "p3"])
        assert (used.tolist(), n) == ([0] * model.n_users, 0)  # p2 counts nothing
    finally:
        st.close()


def test_sqlite_counts_off_the_index_alone(tmp_path: Path) -> None:
    """Every column the count reads is in the index: SQLite reads no row of the table."""
    model = synthetic_model(n_users=60, n_films=10, seed=1)
    st = open_store(str(tmp_path / "store.db"))
    seen: list[str] = []

    def explain(_conn: object, cursor: object, statement: str, parameters: object,
                *_: object) -> None:
        if statement.startswith("SELECT") and "count(DISTINCT campaign_plan_rows.film_id)" \
                in statement:
            seen.extend(str(r[-1]) for r in cursor.connection.execute(  # type: ignore[attr-defined]
                "EXPLAIN QUERY PLAN " + statement, parameters))

    try:
        for plan_id, rows in stored(model, 1).items():
            st.save_plan(plan_id, {"created": plan_id, "model_version": "m"},
                         rows_of(plan_id, rows))
        sa.event.listen(st.engine, "before_cursor_execute", explain)
        films_elsewhere(model, st)
    finally:
        st.close()
    assert any(f"COVERING INDEX {COUNT_INDEX}" in p for p in seen), seen
    assert not any("TEMP B-TREE" in p for p in seen), seen
