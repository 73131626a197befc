"""A segment ``GET /segments`` withholds (fewer users than the minimum cell) has its label in
no audience row nor export context: the ``segment_label`` column reads "hidden" for its rows.

A 4-user model's audience with ``--with segment_label`` printed "Viewers of 2 films/user" on
every row (the CLI's table and CSV, the ``audiences`` CSV and Parquet, the HTTP audience.csv
the Studio downloads) and the Parquet export's metadata held the label, while ``segments``
withheld it. The oracle: each segment's users counted from the artifact's labels against the
minimum cell read with, and the artifact's labels."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from helpers import three_tastes_model

from recommender.cli import main
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings


def _trained(tmp_path: Path) -> Path:
    return three_tastes_model(tmp_path)


def _expected(model_dir: Path, cell: int) -> dict[str, str]:
    """The oracle: each user id's segment_label cell at minimum ``cell``: its segment's label
    when the segment holds at least ``cell`` users (counted from the artifact), else hidden."""
    model = artifact.load(model_dir)
    seg = np.asarray(model.segments.labels, np.int64)
    sizes = np.bincount(seg)
    labels = [str(s["label"]) for s in model.segments.info]
    return {str(u): labels[s] if sizes[s] >= cell else "hidden"
            for u, s in zip(model.users.ids, seg.tolist(), strict=True)}


def _csv(text: str) -> dict[str, str]:
    """user_id -> segment_label of a CSV's rows (one film's)."""
    return {r["user_id"]: r["segment_label"] for r in csv.DictReader(io.StringIO(text))}


@pytest.mark.parametrize("cell", [3, 6, 13])
def test_the_segment_label_of_a_withheld_segment_reads_hidden_everywhere(
        cell: int, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "3")
    model_dir = _trained(tmp_path)
    sizes = sorted(np.bincount(np.asarray(artifact.load(model_dir).segments.labels)).tolist())
    assert sizes == [3, 5, 12]  # the three tastes, one segment each
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", str(cell))
    want = _expected(model_dir, cell)
    withheld = {label for label in _expected(model_dir, 1).values()} - set(want.values())
    assert len(withheld) == sum(n < cell for n in sizes)  # the oracle withholds some or none
    capsys.readouterr()
    film = "g1f0"  # every user outside group 1 is a candidate: rows of all three segments
    # the CLI's table and CSV
    code, table, err = run(capsys, "audience", str(model_dir), film, "--k", "100",
                           "--with", "segment_label")
    assert code == 0, err
    assert not any(label in table for label in withheld), table
    assert ("hidden" in table) == bool(withheld)
    code, cli_csv, err = run(capsys, "audience", str(model_dir), film, "--k", "100", "--csv",
                             "--with", "segment_label")
    assert code == 0, err
    rows = _csv(cli_csv)
    assert len(rows) == 15 and rows == {u: want[u] for u in rows}
    # the audiences export, CSV and Parquet, and the Parquet's context
    for suffix in ("csv", "parquet"):
        out = tmp_path / f"a.{suffix}"
        code, _, err = run(capsys, "audiences", str(model_dir), "--all", "--segment", "2",
                           "--with", "segment_label", "--out", str(out))
        assert code == 0, err
    exported = pq.read_table(tmp_path / "a.parquet")
    seg2 = str(artifact.load(model_dir).segments.info[2]["label"])
    label2 = seg2 if seg2 not in withheld else "hidden"
    assert set(exported.column("segment_label").to_pylist()) == {label2}
    context = json.loads(exported.schema.metadata[b"recommender"])
    assert context["parameters"]["segment"] == (
        {"number": 2} if seg2 in withheld else {"number": 2, "label": seg2})
    with open(tmp_path / "a.csv", encoding="utf-8") as f:
        assert {r["segment_label"] for r in csv.DictReader(f)} == {label2}
    # HTTP: the CSV the Studio downloads, and the JSON body (no label field) the CLI prints
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "s.db"),
                        warm_cache=False, min_cell=cell)
    with TestClient(create_app(settings)) as client:
        got = client.get(f"/films/{film}/audience.csv",
                         params={"k": 100, "with": "segment_label"})
        body = client.get(f"/films/{film}/audience", params={"k": 100})
    assert got.status_code == 200, got.text
    assert _csv(got.text) == rows
    assert body.status_code == 200, body.text
    assert not any(label in body.text for label in withheld)
    code, out, err = run(capsys, "audience", str(model_dir), film, "--k", "100", "--json")
    assert code == 0 and out == body.text + "\n", err


@pytest.mark.parametrize(("served", "env"), [(2, 10), (10, 2)])
def test_the_server_reads_a_segment_at_its_own_minimum_not_the_environments(
        served: int, env: int, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An app built with ``Settings(min_cell=...)`` lists a segment by its setting (GET
    /segments, the schema's pattern) and took the segment filter by the environment's: a
    label listed was refused, or one withheld was taken. Every surface now reads the
    setting. The oracle: a one-segment model of 2 users (counted from the artifact)."""
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "2")
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id,rating\nu0,f0,4\nu0,f1,4\nu1,f0,4\nu1,f2,4\n",
                   encoding="utf-8")
    model_dir = tmp_path / "m"
    assert main(["train", "--data", str(log), "--out", str(model_dir), "--no-tune",
                 "--factors", "4", "--iterations", "3", "--holdout", "0"]) == 0
    model = artifact.load(model_dir)
    assert np.bincount(np.asarray(model.segments.labels)).tolist() == [2]
    label = str(model.segments.info[0]["label"])
    listed = 2 >= served  # the oracle: the segment's 2 users against the server's minimum
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", str(env))
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "s.db"),
                        warm_cache=False, min_cell=served)
    with TestClient(create_app(settings)) as client:
        segments = client.get("/segments").json()
        schema = client.get("/openapi.json").json()
        page = client.get("/films/f1/audience", params={"segment": label})
        csv_page = client.get("/films/f1/audience.csv",
                              params={"segment": label, "with": "segment_label"})
        cold = client.post("/audiences/cold-start.csv", params={"with": "segment_label"},
                           json={"comparable_film_ids": ["f1"], "segment": label})
        by_number = client.get("/films/f1/audience.csv",
                               params={"segment": "0", "with": "segment_label"})
    assert [s["label"] for s in segments["segments"]] == ([label] if listed else [])
    param = next(p for p in schema["paths"]["/films/{film_id}/audience"]["get"]["parameters"]
                 if p["name"] == "segment")
    patterns = re.findall(r'"pattern": "((?:[^"\\]|\\.)*)"', json.dumps(param))
    assert patterns and all(bool(re.fullmatch(json.loads(f'"{p}"'), label)) == listed
                            for p in patterns), patterns
    for answer in (page, csv_page, cold):
        assert answer.status_code == (200 if listed else 422), answer.text
        if not listed:  # the label typed is echoed once; the segment's size is not said
            said = answer.json()["detail"]  # (errors[0].msg repeats it, as every 422's does)
            assert said.count(label) == 1 and "2 users" not in answer.text
            assert f"fewer than {served} users each not listed" in said
            assert [e["msg"] for e in answer.json()["errors"]] == [said]
    assert by_number.status_code == 200, by_number.text
    assert "segment0" in by_number.headers["content-disposition"]
    assert _csv(by_number.text) == {"u1": label if listed else "hidden"}
    if listed:
        assert _csv(csv_page.text) == {"u1": label}
        assert "segment0" in csv_page.headers["content-disposition"]
        assert _csv(cold.text)["u0"] == label and "segment0" in cold.headers[
            "content-disposition"]
