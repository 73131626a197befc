"""One text for one value: the CLI (table and ``--csv``), the HTTP CSV download and the batch
export write the same cells for the same audience; exports cut by ring, segment and attribute
and carry ``--with`` columns; new files honour the umask.

Oracles: Python's ``repr(round(float(x), digits))`` written out here, the brute-force
ranking, and ``os.stat`` of the files.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from helpers import brute_audience
from helpers import run_cli as run
from service_fixtures import ODD_FILM_ID, save_model

from recommender.errors import InvalidParameterError
from recommender.model import artifact
from recommender.model.model import Model
from recommender.query.audience import film_audience
from recommender.query.export import audience_csv, write_audiences
from recommender.query.render import (
    cell_text,
    column_text,
    percentile_values,
    percentiles,
    resolve_with,
    with_choices,
)
from service.app import create_app
from service.settings import Settings

COLUMNS = ["film_id", "user_id", "rank", "score", "percentile", "tier", "segment"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("render") / "model", seed=0)


@pytest.fixture(scope="module")
def model(model_dir: Path) -> Model:
    return artifact.load(model_dir)


@pytest.fixture(scope="module")
def client(model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=str(model_dir)))) as c:
        yield c


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_renderers_by_hand() -> None:
    s = np.array([0.85774875, -1.5, 2.0], np.float32)
    assert column_text("score", s) == [repr(round(float(x), 6)) for x in s]
    assert column_text("score", s)[2] == "2.0"
    # 50.00005 (rank 1,000,000 of 2,000,000) is a tie: half to even, as the exact ratio
    assert column_text("percentile", np.array([100.0, 99.96666666, 50.00005])) == [
        "100.0", "99.9667", "50.0"]
    assert column_text("tier", ["core", None, ""]) == ["core", "", ""]
    assert column_text("rank", np.array([1, 20], np.int32)) == ["1", "20"]
    assert column_text("user_id", ["0042", "u/ü 7"]) == ["0042", "u/ü 7"]
    assert [cell_text(v) for v in (None, 1.0, 3, "x")] == ["", "1.0", "3", "x"]


@pytest.mark.parametrize("n", [16_000, 48_000, 2_000_000, 2_000_001, 30_000_000])
def test_percentiles_round_the_exact_ratio_as_spark_does(n: int) -> None:
    """Every rank's percentile is 100 (n - rank + 1) / n rounded to 4 decimals half to even,
    computed here in integers; Spark's ``bround`` (the Spark export) rounds it so. Python's
    ``round`` of the float went by its binary value: with 16,000 candidates the last rank's
    0.00625 gave 0.0063, and 3,202 of the 16,000 ranks differed from the Spark export. The
    least is 0.0001: past 2,000,000 candidates the last ranks read 0.0, out of (0, 100]."""
    ranks = np.arange(1, n + 1) if n < 100_000 else np.arange(n - 20_000, n + 1)

    def exact(rank: int) -> float:
        q, r = divmod(10**6 * (n - rank + 1), n)
        return max(q + (2 * r > n or (2 * r == n and q % 2 == 1)), 1) / 10**4  # in (0, 100]

    assert percentile_values(percentiles(ranks, n)) == [exact(r) for r in ranks.tolist()]


@pytest.mark.parametrize("tier, with_", [(None, None), ("extended", "title,segment_label,region")])
def test_the_same_audience_reads_the_same_in_every_output(
        capsys: pytest.CaptureFixture[str], client: TestClient, model_dir: Path, model: Model,
        tmp_path: Path, tier: str | None, with_: str | None) -> None:
    fid, k = ODD_FILM_ID, 40
    params: dict[str, Any] = {"k": k, **({"tier": tier} if tier else {}),
                              **({"with": with_} if with_ else {})}
    http = client.get(f"/films/{quote(fid, safe='')}/audience.csv", params=params)
    assert http.status_code == 200, http.text
    cut = [*(["--tier", tier] if tier else []), *(["--with", with_] if with_ else [])]
    code, cli_csv, err = run(capsys, "audience", model_dir, fid, "--k", k, "--csv", *cut)
    assert code == 0, err
    films = tmp_path / "films.txt"
    films.write_text(fid + "\n", encoding="utf-8")
    code, _, err = run(capsys, "audiences", model_dir, "--films", films, "--k", k, "--out",
                       tmp_path / "batch.csv", *cut)
    assert code == 0, err
    batch = (tmp_path / "batch.csv").read_text(encoding="utf-8")
    assert http.text == cli_csv == batch  # byte for byte
    rows = rows_of(batch)
    extra = [] if with_ is None else with_.split(",")
    assert list(rows[0]) == COLUMNS + extra
    # each cell against Python's own text of the page's values
    page = film_audience(model, fid, k=k, tier=tier)
    assert [r["user_id"] for r in rows] == page.user_ids.tolist()
    assert [r["score"] for r in rows] == [repr(round(float(s), 6)) for s in page.score]
    assert [r["percentile"] for r in rows] == [repr(round(float(p), 4)) for p in page.percentile]
    assert [r["tier"] for r in rows] == ["" if t is None else t for t in page.tier]
    assert {r["film_id"] for r in rows} == {fid}
    # the JSON body holds the same numbers the text writes
    body = client.get(f"/films/{quote(fid, safe='')}/audience",
                      params={"k": k, **({"tier": tier} if tier else {})}).json()
    assert [repr(u["score"]) for u in body["users"]] == [r["score"] for r in rows]
    assert [repr(u["percentile"]) for u in body["users"]] == [r["percentile"] for r in rows]
    # the CLI table shows the same text in its columns
    code, table, _ = run(capsys, "audience", model_dir, fid, "--k", k, *cut)
    lines = table.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("rank"))
    for line, row in zip(lines[header + 2:-1], rows, strict=True):  # then the legend
        cells = line.split()
        assert cells[0] == row["rank"]
        assert row["user_id"] in line and row["score"] in cells and row["percentile"] in cells
    if with_:
        labels = {str(i["segment"]): i["label"] for i in model.segments.info}
        assert all(r["segment_label"] == labels[r["segment"]] for r in rows)
        assert {r["title"] for r in rows} == {str(model.catalog.titles[model.film_index(fid)])}
        region = model.user_table.attributes["region"]
        assert all(r["region"] == region[model.user_index(r["user_id"])] for r in rows)


def test_rows_outside_every_tier_are_empty_everywhere(
        capsys: pytest.CaptureFixture[str], client: TestClient, model_dir: Path,
        model: Model) -> None:
    fid = "00003"
    http = client.get(f"/films/{fid}/audience.csv", params={"k": 200})
    code, cli_csv, _ = run(capsys, "audience", model_dir, fid, "--k", 200, "--csv")
    assert code == 0 and http.text == cli_csv
    tiers = [r["tier"] for r in rows_of(cli_csv)]
    assert "" in tiers and "core" in tiers  # rows past the last tier: an empty cell
    body = client.get(f"/films/{fid}/audience", params={"k": 200}).json()
    assert [u["tier"] for u in body["users"]] == [t or None for t in tiers]  # JSON: null


def test_exports_cut_by_ring_segment_and_filter(model: Model, tmp_path: Path) -> None:
    films = np.array([2, 5], np.int64)
    labels = np.asarray(model.segments.labels)
    region = np.asarray(model.user_table.attributes["region"])
    # the segment and region of the broad ring's first user of film 2, so rows exist
    order, _ = brute_audience(model, 2)
    u0 = int(order[int(np.ceil(len(order) * 5 / 100 - 1e-9))])
    seg, reg = int(labels[u0]), str(region[u0])
    regions = (reg, "R0" if reg != "R0" else "R3")
    label = str(model.segments.info[seg]["label"]).upper()  # a label, any case
    out = tmp_path / "cut.parquet"
    rows = write_audiences(model, films, 1000, out, tier="broad", segment=label,
                           filters={"region": [r.lower() for r in regions]}, with_=["region"])
    table = pq.read_table(out).to_pydict()
    assert rows == len(table["user_id"])
    # the file carries its context: the model and the parameters that cut it, as chosen (a
    # segment by number and label, values as the model spells them), not as typed
    context = json.loads(pq.read_schema(out).metadata[b"recommender"])
    assert context["model_version"] == model.version and context["exported"]
    assert context["pseudonymized"] is False
    assert context["parameters"] == {
        "kind": "audiences", "k": 1000, "exclude_seen": True, "tier": "broad",
        "segment": {"number": seg, "label": model.segments.info[seg]["label"]},
        "filters": {"region": list(regions)},
        "with_columns": ["region"], "films": len(films)}
    from recommender.query.pseudonym import pseudonymous_users

    hidden = tmp_path / "p.parquet"
    write_audiences(pseudonymous_users(model, b"k" * 32), films, 5, hidden)
    assert json.loads(pq.read_schema(hidden).metadata[b"recommender"])["pseudonymized"] is True
    for f in films.tolist():
        order, _ = brute_audience(model, f)
        total = len(order)
        first = int(np.ceil(total * 5 / 100 - 1e-9)) + 1
        last = int(np.ceil(total * 20 / 100 - 1e-9))
        want = [int(u) for u in order[first - 1:last]
                if labels[u] == seg and region[u] in regions]
        fid = str(model.films.ids[f])
        got = [u for u, x in zip(table["user_id"], table["film_id"], strict=True) if x == fid]
        assert got == model.users.ids[want].tolist()
        ranks = [r for r, x in zip(table["rank"], table["film_id"], strict=True) if x == fid]
        assert ranks == [int(np.flatnonzero(order == u)[0]) + 1 for u in want]
    assert rows > 0 and set(table["tier"]) == {"broad"} and set(table["region"]) <= set(regions)


def test_bad_cuts_fail_before_any_file(model: Model, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str],
                                       model_dir: Path) -> None:
    out = tmp_path / "never.csv"
    for kwargs, words in (({"tier": "outer"}, "core, extended, broad"),
                          ({"segment": "no such segment"}, "0: "),
                          ({"filters": {"region": ["Mars"]}}, "R0"),
                          ({"with_": "title,shoe"}, "title, segment_label")):
        with pytest.raises(InvalidParameterError, match=words):
            write_audiences(model, np.arange(3), 5, out, **kwargs)
        assert not out.exists()
    assert with_choices(model)[:2] == ["title", "segment_label"]
    assert resolve_with(model, ["Region", "title,region"]) == ["region", "title"]
    code, _, err = run(capsys, "audiences", model_dir, "--all", "--out", out, "--engine",
                       "spark", "--tier", "core")
    assert code == 2 and "--tier works with --engine local only" in err and not out.exists()
    code, _, err = run(capsys, "audiences", model_dir, "--all", "--out", out, "--engine",
                       "spark", "--store", tmp_path / "s.db", "--tier", "core")
    assert code == 2 and "--tier, --store work with --engine local only (the Spark export " \
        "writes whole top-k lists of the model as trained, raw ids)" in err
    code, _, err = run(capsys, "audience", model_dir, "00003", "--with", "shoe")
    assert code == 2 and "valid columns are: title, segment_label" in err


@pytest.mark.parametrize("mask, file_mode, dir_mode", [(0o022, 0o644, 0o755),
                                                       (0o027, 0o640, 0o750)])
def test_exports_and_models_honour_the_umask(model: Model, tmp_path: Path, mask: int,
                                             file_mode: int, dir_mode: int) -> None:
    old = os.umask(mask)
    try:
        for name in ("a.csv", "a.parquet"):
            write_audiences(model, np.arange(2), 3, tmp_path / name, tier="core")
            assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == file_mode
        folder = artifact.save(model, tmp_path / "model")
        assert stat.S_IMODE(os.stat(folder).st_mode) == dir_mode
        for child in folder.iterdir():
            want = dir_mode if child.is_dir() else file_mode
            assert stat.S_IMODE(os.stat(child).st_mode) == want, child
    finally:
        os.umask(old)


def test_audience_csv_of_a_page_without_a_film(model: Model) -> None:
    from recommender.query.audience import lookalikes

    page, _ = lookalikes(model, ["u3", "u7"], k=4)
    text = audience_csv(model, page, None, ["title", "segment_label"])
    rows = rows_of(text)
    assert [r["user_id"] for r in rows] == page.user_ids.tolist()
    assert {r["film_id"] for r in rows} == {""} and {r["title"] for r in rows} == {""}
