"""A new film's audience as a file: ``cold-start --csv`` prints the page as ``audience --csv``
prints a film's (it had no CSV or Parquet export), ``--out`` writes it as CSV (the same bytes)
or Parquet (with what it was cut from in its metadata). Oracle: the HTTP body's users."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from service_fixtures import GENRES, model_and_client

LIKE = ["--like", "00002=3", "00004", "nope", "--genre", GENRES[2], "--k", "6", "--offset", "2"]
ASKED = {"comparable_film_ids": {"00002": 3.0, "00004": 1.0, "nope": 1.0},
         "genres": [GENRES[2]], "k": 6, "offset": 2}


model_dir, client = model_and_client("cold_export")


def test_csv_rows_are_the_pages_users(client: TestClient, model_dir: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    body = client.post("/audiences/cold-start", json=ASKED).json()
    labels = {s["segment"]: s["label"] for s in client.get("/segments").json()["segments"]}
    code, out, err = run(capsys, "cold-start", model_dir, *LIKE, "--csv", "--with",
                         "segment_label")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["film_id", "user_id", "rank", "score", "percentile", "tier",
                             "segment", "segment_label"]
    assert len(rows) == len(body["users"]) == 6
    for row, user in zip(rows, body["users"], strict=True):
        assert row["film_id"] == ""  # no film
        assert row["user_id"] == user["user_id"] and int(row["rank"]) == user["rank"]
        assert float(row["score"]) == pytest.approx(user["score"], abs=1e-6)
        assert float(row["percentile"]) == user["percentile"]
        assert row["tier"] == (user["tier"] or "") and int(row["segment"]) == user["segment"]
        assert row["segment_label"] == labels[user["segment"]]
    # what the CSV cannot hold is said on stderr: the comparable films and the model
    assert "cold-start audience of a film like 00002=3, 00004=1" in err
    assert f"from model {client.get('/health').json()['model']['model_version']}" in err
    # one source note, as audience --csv's (the table's "answer from model" was said beside it)
    sources = [line for line in err.splitlines() if " from model " in line]
    assert len(sources) == 1, err
    assert "note: answer from model" not in err, err


def test_out_writes_the_same_csv_and_a_parquet_with_its_context(
        client: TestClient, model_dir: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    body = client.post("/audiences/cold-start", json=ASKED).json()
    code, printed, err = run(capsys, "cold-start", model_dir, *LIKE, "--csv")
    assert code == 0, err
    code, out, err = run(capsys, "cold-start", model_dir, *LIKE, "--out", tmp_path / "a.csv")
    assert code == 0, err
    assert (tmp_path / "a.csv").read_text(encoding="utf-8") == printed
    assert f"wrote 6 rows (cold-start audience of a film like 00002=3, 00004=1, {GENRES[2]}" \
        in out
    code, out, err = run(capsys, "cold-start", model_dir, *LIKE, "--out",
                         tmp_path / "a.parquet")
    assert code == 0, err
    table = pq.read_table(tmp_path / "a.parquet")
    assert table.column("user_id").to_pylist() == [u["user_id"] for u in body["users"]]
    assert table.column("rank").to_pylist() == [u["rank"] for u in body["users"]]
    context = json.loads(table.schema.metadata[b"recommender"])
    params = context["parameters"]
    assert params["kind"] == "cold_start"
    assert params["comparable_films"] == body["comparable_films"] == {"00002": 3.0,
                                                                       "00004": 1.0}
    assert params["genres"] == [GENRES[2]] and params["unknown_film_ids"] == ["nope"]
    assert params["k"] == 6 and params["offset"] == 2
    assert context["model_version"] == client.get("/health").json()["model"]["model_version"]
    # what each column means, as an audiences export says it (it carried none)
    films = tmp_path / "films.txt"
    films.write_text("00002\n", encoding="utf-8")
    code, _, err = run(capsys, "audiences", model_dir, "--films", films, "--k", 2, "--out",
                       tmp_path / "b.parquet")
    assert code == 0, err
    theirs = json.loads(pq.read_schema(tmp_path / "b.parquet").metadata[b"recommender"])
    units = {c: theirs["units"][c] for c in table.column_names if c in theirs["units"]}
    assert {"rank", "score", "percentile", "tier", "segment"} <= set(units)
    assert context["units"] == units


def test_export_options_are_checked(model_dir: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "cold-start", model_dir, *LIKE, "--with", "segment_label")
    assert code == 2 and "--with adds columns to --csv and --out" in err and out == ""
    code, _, err = run(capsys, "cold-start", model_dir, *LIKE, "--out", tmp_path / "a.txt")
    assert code == 2 and "must end in .csv or .parquet" in err
    assert not (tmp_path / "a.txt").exists()
    code, _, err = run(capsys, "cold-start", model_dir, *LIKE, "--csv", "--json")
    assert code == 2 and "not allowed with argument" in err
