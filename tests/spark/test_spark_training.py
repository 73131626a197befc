"""Training on Spark (``recommender.spark.training``): from CSV / Parquet / dataset folders into
the same model folder as the local engine, served unchanged, and the ``Trainer`` interface.

Oracles: the local readers and weighting (same merged interactions, same confidence values),
planted taste groups (a film's audience comes from its group), and the HTTP service serving the
folder unchanged.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pyarrow as pa
import pytest
from spark_helpers import SMALL, write_csvs

from recommender.io.dataset import Interactions
from recommender.model import artifact
from recommender.model.config import TrainConfig
from recommender.model.weighting import confidence
from tests.service_fixtures import (
    N_GROUPS,
    ODD_FILM_ID,
    group_of_film,
    group_of_user,
)

pytestmark = pytest.mark.spark


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
    # and its logistic coefficients' covariance, as locally: a summary's rings get intervals
    from recommender.model.calibration_interval import COVERS
    from recommender.query.audience import audience_summary

    coef = model.calibration["model"]["coef"]
    assert np.asarray(model.calibration["model"]["cov"]).shape == (len(coef), len(coef))
    summary = audience_summary(model, "00000")
    assert summary["conversion_interval_note"] == COVERS
    assert all(t["expected_conversion_interval"] is not None for t in summary["tiers"]
               if t["expected_conversion"] is not None)
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




@pytest.mark.parametrize("scheme", ["bm25", "binary", "rating", "log"])
def test_spark_confidence_equals_local_weighting(spark: Any, scheme: str) -> None:
    from recommender.spark.training import spark_confidence

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
    got = spark_confidence(df, config, inter.n_users, has_rating=True).toArrow()
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
    write_csvs(planted, folder)  # the project's folder layout, read by the local reader
    out = tmp_path / "model"
    code = main(["train", "--engine", "spark", "--spark-master", "local[2]", "--data",
                 str(folder), "--out", str(out), "--factors", "4", "--iterations", "3",
                 "--holdout", "0", "--segments", "2"])
    assert code == 0, capsys.readouterr().err
    model = artifact.load(out)
    assert model.meta["model"] == "als-spark" and model.calibration == {}
    assert model.catalog.titles[model.film_index("00000")] == "The Matrix"
    # the folder's users file was read, as the local trainer records it
    assert model.meta["data"]["users_file_read"] is (folder / "users.csv").is_file()
    capsys.readouterr()
    assert main(["audience", str(out), ODD_FILM_ID, "--json", "--k", "3"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert [u["rank"] for u in body["users"]] == [1, 2, 3] and body["film_id"] == ODD_FILM_ID
    ids = tmp_path / "films.txt"
    ids.write_text(f"{ODD_FILM_ID}\n00003\n")
    code = main(["audiences", str(out), "--engine", "spark", "--films", str(ids), "--k", "4",
                 "--out", str(tmp_path / "some.parquet")])
    assert code == 0, capsys.readouterr().err
    from recommender.spark.scoring import read_audiences

    table = read_audiences(tmp_path / "some.parquet")
    assert table.num_rows == 8
    assert sorted(set(table.column("film_id").to_pylist())) == ["00003", ODD_FILM_ID]
    code = main(["train", "--engine", "spark", "--model", "bpr", "--data", str(folder),
                 "--out", str(tmp_path / "bpr")])
    assert code == 2 and "ALS only" in capsys.readouterr().err


def test_a_spark_fit_that_predicts_next_to_nothing_is_recorded(spark: Any,
                                                               planted: Interactions) -> None:
    """As the local engine: a regularization that shrinks every vector to round-off is
    recorded in meta.json (the CLI's warning reads it). Oracle: the vectors' lengths."""
    from dataclasses import replace

    from recommender.spark.training import train_spark_interactions

    model = train_spark_interactions(planted, replace(SMALL, regularization=1e9, holdout=0.0),
                                     spark=spark)
    bound = float(np.linalg.norm(model.user_factors, axis=1).max()
                  * np.linalg.norm(model.film_factors, axis=1).max())
    assert bound <= 1e-3
    assert "--regularization 1e+09" in model.meta["collapsed"]["note"]


def test_spark_records_the_rows_read_and_the_duplicates_merged(spark: Any,
                                                               planted: Interactions,
                                                               tmp_path: Path) -> None:
    """meta.json's ``rows_read`` and ``duplicate_rows_merged``, as the local trainer records
    them (Spark wrote neither, so a ``wc -l`` of the log did not add up). Oracles: the CSV's
    own rows and distinct (user, film) pairs, and the local trainer on the same file."""
    from dataclasses import replace

    import pyarrow.csv as pacsv

    from recommender.io.readers import load
    from recommender.model.training import train
    from recommender.spark.training import train_spark

    path = write_csvs(planted, tmp_path)[0]
    table = pacsv.read_csv(path)
    twice = table.slice(0, 25)  # 25 rows again, and one of them a third time
    log = tmp_path / "log.csv"
    pacsv.write_csv(pa.concat_tables([table, twice, twice.slice(3, 1)]), log)
    rows = table.num_rows + 26
    pairs = len(set(zip(table.column("userId").to_pylist(), table.column("movieId").to_pylist(),
                        strict=True)))
    config = replace(SMALL, holdout=0.0)
    data = train_spark(log, config, spark=spark).meta["data"]
    assert (data["rows_read"], data["duplicate_rows_merged"]) == (rows, rows - pairs)
    assert data["interactions"] == pairs
    local = train(load(log), config, progress=False).meta["data"]
    assert {k: local[k] for k in ("rows_read", "duplicate_rows_merged", "interactions")} == \
        {k: data[k] for k in ("rows_read", "duplicate_rows_merged", "interactions")}


def test_spark_trainer_is_a_trainer() -> None:
    """``SparkTrainer`` implements the ``Trainer`` interface (its fit runs in the contract
    suite, ``tests/contracts``); the constructor only stores its settings."""
    from recommender.model.trainer import Trainer
    from recommender.spark.training import SparkTrainer

    trainer = SparkTrainer()
    assert isinstance(trainer, Trainer) and trainer.name == SparkTrainer.name == "spark"
    assert (trainer.master, trainer.progress, trainer.spark) == ("local[2]", False, None)


def test_spark_refuses_the_ease_family_before_starting(planted: Interactions) -> None:
    """MLlib fits ALS only: a config asking for the EASE family is refused with the reason,
    before any session starts (a model tagged "ease" without its fold-in projection would not
    load)."""
    from recommender.errors import InvalidParameterError
    from recommender.spark.training import train_spark_interactions

    with pytest.raises(InvalidParameterError, match="ALS family only"):
        train_spark_interactions(planted, TrainConfig(family="ease"), spark=None)
    # nor can MLlib warm-start: a warm refit asked for in a --config is refused, not ignored
    with pytest.raises(InvalidParameterError, match="warm_iterations"):
        train_spark_interactions(planted, TrainConfig(warm_iterations=2), spark=None)


@pytest.mark.slow
def test_spark_min_rating_keeps_low_rated_watches_out_of_audiences(
        spark: Any, planted: Interactions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``--min-rating`` leaves low ratings out of MLlib's fit only, as on the local engine:
    they stay watches, so their viewers are never in those films' audiences. Oracles: the
    planted ratings, and the rows each MLlib fit is given."""
    import pyarrow.csv as pacsv

    import recommender.spark.training as spark_training
    from recommender.query.audience import film_audience
    from recommender.spark.training import train_spark

    fitted_rows: list[int] = []
    real_fit = spark_training._fit

    def spy(conf: Any, *args: Any) -> Any:
        fitted_rows.append(int(conf.count()))
        return real_fit(conf, *args)

    monkeypatch.setattr(spark_training, "_fit", spy)

    low = np.random.default_rng(5).random(len(planted)) < 1 / 3
    users = planted.users.ids[planted.user_idx]
    films = planted.films.ids[planted.film_idx]
    low |= films == films[0]  # a film every viewer rated low: nothing of it is fitted
    unliked = sorted(set(films.tolist()) - set(films[~low].tolist()))
    path = tmp_path / "rated.csv"
    pacsv.write_csv(pa.table({"user_id": users, "film_id": films,
                              "rating": np.where(low, 1.0, 4.0)}), path)
    model = train_spark(str(path), TrainConfig(factors=4, iterations=2, segments=2, holdout=0.2,
                                               seed=1, min_rating=3.0), spark=spark,
                        progress=False)
    assert model.seen.nnz == len(planted)
    assert model.meta["data"]["interactions"] == len(planted)
    assert model.meta["data"]["interactions_fitted"] == int((~low).sum())
    # what a recorded event's new pair stands for in the overlay, as the local trainer
    # records it: the ratings' median raised to --min-rating
    assert model.meta["data"]["event_rating"] == max(float(np.median(np.where(low, 1.0, 4.0))),
                                                     3.0)
    assert model.calibration["interactions"] == len(planted)
    # the calibration fit, then the final one: liked ratings only
    assert len(fitted_rows) == 2 and fitted_rows[1] == int((~low).sum())
    assert fitted_rows[0] < fitted_rows[1]
    # counted as the local trainer counts them (they were not, on Spark)
    assert films[0] in unliked
    assert model.meta["films_without_liked"]["count"] == len(unliked)
    for film_id in unliked:
        assert not model.film_factors[model.film_index(film_id)].any()
    for film_id in sorted(set(films[low].tolist()))[:10]:
        listed = set(np.asarray(film_audience(model, film_id, k=model.n_users).user_ids).tolist())
        disliked = set(users[low & (films == film_id)].tolist())
        assert disliked and not listed & disliked, film_id
    # the pairs left out of the fit are recorded, as the local trainer records them: a
    # recommendation's reasons never cite one (they cited films rated low)
    left = {(str(model.users.ids[u]), str(model.films.ids[f]))
            for u, f in zip(*model.unfitted.nonzero(), strict=True)}
    assert left == set(zip(users[low].tolist(), films[low].tolist(), strict=True))
    assert model.meta["unfitted_pairs"] == int(low.sum()) and model.meta["format_version"] == 3
    # the Spark export says how many of its films have nothing fitted, as the local one does
    from recommender.cli import main

    folder = artifact.save(model, tmp_path / "model")
    capsys.readouterr()
    code = main(["audiences", str(folder), "--engine", "spark", "--all", "--k", "2",
                 "--out", str(tmp_path / "all.parquet")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert (f"warning: {len(unliked):,} of the {model.n_films:,} films have nothing fitted"
            in err)
    # ids from standard input, which can be read once only (a second read for the warning
    # found none and failed the command after the export was written)
    import io

    class Stdin:
        buffer = io.BytesIO(f"{unliked[0]}\n{films[~low][0]}\n".encode())

    monkeypatch.setattr("sys.stdin", Stdin())
    code = main(["audiences", str(folder), "--engine", "spark", "--films", "-", "--k", "2",
                 "--out", str(tmp_path / "two.parquet")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "warning: 1 of the 2 films have nothing fitted" in err and "wrote 4 rows" in out


@pytest.mark.slow
def test_spark_equal_timestamps_hold_out_a_random_share(spark: Any, planted: Interactions,
                                                        tmp_path: Path) -> None:
    """A log whose timestamps are all equal: "the latest 10%" cut at the quantile held out
    nothing, so the model had no tier conversion. It now holds out a seeded random share, as
    for a log without timestamps, and says so. Oracle: the share held and the calibration's
    own account; the same log with distinct timestamps is still cut by time."""
    import pyarrow.csv as pacsv

    from recommender.model.calibration import has_model
    from recommender.spark.training import train_spark

    users = planted.users.ids[planted.user_idx]
    films = planted.films.ids[planted.film_idx]
    cfg = TrainConfig(factors=4, iterations=2, segments=2, holdout=0.2, seed=1)
    for name, ts, how in (("same", np.full(len(planted), 1_600_000_000), "random 20%"),
                          ("distinct", 1_600_000_000 + np.arange(len(planted)), "latest 20%")):
        path = tmp_path / f"{name}.csv"
        pacsv.write_csv(pa.table({"user_id": users, "film_id": films, "timestamp": ts}), path)
        model = train_spark(str(path), cfg, spark=spark, progress=False)
        # before: the quantile cut held nothing out of the equal log, so no calibration at all
        assert model.calibration["holdout"].startswith(how)
        assert has_model(model.calibration) or how.startswith("latest")
        held = sum(model.calibration["film_recent"])
        assert abs(held - 0.2 * len(planted)) < 5 * np.sqrt(0.16 * len(planted))
        # when the log happened, in UTC, as the local engine's meta.json says it (each pair
        # once here, so its first event is its time)
        span = model.meta["data"]["time_span"]
        assert (span["first_unix_seconds"], span["last_unix_seconds"], span["timezone"]) \
            == (int(ts.min()), int(ts.max()), "UTC")
        assert span["last"] == datetime.fromtimestamp(int(ts.max()), UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.slow
def test_spark_holds_out_when_the_latest_date_holds_more_than_the_share(
        spark: Any, planted: Interactions, tmp_path: Path) -> None:
    """A week written as dates, its last date holding 1/7 of the log: the 90% quantile is that
    date, the log's last time, and "later than the cut" held nothing out, so the model had no
    tier conversion at all, where the local engine holds out the latest 10% (ties by
    position) over one day. Oracle: the local engine on the same file (holdout and horizon)
    and the share held."""
    import pyarrow.csv as pacsv

    from recommender.io.readers import load
    from recommender.model.training import train
    from recommender.spark.training import train_spark

    n = len(planted)
    days = np.sort(np.arange(n) % 7)
    path = tmp_path / "dates.csv"
    pacsv.write_csv(pa.table({"user_id": planted.users.ids[planted.user_idx],
                              "film_id": planted.films.ids[planted.film_idx],
                              "timestamp": 1_577_836_800 + days * 86_400}), path)
    cfg = TrainConfig(factors=4, iterations=2, segments=2, holdout=0.1, seed=1)
    local = train(load(path), cfg, progress=False).calibration
    model = train_spark(str(path), cfg, spark=spark, progress=False)
    got = model.calibration
    assert got.get("holdout") == local["holdout"] == "latest 10% of training interactions"
    assert got["horizon_days"] == local["horizon_days"] == 1.0
    held = sum(got["film_recent"])
    assert abs(held - 0.1 * n) < 5 * np.sqrt(0.09 * n)


@pytest.mark.slow
def test_spark_train_warns_of_a_time_column_under_another_name(
        spark: Any, planted: Interactions, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Spark reads times from the columns the local reader does (timestamp, rating_timestamp):
    a log whose times sit in ``event_time`` trained on Spark as one without times (a random
    holdout, no horizon) without the warning the local engine gives. Oracle: the header
    written and the model's own account (no timestamps)."""
    import pyarrow.csv as pacsv

    from recommender.cli import main

    path = tmp_path / "log.csv"
    pacsv.write_csv(pa.table({"user_id": planted.users.ids[planted.user_idx],
                              "film_id": planted.films.ids[planted.film_idx],
                              "event_time": 1_600_000_000 + np.arange(len(planted))}), path)
    out = tmp_path / "model"
    code = main(["train", "--engine", "spark", "--spark-master", "local[2]", "--data",
                 str(path), "--out", str(out), "--factors", "4", "--iterations", "2",
                 "--segments", "2"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert artifact.load(out).meta["data"]["has_timestamps"] is False
    assert "column 'event_time' not read: interaction times are read from a column named " \
           "timestamp" in err


def test_spark_holds_out_the_latest_share_exactly(spark: Any) -> None:
    """The calibration holdout is the latest ``round(rows x share)`` interactions, as the local
    engine's: the cut was Spark's approximate quantile (relative error 1e-4), which held out 8
    rows more of the demo log's 100,000 than the local engine (horizon 106.269 days against
    106.216). Oracle: ``calibration_horizon.latest``, the local engine's cut, on the same
    distinct timestamps."""
    from recommender.model.calibration_horizon import latest
    from recommender.spark.training import _holdout

    n = 100_000
    ts = 1_600_000_000 + np.random.default_rng(0).permutation(n).astype(np.int64) * 37
    df = spark.createDataFrame(pa.table({"i": np.arange(n), "timestamp": ts}))
    held, by_time = _holdout(df, 0.1, 1, True)
    got = np.sort(held.filter("held").select("i").toArrow().column(0).to_numpy())
    assert by_time
    assert got.tolist() == np.flatnonzero(latest(ts, 10_000, seed=1)).tolist()
