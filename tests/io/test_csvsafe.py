"""CSV injection: text cells a spreadsheet would run are neutralised with a leading quote, in
every CSV writer (the Arrow batch writer, the renderer's text CSV, the plan writer); Parquet
keeps the exact strings. The oracle is OWASP's rule written out by hand."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st
from security_fixtures import HOSTILE_FILM, HOSTILE_TITLE, HOSTILE_USERS, csv_rule, hostile_model

from recommender.io.csvsafe import (
    DANGEROUS_FIRST,
    is_dangerous,
    original_cell,
    safe_cell,
    safe_column,
    safe_row,
    safe_table,
)
from recommender.query.export import write_audiences, write_recommendations

HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+2", "-3-4", "@SUM(A1:A9)", "\tTAB=1",
           "\rCR=1", "=", "-", "'already", "plain", "", "a=b", " =not first", "é=x",
           "\x00=1", "\uff1dSUM(1)", "\uff20x", "x;=1+1"]
owasp = csv_rule  # OWASP's rule and the quote after a separator, written out independently


def test_dangerous_first_characters() -> None:
    assert set(DANGEROUS_FIRST) == {"=", "+", "-", "@", "\t", "\r", "\x00", "\uff1d", "\uff0b",
                                    "\uff0d", "\uff20"}
    for text in HOSTILE:
        assert safe_cell(text) == owasp(text)
        assert is_dangerous(text) == (owasp(text) != text and not text.startswith("'"))
    assert safe_column(HOSTILE) == [owasp(t) for t in HOSTILE]
    assert safe_row(["=x", 3, -1.5, None, "ok"]) == ["'=x", 3, -1.5, None, "ok"]


@settings(deadline=None, max_examples=60)
@given(st.lists(st.text(max_size=12)))
def test_column_matches_the_rule_and_can_be_undone(texts: list[str]) -> None:
    once = safe_column(texts)
    assert once == [owasp(t) for t in texts]
    # undone cell by cell: two different ids never share a cell ('-1' and "'-1" were one)
    assert [original_cell(t) for t in once] == texts
    assert len(set(once)) == len(set(texts))


@settings(deadline=None, max_examples=60)
@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), max_size=30))
def test_arrow_table_matches_the_rule(texts: list[str | None]) -> None:
    numbers = np.arange(len(texts), dtype=np.float32) - 5
    table = pa.table({"id": pa.array(texts, pa.string()), "score": numbers,
                      "big": pa.array(texts, pa.large_string())})
    safe = safe_table(table)
    assert safe.schema == table.schema
    want = [None if t is None else owasp(t) for t in texts]
    assert safe.column("id").to_pylist() == want
    assert safe.column("big").to_pylist() == want
    assert safe.column("score").to_pylist() == table.column("score").to_pylist()


def test_a_spreadsheet_sees_text(tmp_path: Path) -> None:
    """Through the csv module's reader, every hostile cell comes back with its quote."""
    buf = io.StringIO()
    csv.writer(buf).writerows([[safe_cell(t)] for t in HOSTILE])
    back = [row[0] if row else ""
            for row in csv.reader(io.StringIO(buf.getvalue(), newline=""))]
    assert back == [owasp(t) for t in HOSTILE]
    assert not any(cell[:1] in "=+-@\t\r" and cell for cell in back)


# ------------------------------------------------------------------ every writer


def test_batch_exports_neutralise_csv_and_keep_parquet(tmp_path: Path) -> None:
    model = hostile_model()
    films = np.arange(model.n_films)
    users = np.arange(model.n_users)
    writers = ((write_audiences, films), (write_recommendations, users))
    for writer, rows_of in writers:
        k = model.n_users if writer is write_audiences else model.n_films
        name = writer.__name__
        csv_path, pq_path = tmp_path / f"{name}.csv", tmp_path / f"{name}.parquet"
        writer(model, rows_of, k, csv_path, exclude_seen=False, progress=False)
        writer(model, rows_of, k, pq_path, exclude_seen=False, progress=False)
        exact = pq.read_table(pq_path)
        with open(csv_path, encoding="utf-8", newline="") as f:
            cells = list(csv.DictReader(f))
        assert len(cells) == exact.num_rows > 0
        for column in ("film_id", "user_id", "title"):
            if column not in exact.column_names:
                continue
            raw = exact.column(column).to_pylist()
            assert [row[column] for row in cells] == [owasp(v) for v in raw], column
        seen_raw = set(exact.column("user_id").to_pylist()) | set(
            exact.column("film_id").to_pylist())
        assert set(HOSTILE_USERS) <= seen_raw and HOSTILE_FILM in seen_raw  # exact in Parquet
        if "title" in exact.column_names:
            assert HOSTILE_TITLE in set(exact.column("title").to_pylist())


def test_plan_csv_is_neutralised() -> None:
    from recommender.campaigns.export import csv_chunks
    from recommender.campaigns.plan import PLAN_SCHEMA

    table = pa.Table.from_pylist([
        {"plan_id": "=p", "film_id": "+f", "user_id": u, "wave": 1, "group": "target",
         "rank": 1, "p": -0.5, "expected_value": 1.0} for u in HOSTILE], schema=PLAN_SCHEMA)
    text = b"".join(csv_chunks([table])).decode()
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["user_id"] for r in rows] == [owasp(u) for u in HOSTILE]
    assert {r["plan_id"] for r in rows} == {"'=p"} and {r["film_id"] for r in rows} == {"'+f"}
    assert {r["p"] for r in rows} == {"-0.5"}  # numbers stay numbers


def test_a_carriage_return_in_a_cell_does_not_end_the_row() -> None:
    from recommender.query.render import csv_text

    cells = [["'\rCR", "a\nb"], ["x", "y\r\nz"], ["1", "2"]]
    text = csv_text(["h1", "h2"], [list(c) for c in zip(*cells, strict=True)])
    assert text.endswith("\n") and "\r\n" not in text.replace("y\r\nz", "")
    back = list(csv.reader(io.StringIO(text, newline="")))
    assert back == [["h1", "h2"], *cells]
    plain = csv_text(["a"], [["1", "2"]])
    assert plain == "a\n1\n2\n"
