"""A spreadsheet that splits a CSV file on ``;`` (Excel in German, French, Spanish, Italian or
Dutch settings, on a double-click) or on tabs, and ends a row at any line break, reads a cell
of ours holding ``x;=1+1`` as the cells ``x`` and ``=1+1``, a formula, however the comma CSV
quotes it (the quoting of a cell that is not the first of its row means nothing to it). Every
CSV writer (the HTTP and CLI audience CSV, the batch exports, plan CSVs, slate allocations;
the Studio's downloads in ``tests/browser/test_studio_csv_cells.py``) now puts a quote after
such a separator too, and the readers of our cells take it off again.

Oracles: Python's ``csv`` module reading each written file with ``;`` and with a tab as the
delimiter (no cell may begin with a formula sign, leading tabs, CRs and NULs aside), and with
``,`` (each cell is the id under the rule written out here character by character, and
``original_cell`` gives the exact id back).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from security_fixtures import (
    SEPARATOR_FILM,
    SEPARATOR_FILM_AT,
    SEPARATOR_TITLE,
    SEPARATOR_USERS,
    separator_model,
)
from security_fixtures import csv_rule as rule

from recommender.campaigns.events import EventBatch
from recommender.campaigns.sheet_ids import unquoted_ids
from recommender.io.csvsafe import (
    csv_writer,
    original_cell,
    safe_cell,
    safe_column,
    safe_table,
    sheet_unquoted,
)
from recommender.model import artifact
from recommender.query.export import write_audiences
from service.app import create_app
from service.settings import Settings

#: what a cell a spreadsheet runs begins with (ASCII and full-width)
FORMULA = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def runs_nothing(text: str) -> None:
    """No cell of ``text`` read by a spreadsheet splitting on ``;`` or on tabs begins with
    a formula sign (after the tabs, CRs and NULs one may strip)."""
    for delimiter in (";", "\t"):
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            for cell in row:
                assert not cell.lstrip("\t\r\x00").startswith(FORMULA), (delimiter, cell, row)


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_the_rule_on_the_payloads() -> None:
    assert safe_cell("x;=1+1") == "x;'=1+1" and safe_cell('a;"=2') == "a;\"'=2"
    assert safe_cell("\x00=5") == "'\x00=5" and safe_cell("\uff1d3") == "'\uff1d3"
    assert safe_cell("\t=x") == "'\t'=x" and safe_cell("f;'g") == "f;''g"
    for text in [*SEPARATOR_USERS, SEPARATOR_FILM, SEPARATOR_TITLE, "a; =1", "a;\"\"=1"]:
        assert safe_cell(text) == rule(text)
        assert original_cell(safe_cell(text)) == text == sheet_unquoted(safe_cell(text))
    assert safe_column(SEPARATOR_USERS) == [rule(u) for u in SEPARATOR_USERS]


@settings(deadline=None, max_examples=150)
@given(st.lists(st.text(alphabet=";\t\r\n\"'=+-@\x00\uff1d a,", max_size=10), max_size=8))
def test_any_cell_splits_into_no_formula_and_comes_back(texts: list[str]) -> None:
    safe = safe_column(texts)
    assert safe == [rule(t) for t in texts] == [safe_cell(t) for t in texts]
    assert [original_cell(s) for s in safe] == texts == [sheet_unquoted(s) for s in safe]
    table = pa.table({"a": pa.array(texts, pa.string()), "b": pa.array(texts[::-1], pa.string())})
    arrow = io.BytesIO()  # the plan and batch writers' options
    pacsv.write_csv(safe_table(table), arrow, pacsv.WriteOptions(quoting_header="none"))
    plain = io.StringIO()
    writer = csv_writer(plain)
    writer.writerow(["a", "b"])
    writer.writerows(zip(safe, safe_column(texts[::-1]), strict=True))
    for text in (arrow.getvalue().decode(), plain.getvalue()):
        runs_nothing(text)
        back = rows_of(text)
        assert [original_cell(r["a"]) for r in back] == texts


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return artifact.save(separator_model(), tmp_path_factory.mktemp("separators") / "model")


def test_the_audience_download_splits_into_no_formula(model_dir: Path) -> None:
    """The walk's request: ``GET .../audience.csv?with=occupation,title`` wrote
    ``x;=1+1,u01972,...,a;=2+2``: the film's id first, its title last."""
    model = separator_model()
    film = quote(SEPARATOR_FILM, safe="")
    with TestClient(create_app(Settings(model_path=str(model_dir)))) as client:
        params = {"k": model.n_users, "exclude_seen": "false", "with": "title"}
        r = client.get(f"/films/{film}/audience.csv", params=params)
        raw = client.get(f"/films/{film}/audience", params={
            k: v for k, v in params.items() if k != "with"}).json()
    assert r.status_code == 200, r.text
    runs_nothing(r.text)
    rows = rows_of(r.text)
    ids = [u["user_id"] for u in raw["users"]]
    assert set(SEPARATOR_USERS) <= set(ids)
    assert [row["user_id"] for row in rows] == [rule(u) for u in ids]
    assert [original_cell(row["user_id"]) for row in rows] == ids
    assert {row["film_id"] for row in rows} == {rule(SEPARATOR_FILM)}
    assert {row["title"] for row in rows} == {rule(SEPARATOR_TITLE)}


def test_batch_exports_split_into_no_formula(tmp_path: Path) -> None:
    model = separator_model()
    out = tmp_path / "audiences.csv"
    write_audiences(model, np.asarray([SEPARATOR_FILM_AT, 0]), model.n_users, out,
                    exclude_seen=False, progress=False, with_="title")
    text = out.read_bytes().decode()  # CRs in cells kept
    runs_nothing(text)
    rows = rows_of(text)
    assert set(SEPARATOR_USERS) <= {original_cell(r["user_id"]) for r in rows}
    assert rule(SEPARATOR_FILM) in {r["film_id"] for r in rows}
    assert rule(SEPARATOR_TITLE) in {r["title"] for r in rows}


def test_a_plan_csv_splits_into_no_formula() -> None:
    from recommender.campaigns.export import csv_chunks
    from recommender.campaigns.plan import PLAN_SCHEMA

    table = pa.Table.from_pylist([
        {"plan_id": "p;=1", "film_id": SEPARATOR_FILM, "user_id": u, "wave": 1,
         "group": "target", "rank": 1, "p": -0.5, "expected_value": 1.0}
        for u in SEPARATOR_USERS], schema=PLAN_SCHEMA)
    text = b"".join(csv_chunks([table])).decode()
    runs_nothing(text)
    rows = rows_of(text)
    assert [r["user_id"] for r in rows] == [rule(u) for u in SEPARATOR_USERS]
    assert {r["film_id"] for r in rows} == {rule(SEPARATOR_FILM)}
    assert {r["p"] for r in rows} == {"-0.5"}  # numbers stay numbers


def test_a_slate_allocation_splits_into_no_formula(tmp_path: Path) -> None:
    from recommender.cli.distribution import _write_allocation

    allocation = [{"cinema_id": c, "city": c, "film_id": SEPARATOR_FILM, "screens": 1,
                   "expected_new": None if i % 2 else 1.5}
                  for i, c in enumerate(SEPARATOR_USERS)]
    out = tmp_path / "allocation.csv"
    body = {"allocation": allocation, "films": [{"film_id": SEPARATOR_FILM, "title": "a;=2+2"}]}
    _write_allocation(str(out), body, None, "slate.csv", "cinemas.csv")
    text = out.read_bytes().decode()  # CRs in cells kept
    runs_nothing(text)
    rows = rows_of(text)
    assert [r["cinema_id"] for r in rows] == [rule(c) for c in SEPARATOR_USERS]
    # the first cell of a row holding ; or a tab is quoted: a spreadsheet splitting on
    # them keeps it whole
    first = next(csv.reader(io.StringIO(text.splitlines()[1] + "\n"), delimiter=";"))
    assert first[0].startswith("x;'=1+1,")


def test_events_keyed_by_our_cells_are_read_as_the_ids() -> None:
    model = separator_model()
    users = [u for u in SEPARATOR_USERS if "\n" not in u and "\r" not in u]
    batch = EventBatch([f"e{i}" for i in range(len(users))], [safe_cell(u) for u in users],
                       [safe_cell(SEPARATOR_FILM)] * len(users), [1_600_000_000] * len(users),
                       [1.0] * len(users))
    read, said = unquoted_ids(batch, model, None)
    assert read.user_id == users and read.film_id == [SEPARATOR_FILM] * len(users)
    assert said.events == len(users)
