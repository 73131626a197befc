"""The store's look-up of a batch's spreadsheet-quoted ids (``sheet_ids``) searches an index
of each table by the id looked up, never a whole table: plan rows, opt-outs and events had no
index by ``user_id`` first, and each look-up read them whole. Migration step 9 adds them, to a
store of an older schema too, and ``campaign copy``'s target gets them.

The oracle is each statement's plan as the database itself tells it (SQLite's ``EXPLAIN QUERY
PLAN``; PostgreSQL's ``EXPLAIN``, its statistics read) and the indexed columns read from its
catalogue: no timing."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa

from recommender.campaigns import store as store_mod
from recommender.campaigns.copy_store import copy_store
from recommender.campaigns.events import EventBatch, record_events
from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.sheet_ids import unquoted_ids
from recommender.campaigns.store import CampaignStore, open_store

LOOKED_UP = {"campaign_plan_rows", "campaign_plan_exclusions", "campaign_events"}


def fill(st: CampaignStore, n: int = 3_000) -> None:
    """A plan whose rows and opt-outs hold phone numbers, and events of others: enough rows
    that PostgreSQL, its statistics read, plans a table's index where one fits and scans the
    table where none does."""
    phones = [f"+3361{i:07d}" for i in range(n)]
    st.save_plan("p1", {"created": "2026-01-01T00:00:00+00:00", "model_version": "m"},
                 pa.table({"plan_id": ["p1"] * n, "film_id": [f"@{i % 50:05d}" for i in range(n)],
                           "user_id": phones, "wave": [1] * n, "group": ["target"] * n,
                           "rank": list(range(1, n + 1)), "p": [0.5] * n,
                           "expected_value": [0.5] * n}, schema=PLAN_SCHEMA),
                 excluded=[f"+3362{i:07d}" for i in range(n)])
    batch = EventBatch([f"e{i}" for i in range(n)], [f"+3363{i:07d}" for i in range(n)],
                       [str(-(i % 40)) for i in range(n)], [1_700_000_000] * n, [1.0] * n)
    if st.version() >= 10:
        record_events(st, batch)
        return
    with st.engine.begin() as conn:  # an older schema's table: no writer (step 10) yet
        conn.execute(sa.text("INSERT INTO campaign_events (event_id, user_id, film_id, "
                             "timestamp, weight) VALUES (:e, :u, :f, 1700000000, 1.0)"),
                     [{"e": e, "u": u, "f": f} for e, u, f in zip(
                         batch.event_id, batch.user_id, batch.film_id, strict=True)])


def looked_up(st: CampaignStore) -> tuple[list[tuple[str, Any]], dict[str, str]]:
    """The SELECTs ``unquoted_ids`` runs for a batch of quoted user and film ids (statement,
    parameters), and the ids it read unquoted."""
    statements: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
             _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    sa.event.listen(st.engine, "before_cursor_execute", seen)
    try:
        users = ["'+33610000001", "'+33620000009", "'+33630000017", "'+nobody"]
        batch, said = unquoted_ids(EventBatch([f"x{i}" for i in range(4)], users,
                                              ["'@00042", "'-7", "'@00042", "'=none"],
                                              [1_700_000_000] * 4, [1.0] * 4), None, st)
    finally:
        sa.event.remove(st.engine, "before_cursor_execute", seen)
    return statements, {**said.user_ids, **said.film_ids}


def leading_columns(conn: sa.Connection, dialect: str, table: str) -> dict[str, str]:
    """Each index of ``table`` (its primary key's too) -> its first column, from the catalogue."""
    if dialect == "sqlite":
        return {str(name): str(conn.exec_driver_sql(f"PRAGMA index_info('{name}')").all()[0][2])
                for _, name, *_ in conn.exec_driver_sql(f"PRAGMA index_list('{table}')").all()}
    return {str(name): str(col) for name, col in conn.exec_driver_sql(
        "SELECT i.relname, a.attname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0] "
        "WHERE x.indrelid = %(t)s::regclass", {"t": table}).all()}


def scans(conn: sa.Connection, dialect: str, statement: str, parameters: Any
          ) -> list[tuple[str, str | None, str]]:
    """(table, index or None, how) of each table the statement reads, as the database plans it."""
    if dialect == "sqlite":
        out: list[tuple[str, str | None, str]] = []
        for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all():
            m = re.match(r"(SCAN|SEARCH) (\w+)(?: USING (?:COVERING )?INDEX (\w+))?(.*)", row[3])
            if m:
                out.append((m[2], m[3], f"{m[1]}{m[4]}"))
        return out
    plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar_one()
    found: list[tuple[str, str | None, str]] = []

    def walk(node: dict[str, Any]) -> None:
        if "Relation Name" in node:  # a bitmap heap scan reads the index its child names
            by = node["Plans"][0] if node["Node Type"] == "Bitmap Heap Scan" else node
            found.append((node["Relation Name"], by.get("Index Name"),
                          f"{by['Node Type']} {by.get('Index Cond', '')}"))
            return
        for child in node.get("Plans", []):
            walk(child)

    walk((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
    return found


def assert_searched(st: CampaignStore) -> None:
    if st.dialect == "postgresql":  # as autovacuum would
        with st.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE " + ", ".join(sorted(LOOKED_UP)))
    statements, read = looked_up(st)
    # the ids the store holds unquoted, and no other (the oracle: what fill stored)
    assert read == {"'+33610000001": "+33610000001", "'+33620000009": "+33620000009",
                    "'+33630000017": "+33630000017", "'@00042": "@00042", "'-7": "-7"}
    tables: set[str] = set()
    with st.engine.begin() as conn:
        for statement, parameters in statements:
            column = "user_id" if re.search(r"\buser_id IN\b", statement) else "film_id"
            for table, index, how in scans(conn, st.dialect, statement, parameters):
                tables.add(table)
                lead = leading_columns(conn, st.dialect, table)
                assert index is not None and lead.get(index) == column, \
                    (table, column, index, how, lead)
                if st.dialect == "sqlite":
                    assert how.startswith(f"SEARCH ({column}=?)"), (table, how)
                else:
                    assert column in how, (table, how)
    assert tables == LOOKED_UP


def test_the_look_up_of_quoted_ids_searches_an_index(store_target: str) -> None:
    st = open_store(store_target)
    try:
        fill(st)
        assert_searched(st)
    finally:
        st.close()


def test_a_store_of_schema_8_gets_the_indexes(store_target: str,
                                               monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    every = store_mod.MIGRATIONS
    monkeypatch.setattr(store_mod, "MIGRATIONS", every[:8])
    st = open_store(store_target)
    fill(st)
    st.close()
    monkeypatch.setattr(store_mod, "MIGRATIONS", every)
    with caplog.at_level(logging.INFO, "recommender.campaigns.store"):
        st = open_store(store_target)
    try:
        assert st.version() == every[-1][0]
        assert f"from schema 8 to {every[-1][0]}" in caplog.text
        assert_searched(st)  # and its data as it was
    finally:
        st.close()


def test_a_copy_of_a_store_has_the_indexes(tmp_path: Path, store_target: str) -> None:
    source = str(tmp_path / "source.db")
    st = open_store(source)
    fill(st)
    st.close()
    copy_store(source, store_target)
    st = open_store(store_target)
    try:
        assert_searched(st)
    finally:
        st.close()
