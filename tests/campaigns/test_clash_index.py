"""The check of a plan against the plans stored meanwhile reads the new plan's pairs only: an
index of plan rows by (film, user) (migration 6, given to an old store once) and a join on it.

It read every stored row of the plan's films under the writers' lock (3 s for a plan of 20k
rows beside 1M rows of its film, while ``POST /events`` waited). The oracle of the join is
that full read (``selected_rows`` kept to the plan's pairs) and a plain Python filter of every
stored row, with the next-wave chain and its alternatives skipped as the links say."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa

from recommender.campaigns import store as store_mod
from recommender.campaigns.controls import (
    clashing_rows,
    held_out,
    refuse_held_out,
    selected_rows,
)
from recommender.campaigns.copy_store import copy_store
from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.store import PAIR_INDEX, CampaignStore, open_store, plan_rows
from recommender.campaigns.store_tables import COUNT_INDEX
from recommender.errors import PlansClashError

FILMS = ["f0", "f1", "0042", "42", "é"]
USERS = [f"u{i}" for i in range(30)] + ["0042", "42", "e\u0301", "é", " lead", "a,\"b\""]
CHECKED = {"held_out_elsewhere": {"left_out": True}}


def rows_of(pairs: list[tuple[str, str]], plan_id: str = "new") -> pa.Table:
    n = len(pairs)
    return pa.Table.from_arrays([
        pa.array([plan_id] * n, pa.string()), pa.array([f for f, _ in pairs], pa.string()),
        pa.array([u for _, u in pairs], pa.string()), pa.array([1] * n, pa.int16()),
        pa.array(["control" if i % 3 == 0 else "target" for i in range(n)], pa.string()),
        pa.array(range(1, n + 1), pa.int32()), pa.array([0.5] * n, pa.float64()),
        pa.array([0.25] * n, pa.float64())], schema=PLAN_SCHEMA)


def indexes(store: CampaignStore) -> set[str]:
    return {str(ix["name"]) for ix in sa.inspect(store.engine).get_indexes(plan_rows.name)}


def test_an_old_store_gets_the_pair_index_once_by_migration(
        store_target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_mod, "MIGRATIONS", store_mod.MIGRATIONS[:5])
    old = open_store(store_target)  # as the engine before migration 6 made it
    try:
        old.save_plan("old", {"created": "1", "model_version": "m"},
                      rows_of([("f0", "u1"), ("f0", "u2"), ("f1", "u1")], "old"))
        assert old.version() == 5 and PAIR_INDEX not in indexes(old)
    finally:
        old.close()
    monkeypatch.undo()
    for _ in range(2):  # migrated once; opened again, nothing more
        st = open_store(store_target)
        try:
            latest = store_mod.MIGRATIONS[-1][0]
            assert st.version() == latest >= 6
            assert PAIR_INDEX in indexes(st)
            with st.engine.connect() as conn:
                assert conn.execute(sa.select(store_mod.schema_version.c.version).order_by(
                    store_mod.schema_version.c.version)).scalars().all() == list(
                    range(1, latest + 1))
                index = next(ix for ix in sa.inspect(conn).get_indexes(plan_rows.name)
                             if ix["name"] == PAIR_INDEX)
                assert index["column_names"] == ["film_id", "user_id"]
        finally:
            st.close()
    st = open_store(store_target)
    try:  # the old plan's rows are checked on the index
        with pytest.raises(PlansClashError, match=r"plan old, .* selects 1 of its"):
            st.save_plan("new", {**CHECKED, "created": "2", "model_version": "m"},
                         rows_of([("f1", "u1"), ("f1", "u2")]))
        st.save_plan("new", {**CHECKED, "created": "2", "model_version": "m"},
                     rows_of([("f1", "u2"), ("f2", "u1")]))
    finally:
        st.close()


def test_sqlite_looks_the_plans_pairs_up_on_the_index(tmp_path: Path) -> None:
    """The join is driven by the new plan's pairs (SQLite without statistics chose to scan
    the stored rows unless told the order): its plan reads the stored rows by the index."""
    st = open_store(str(tmp_path / "store.db"))
    plans_seen: list[str] = []

    def explain(_conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "campaign_checked_pairs c" in statement and statement.startswith("SELECT"):
            plans_seen.extend(str(r[-1]) for r in cursor.connection.execute(
                "EXPLAIN QUERY PLAN " + statement, parameters))

    def explain_read(_conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("SELECT") and "campaign_plan_rows.film_id IN" in statement:
            read_seen.extend(str(r[-1]) for r in cursor.connection.execute(
                "EXPLAIN QUERY PLAN " + statement, parameters))

    read_seen: list[str] = []
    try:
        st.save_plan("a", {"created": "1", "model_version": "m"},
                     rows_of([(f, u) for f in FILMS for u in USERS], "a"))
        sa.event.listen(st.engine, "before_cursor_execute", explain)
        with pytest.raises(PlansClashError):
            st.save_plan("b", {**CHECKED, "created": "2", "model_version": "m"},
                         rows_of([("f0", "u3")], "b"))
        sa.event.listen(st.engine, "before_cursor_execute", explain_read)
        assert held_out(st, ["f0"])[2] == ["a"] * len(USERS)  # before planning: by film
    finally:
        st.close()
    # by an index on both ids: the pair index, or migration 11's (user, film, plan, wave)
    assert any(p.startswith("SEARCH r") and (PAIR_INDEX in p or COUNT_INDEX in p)
               and "film_id=?" in p and "user_id=?" in p for p in plans_seen), plans_seen
    assert not any(p.startswith("SCAN r") for p in plans_seen), plans_seen
    # the plan rows by the pair index; a withdrawal (withdraw.py) looked up by its plan
    rows_read = [p for p in read_seen if "campaign_plan_rows" in p]
    assert rows_read and all(PAIR_INDEX in p for p in rows_read), read_seen
    # (the next-wave links are read whole once, by their index, for the waves they re-planned:
    # the cap's rule, cap_scope.live_rows_of; never the plan rows nor the withdrawals)
    assert not any(p.startswith("SCAN") and "campaign_plan_links" not in p
                   for p in read_seen), read_seen


def descendants(links: dict[str, str], roots: set[str]) -> set[str]:
    """Every plan linked (as a next wave, any depth) below ``roots``, roots left out."""
    found: set[str] = set()
    while True:
        more = {p for p, prev in links.items() if (prev in roots or prev in found)} \
            - found - roots
        if not more:
            return found
        found |= more


def by_plan(row: tuple[str, str, str]) -> tuple[str, str, str]:
    return row[2], row[0], row[1]


def test_the_clash_check_finds_what_the_full_read_found(store_target: str) -> None:
    rng = random.Random(7)
    st = open_store(store_target)
    links: dict[str, str] = {}
    stored: list[tuple[str, str, str]] = []  # (film, user, plan) of every stored row
    try:
        for i in range(12):  # unchecked plans (no held_out_elsewhere): any overlap is stored
            plan_id = f"p{i:02d}"
            pairs = [(rng.choice(FILMS[:4]), rng.choice(USERS)) for _ in range(rng.randint(0, 40))]
            previous = rng.choice(sorted({p for _, _, p in stored} | set(links)) or [None])
            link = None if previous is None or rng.random() < 0.4 else {
                "previous_plan_id": previous, "sent_waves": 1, "events_seq": 0}
            st.save_plan(plan_id, {"created": str(i), "model_version": "m"},
                         rows_of(pairs, plan_id), link=link)
            if link is not None:
                links[plan_id] = previous
            stored += [(f, u, plan_id) for f, u in pairs]
        planned = sorted({p for _, _, p in stored} | set(links))
        for trial in range(40):
            pairs = [(rng.choice(FILMS), rng.choice(USERS)) for _ in range(rng.randint(0, 25))]
            previous = None if trial % 3 == 0 else rng.choice(planned)
            chain: list[str] = []
            while previous is not None and previous not in chain:
                chain.append(previous)
                previous = links.get(previous)
            skip = set(chain) | descendants(links, set(chain))
            mine = set(pairs)
            expected = sorted(((f, u, p) for f, u, p in stored
                               if (f, u) in mine and p not in skip), key=by_plan)
            link = {"previous_plan_id": chain[0]} if chain else None
            with st.engine.begin() as conn:
                full = sorted(((f, u, p) for f, u, p in selected_rows(
                    conn, sorted({f for f, _ in pairs}), sorted(skip)) if (f, u) in mine),
                              key=by_plan)
                assert clashing_rows(conn, st.dialect, mine, sorted(skip)) == full == expected
                if expected:
                    with pytest.raises(PlansClashError) as e:
                        refuse_held_out(conn, st.dialect, rows_of(pairs), CHECKED, link)
                    assert f"plan {expected[0][2]}, stored" in str(e.value)
                    assert f"selects {len(expected):,} of its" in str(e.value)
                else:
                    refuse_held_out(conn, st.dialect, rows_of(pairs), CHECKED, link)
                # the temporary table is gone: the check runs again in the same transaction
                assert clashing_rows(conn, st.dialect, mine, sorted(skip)) == expected
    finally:
        st.close()


@pytest.mark.parametrize(("source_kind", "target_kind"),
                         [("sqlite", "postgresql"), ("postgresql", "sqlite")])
def test_a_copied_store_has_the_index(source_kind: str, target_kind: str,
                                      make_store: Callable[[str, Path], str],
                                      tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    source, target = make_store(source_kind, tmp_path / "a"), make_store(target_kind,
                                                                         tmp_path / "b")
    st = open_store(source)
    try:
        st.save_plan("a", {"created": "1", "model_version": "m"}, rows_of([("f0", "u1")], "a"))
    finally:
        st.close()
    copy_store(source, target)
    st = open_store(target)
    try:
        assert PAIR_INDEX in indexes(st) and st.version() == store_mod.MIGRATIONS[-1][0]
        with pytest.raises(PlansClashError, match="plan a, "):
            st.save_plan("b", {**CHECKED, "created": "2", "model_version": "m"},
                         rows_of([("f0", "u1")], "b"))
    finally:
        st.close()
