"""The Spark engine (``recommender.spark``): training from CSV / Parquet / dataset folders into the
same model folder, Spark batch audiences, and the errors when pyspark or Java is missing.

Oracles: the local readers and weighting (same merged interactions, same confidence values),
planted taste groups (a film's audience comes from its group), the local engine's exact batch
export on the same factors, and the HTTP service serving the folder unchanged.

One small ``local[2]`` SparkSession (512 MB driver) is shared by every test of the file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from recommender.errors import DataError
from recommender.io import readers
from recommender.io.dataset import Interactions
from recommender.model import artifact
from recommender.model.config import TrainConfig
from recommender.model.weighting import confidence
from tests.service_fixtures import (
    N_GROUPS,
    ODD_FILM_ID,
    build_interactions,
    group_of_film,
    group_of_user,
)

pytestmark = pytest.mark.spark

SMALL = TrainConfig(factors=8, iterations=4, segments=N_GROUPS, holdout=0.2, seed=3)


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install '.[spark]')")
    from recommender.spark.engine import get_session

    session, created = get_session("local[2]", {
        "spark.driver.memory": "512m",
        "spark.sql.shuffle.partitions": "4",
        "spark.default.parallelism": "2",
        "spark.ui.enabled": "false",
    })
    yield session
    if created:
        session.stop()


def _write_csvs(inter: Interactions, folder: Path) -> tuple[Path, Path, Path]:
    """The interactions, catalog and user attributes as the CSV files users would have."""
    folder.mkdir(parents=True, exist_ok=True)
    events = pa.table({
        "userId": inter.users.ids[inter.user_idx],
        "movieId": inter.films.ids[inter.film_idx],  # MovieLens spelling is accepted too
        "weight": inter.weight.astype(np.float64),
    })
    pacsv.write_csv(events, folder / "interactions.csv")
    assert inter.catalog is not None and inter.user_table is not None
    cat = inter.catalog
    pacsv.write_csv(pa.table({"film_id": cat.film_ids, "title": cat.titles, "year": cat.years,
                              "genres": cat.genres}), folder / "films.csv")
    ut = inter.user_table
    pacsv.write_csv(pa.table({"user_id": ut.user_ids, **ut.attributes}), folder / "users.csv")
    return folder / "interactions.csv", folder / "films.csv", folder / "users.csv"


@pytest.fixture(scope="module")
def planted() -> Interactions:
    return build_interactions(n_users=240, n_films=60, per_user=12, seed=1)


@pytest.fixture(scope="module")
def csv_files(planted: Interactions, tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[Path, Path, Path]:
    return _write_csvs(planted, tmp_path_factory.mktemp("csv"))


@pytest.fixture(scope="module")
def spark_model_dir(spark: Any, csv_files: tuple[Path, Path, Path],
                    tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained by Spark from a CSV file read by Spark (catalog and users from CSV)."""
    from recommender.spark.engine import train_spark

    inter_csv, films_csv, users_csv = csv_files
    model = train_spark(str(inter_csv), SMALL, films=str(films_csv), users=str(users_csv),
                        spark=spark, progress=False)
    return artifact.save(model, tmp_path_factory.mktemp("models") / "spark-model")


# --------------------------------------------------------------------------------------------
# Training into the model folder
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_spark_model_folder_holds_the_data_and_planted_audiences(
        spark_model_dir: Path, planted: Interactions) -> None:
    model = artifact.load(spark_model_dir)
    # ids are the source's strings, byte for byte (leading zeros, slash, unicode)
    assert sorted(model.users.ids.tolist()) == sorted(planted.users.ids.tolist())
    assert sorted(model.films.ids.tolist()) == sorted(planted.films.ids.tolist())
    assert ODD_FILM_ID in model.films and "00000" in model.films
    # the seen matrix is exactly the training interactions (re-indexed)
    u = model.users.to_index(planted.users.ids[planted.user_idx])
    f = model.films.to_index(planted.films.ids[planted.film_idx])
    expected = np.zeros((model.n_users, model.n_films), bool)
    expected[u, f] = True
    assert np.array_equal(model.seen.toarray() > 0, expected)
    assert np.array_equal(model.seen_by_film.toarray() > 0, expected.T)
    # catalog and user attributes are aligned to the Spark id order
    assert model.catalog.titles[model.film_index("00000")] == "The Matrix"
    assert planted.user_table is not None
    for name, values in planted.user_table.attributes.items():
        want = values[planted.users.to_index(model.users.ids)]
        assert np.array_equal(model.user_table.attributes[name], want)
    assert model.meta["model"] == "als-spark"
    assert model.meta["data"]["interactions"] == len(planted)
    assert model.meta["engine"]["mllib_als"]["implicitPrefs"] is True
    assert model.user_factors.shape == (len(planted.users), SMALL.factors)
    # tier calibration was measured on a held-out slice
    assert model.calibration["films_evaluated"] > 0
    assert sum(model.calibration["hits"]) > 0
    assert model.segments.n == N_GROUPS
    # planted structure: a film's top audience comes from the film's taste group
    from recommender.query.audience import film_audience

    share = []
    for film_id in model.films.ids.tolist():
        page = film_audience(model, film_id, k=10)
        groups = [group_of_user(uid) for uid in page.user_ids.tolist()]
        share.append(np.mean(np.asarray(groups) == group_of_film(film_id)))
    assert np.mean(share) > 0.9


@pytest.mark.slow
def test_spark_model_folder_serves_the_contract_endpoints(spark_model_dir: Path) -> None:
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    with TestClient(create_app(Settings(model_path=str(spark_model_dir)))) as client:
        health = client.get("/health")
        assert health.status_code == 200 and health.json()["model"]["model"] == "als-spark"
        odd = quote(ODD_FILM_ID, safe="")
        page = client.get(f"/films/{odd}/audience", params={"k": 5})
        assert page.status_code == 200
        body = page.json()
        assert body["film_id"] == ODD_FILM_ID and len(body["users"]) == 5
        assert [r["rank"] for r in body["users"]] == [1, 2, 3, 4, 5]
        summary = client.get(f"/films/{odd}/audience/summary")
        assert summary.status_code == 200
        assert summary.json()["tiers"][0]["expected_conversion"] is not None
        assert client.get("/users/u0/recommendations", params={"k": 3}).status_code == 200
        assert client.get("/segments").status_code == 200
        assert client.get("/films/no-such-film/audience").status_code == 404


# --------------------------------------------------------------------------------------------
# Batch audiences
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_spark_batch_audiences_equal_the_local_export(spark: Any, spark_model_dir: Path,
                                                      tmp_path: Path) -> None:
    from recommender.query.export import write_audiences
    from recommender.spark.engine import batch_audiences_spark, read_audiences

    model = artifact.load(spark_model_dir)
    k = 12
    out = tmp_path / "audiences.parquet"
    # small tasks and film chunks, so the running top-k merge across batches is exercised
    rows = batch_audiences_spark(spark_model_dir, k, out, spark=spark, progress=False,
                                 users_per_partition=50, film_chunk=7)
    got = read_audiences(out)
    write_audiences(model, np.arange(model.n_films), k, tmp_path / "local.parquet",
                    progress=False)
    want = pq.read_table(tmp_path / "local.parquet").sort_by(
        [("film_id", "ascending"), ("rank", "ascending")])
    assert rows == got.num_rows == want.num_rows
    assert got.column_names == want.column_names == [
        "film_id", "user_id", "rank", "score", "percentile", "tier", "segment"]
    assert [f.type for f in got.schema] == [f.type for f in want.schema]
    for name in ("film_id", "user_id", "rank", "tier", "segment"):
        assert got.column(name).to_pylist() == want.column(name).to_pylist(), name
    # both settled on exact dot products: the same scores to the last bit
    assert np.array_equal(got.column("score").to_numpy(), want.column("score").to_numpy())
    np.testing.assert_allclose(got.column("percentile").to_numpy(),
                               want.column("percentile").to_numpy(), atol=1e-4)
    # one partition folder per film; the odd film id survives the folder-name round trip
    assert len([p for p in out.iterdir() if p.name.startswith("film_id=")]) == model.n_films
    assert ODD_FILM_ID in set(got.column("film_id").to_pylist())
    # seen users are excluded
    seen = {(str(model.films.ids[f]), str(model.users.ids[u]))
            for f, u in zip(*model.seen_by_film.nonzero(), strict=True)}
    pairs = zip(got.column("film_id").to_pylist(), got.column("user_id").to_pylist(),
                strict=True)
    assert not any(p in seen for p in pairs)
    # a subset of films (as `audiences --films FILE`): the same rows as the full export's
    some = [ODD_FILM_ID, "00003", "00007"]
    sub = tmp_path / "some.parquet"
    batch_audiences_spark(spark_model_dir, 5, sub, films=some, spark=spark, progress=False)
    got_sub = read_audiences(sub)
    keep = [f in some and r <= 5 for f, r in zip(want.column("film_id").to_pylist(),
                                                  want.column("rank").to_pylist(), strict=True)]
    want_sub = want.filter(pa.array(keep))
    assert got_sub.num_rows == want_sub.num_rows == 15
    for name in ("film_id", "user_id", "rank", "tier"):
        assert got_sub.column(name).to_pylist() == want_sub.column(name).to_pylist(), name


def test_spark_batch_audiences_break_ties_as_the_local_export(spark: Any, tmp_path: Path
                                                                ) -> None:
    """Integer factors give heavily tied, exactly representable scores: across tasks and
    film chunks the Spark export must pick and order tied users as the local export does
    (score descending, then the lower user index)."""
    from helpers import synthetic_model

    from recommender.query.export import write_audiences
    from recommender.spark.engine import batch_audiences_spark, read_audiences

    model = synthetic_model(n_users=230, n_films=17, seed=11, ties=True)
    model_dir = tmp_path / "ties-model"
    artifact.save(model, model_dir)
    k = 9
    batch_audiences_spark(model_dir, k, tmp_path / "spark.parquet", spark=spark, progress=False,
                          users_per_partition=40, film_chunk=5)
    got = read_audiences(tmp_path / "spark.parquet")
    write_audiences(model, np.arange(model.n_films), k, tmp_path / "local.parquet",
                    progress=False)
    want = pq.read_table(tmp_path / "local.parquet").sort_by(
        [("film_id", "ascending"), ("rank", "ascending")])
    for name in ("film_id", "user_id", "rank", "score", "tier"):
        assert got.column(name).to_pylist() == want.column(name).to_pylist(), name


def test_spark_batch_audiences_need_a_parquet_path(tmp_path: Path) -> None:
    from recommender.errors import InvalidParameterError
    from recommender.spark.engine import batch_audiences_spark

    with pytest.raises(InvalidParameterError, match=r"\.parquet"):
        batch_audiences_spark(tmp_path / "model", 10, tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()


# --------------------------------------------------------------------------------------------
# Readers and weighting in Spark == the local ones
# --------------------------------------------------------------------------------------------


def _rows(inter: Interactions) -> dict[tuple[str, str], tuple[float, float | None, int | None]]:
    u, f = inter.users.ids[inter.user_idx], inter.films.ids[inter.film_idx]
    out = {}
    for i in range(len(inter)):
        out[(str(u[i]), str(f[i]))] = (
            float(inter.weight[i]),
            None if inter.rating is None else float(inter.rating[i]),
            None if inter.timestamp is None else int(inter.timestamp[i]))
    return out


def _events_file(tmp_path: Path, fmt: str) -> Path:
    """Events with duplicates (same pair re-watched, rating changed), leading-zero ids."""
    rng = np.random.default_rng(5)
    n = 400
    users = np.array([f"{i:04d}" for i in rng.integers(0, 30, n)])
    films = np.array([f"00{i:05d}" for i in rng.integers(0, 20, n)])
    table = pa.table({
        "user_id": users, "film_id": films,
        "rating": rng.integers(1, 6, n).astype(np.float64),
        "weight": rng.integers(1, 4, n).astype(np.float64),
        "timestamp": rng.integers(1_000_000, 1_000_050, n),  # many ties on purpose
    })
    path = tmp_path / f"events.{fmt}"
    if fmt == "csv":
        pacsv.write_csv(table, path)
    else:
        pq.write_table(table, path)
    return path


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_spark_reader_merges_events_like_the_local_reader(spark: Any, tmp_path: Path,
                                                         fmt: str) -> None:
    from recommender.spark.engine import _merge, _read_source

    path = _events_file(tmp_path, fmt)
    src = _read_source(spark, str(path), None, None)
    assert src.has_rating and src.has_timestamp
    merged = _merge(src.events, True, True).toArrow()
    got = {(r["user_id"], r["film_id"]): (r["weight"], r["rating"], r["timestamp"])
           for r in merged.to_pylist()}
    assert got == _rows(readers.load(path))


def test_spark_reader_errors_name_the_file_and_the_problem(spark: Any, tmp_path: Path) -> None:
    from recommender.spark.engine import train_spark

    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,film_id,rating\nu1,f1,4\nu2,f2,great\n")
    with pytest.raises(DataError, match=r"bad\.csv.*1 row with bad rating, e\.g\. 'great'"):
        train_spark(str(bad), SMALL, spark=spark)
    nofilm = tmp_path / "nofilm.csv"
    nofilm.write_text("user_id,title\nu1,f1\n")
    with pytest.raises(DataError, match=r"nofilm\.csv.*missing required column film_id"):
        train_spark(str(nofilm), SMALL, spark=spark)
    with pytest.raises(DataError, match="no such file"):
        train_spark(str(tmp_path / "absent.csv"), SMALL, spark=spark)


@pytest.mark.parametrize("scheme", ["bm25", "binary", "rating", "log"])
def test_spark_confidence_equals_local_weighting(spark: Any, scheme: str) -> None:
    from recommender.spark.engine import _confidence

    rng = np.random.default_rng(2)
    n = 300
    inter = Interactions.from_columns(
        pa.array([f"u{i}" for i in rng.integers(0, 40, n)]),
        pa.array([f"f{i}" for i in rng.integers(0, 25, n)]),
        rating=rng.integers(1, 6, n).astype(np.float64),
        weight=rng.integers(1, 5, n).astype(np.float64))
    # a user with no interaction left (as after --min-rating) still counts in BM25's idf
    inter = inter.subset(inter.user_idx != 0)
    df = spark.createDataFrame(pa.table({
        "u": inter.user_idx, "f": inter.film_idx,
        "weight": inter.weight.astype(np.float64), "rating": inter.rating.astype(np.float64)}))
    config = TrainConfig(weighting=scheme)
    got = _confidence(df, config, inter.n_users, has_rating=True).toArrow()
    mat = np.zeros((inter.n_users, inter.n_films))
    mat[got.column("u").to_numpy(), got.column("f").to_numpy()] = got.column("value").to_numpy()
    want = confidence(inter, scheme, config.bm25_k1, config.bm25_b).toarray()
    np.testing.assert_allclose(mat, want, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_trains_on_spark_from_a_dataset_folder(spark: Any, planted: Interactions,
                                                   tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from recommender.cli import main

    folder = tmp_path / "dataset"
    _write_csvs(planted, folder)  # the project's folder layout, read by the local reader
    out = tmp_path / "model"
    code = main(["train", "--engine", "spark", "--spark-master", "local[2]", "--data",
                 str(folder), "--out", str(out), "--factors", "4", "--iterations", "3",
                 "--holdout", "0", "--segments", "2"])
    assert code == 0, capsys.readouterr().err
    model = artifact.load(out)
    assert model.meta["model"] == "als-spark" and model.calibration == {}
    assert model.catalog.titles[model.film_index("00000")] == "The Matrix"
    capsys.readouterr()
    assert main(["audience", str(out), ODD_FILM_ID, "--json", "--k", "3"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert [u["rank"] for u in body["users"]] == [1, 2, 3] and body["film_id"] == ODD_FILM_ID
    ids = tmp_path / "films.txt"
    ids.write_text(f"{ODD_FILM_ID}\n00003\n")
    code = main(["audiences", str(out), "--engine", "spark", "--films", str(ids), "--k", "4",
                 "--out", str(tmp_path / "some.parquet")])
    assert code == 0, capsys.readouterr().err
    from recommender.spark.engine import read_audiences

    table = read_audiences(tmp_path / "some.parquet")
    assert table.num_rows == 8
    assert sorted(set(table.column("film_id").to_pylist())) == ["00003", ODD_FILM_ID]
    code = main(["train", "--engine", "spark", "--model", "bpr", "--data", str(folder),
                 "--out", str(tmp_path / "bpr")])
    assert code == 2 and "ALS only" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# Missing pyspark / Java (no Spark needed)
# --------------------------------------------------------------------------------------------


def test_missing_java_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    from recommender.spark.engine import SparkUnavailableError, check_java

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SparkUnavailableError, match="default-jre-headless") as e:
        check_java()
    assert "JAVA_HOME" in str(e.value)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    with pytest.raises(SparkUnavailableError, match=r"no-jdk has no bin/java"):
        check_java()
    fake = tmp_path / "jdk" / "bin"
    fake.mkdir(parents=True)
    (fake / "java").write_text("#!/bin/sh\n")
    (fake / "java").chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    assert check_java() == str(fake / "java")


def test_cli_without_java_exits_2_with_the_install_hint(tmp_path: Path) -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install '.[spark]')")
    csv = tmp_path / "events.csv"
    csv.write_text("user_id,film_id\nu1,f1\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("JAVA_HOME", "PYSPARK_GATEWAY_PORT", "PYSPARK_GATEWAY_SECRET")}
    env["PATH"] = str(tmp_path)  # no java anywhere
    proc = subprocess.run(
        [sys.executable, "-m", "recommender.cli", "train", "--engine", "spark", "--data",
         str(csv), "--out", str(tmp_path / "model")],
        env=env, capture_output=True, text=True, timeout=120,
        cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and "default-jre-headless" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "model").exists()


def test_missing_pyspark_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    from recommender.spark.engine import SparkUnavailableError, batch_audiences_spark, train_spark

    monkeypatch.setitem(sys.modules, "pyspark", None)  # makes `import pyspark` fail
    with pytest.raises(SparkUnavailableError, match=r"pip install '\.\[spark\]'"):
        train_spark(str(tmp_path / "x.csv"), TrainConfig())
    model_dir = tmp_path / "m"
    artifact.save(_tiny_model(), model_dir)
    with pytest.raises(SparkUnavailableError, match="pyspark"):
        batch_audiences_spark(model_dir, 5, tmp_path / "a.parquet")


def _tiny_model() -> Any:
    from recommender.model.training import train

    inter = build_interactions(n_users=20, n_films=8, per_user=4)
    return train(inter, TrainConfig(factors=2, iterations=1, segments=2, holdout=0),
                 progress=False)
