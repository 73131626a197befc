"""Batch audiences in Spark (``recommender.spark.scoring``): the same rows as the local export
to the last bit (ties included), the tiers read off the export's own tier index, executors
that need no copy of this package, and the atomic write of the Parquet folder.

Oracles: the local engine's exact batch export on the same factors; ``tier_bounds``."""

from __future__ import annotations

import pickle
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from recommender.model import artifact
from tests.service_fixtures import ODD_FILM_ID

pytestmark = pytest.mark.spark


@pytest.mark.slow
def test_spark_batch_audiences_equal_the_local_export(spark: Any, spark_model_dir: Path,
                                                      tmp_path: Path) -> None:
    from recommender.query.export import write_audiences
    from recommender.spark.scoring import batch_audiences_spark, read_audiences

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
    # the local export's schema, nullability too: a Spark export read back had rank and
    # percentile "not null", so pyarrow.concat_tables refused it beside a local export
    assert got.schema.remove_metadata() == want.schema.remove_metadata()
    assert pa.concat_tables([want, got]).num_rows == 2 * rows
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


def test_a_k_above_the_users_keeps_no_more_per_task_than_there_are_users(
        spark: Any, spark_model_dir: Path, tmp_path: Path, monkeypatch: Any) -> None:
    """Each task kept a (films x k) top-k whatever the users: k=100,000 on the demo took 2.9
    GB of worker memory for the same rows as k=3,000. The tasks keep at most the users now,
    and the export is the local one's, every user of every film."""
    from recommender.query.export import write_audiences
    from recommender.spark import scoring

    model = artifact.load(spark_model_dir)
    k = model.n_users + 50
    kept: list[int] = []
    real = scoring._block_scorer

    def recorded(ff_bc: Any, task_k: int, *rest: Any) -> Any:
        kept.append(task_k)
        return real(ff_bc, task_k, *rest)

    monkeypatch.setattr(scoring, "_block_scorer", recorded)
    out = tmp_path / "audiences.parquet"
    rows = scoring.batch_audiences_spark(spark_model_dir, k, out, spark=spark, progress=False)
    assert kept == [model.n_users]
    write_audiences(model, np.arange(model.n_films), k, tmp_path / "local.parquet",
                    progress=False)
    want = pq.read_table(tmp_path / "local.parquet")
    assert rows == want.num_rows == scoring.read_audiences(out).num_rows


def test_spark_batch_audiences_break_ties_as_the_local_export(spark: Any, tmp_path: Path
                                                                ) -> None:
    """Integer factors give heavily tied, exactly representable scores: across tasks and
    film chunks the Spark export must pick and order tied users as the local export does
    (score descending, then the lower user index)."""
    from helpers import synthetic_model

    from recommender.query.export import write_audiences
    from recommender.spark.scoring import batch_audiences_spark, read_audiences

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
    # a second export replaces the first one whole, and leaves no temporary folder behind
    rows = batch_audiences_spark(model_dir, 3, tmp_path / "spark.parquet", spark=spark,
                                 progress=False)
    got = read_audiences(tmp_path / "spark.parquet")
    top3 = want.filter(pc.less_equal(want.column("rank"), 3))
    assert rows == got.num_rows == top3.num_rows
    assert got.column("user_id").to_pylist() == top3.column("user_id").to_pylist()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["local.parquet", "spark.parquet",
                                                          "ties-model"]


def test_spark_batch_audiences_need_a_parquet_path(tmp_path: Path) -> None:
    from recommender.errors import InvalidParameterError
    from recommender.spark.scoring import batch_audiences_spark

    with pytest.raises(InvalidParameterError, match=r"\.parquet"):
        batch_audiences_spark(tmp_path / "model", 10, tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()



def test_spark_output_refuses_to_replace_what_spark_did_not_write(tmp_path: Path) -> None:
    from recommender.errors import InvalidParameterError
    from recommender.spark.scoring import _write_partitioned

    mine = tmp_path / "mine.parquet"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    other = tmp_path / "other.parquet"
    other.write_text("someone else's file")
    for dest in (mine, other):
        with pytest.raises(InvalidParameterError, match="refusing to overwrite"):
            _write_partitioned(None, None, str(dest))  # refused before Spark is needed
    assert (mine / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("k", [1, 4, 50])
def test_tier_ends_are_the_local_tier_bounds(k: int) -> None:
    """Per film, the last rank (up to k) of each tier, as ``tier_bounds`` places them for the
    film's number of candidates; empty tiers included."""
    from recommender.query.audience import tier_bounds
    from recommender.spark.scoring import _tier_ends

    tiers = (("core", 5.0), ("empty", 0.4), ("wide", 20.0), ("rest", 74.6))
    n_cand = np.array([0, 1, 2, 3, 19, 20, 21, 99, 100, 101, 1234, 5000], np.int64)
    got = _tier_ends(n_cand, k, tiers)
    want = [[min(k, end) for _, _, end in tier_bounds(int(n), tiers)] for n in n_cand]
    assert got.tolist() == want


def test_block_scorer_runs_without_this_package(tmp_path: Path) -> None:
    """The block scorer, pickled as Spark pickles it, runs where ``recommender`` cannot be
    imported (a cluster's executors), and keeps each film's exact top-k of its users, ties to
    the lower user index, whatever the order and grouping of the users it is handed."""
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install '.[spark]')")
    from helpers import synthetic_model
    from pyspark import cloudpickle

    from recommender.spark.scoring import _block_scorer, shipped_by_value

    model = synthetic_model(n_users=300, n_films=23, seed=5, ties=True)
    films = np.array([0, 2, 3, 7, 8, 11, 12, 13, 20, 22], np.int64)
    ff = np.ascontiguousarray(model.film_factors[films], np.float32)
    k, rank_f = 6, ff.shape[1]
    broadcast = types.SimpleNamespace(value=(ff, films, model.score_slacks(ff)))
    with shipped_by_value():
        blob = cloudpickle.dumps(_block_scorer(broadcast, k, rank_f, True, 4))
    users = np.random.default_rng(0).permutation(model.n_users)
    seen = model.seen
    batches = [pa.RecordBatch.from_pydict({
        "user_idx": pa.array(part.astype(np.int32)),
        "features": pa.array(list(np.asarray(model.user_factors)[part]),
                             pa.list_(pa.float32())),
        "seen": pa.array([seen.indices[seen.indptr[u]:seen.indptr[u + 1]].astype(np.int32)
                          for u in part], pa.list_(pa.int32())),
    }) for part in np.array_split(users, 7)]
    (tmp_path / "scorer.pkl").write_bytes(blob)
    (tmp_path / "batches.pkl").write_bytes(pickle.dumps(batches))
    code = (
        "import pickle, sys\n"
        "sys.modules['recommender'] = None  # importing this package fails from here on\n"
        "scorer = pickle.loads(open('scorer.pkl', 'rb').read())\n"
        "out = list(scorer(iter(pickle.loads(open('batches.pkl', 'rb').read()))))\n"
        "open('out.pkl', 'wb').write(pickle.dumps(out))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = pa.Table.from_batches(pickle.loads((tmp_path / "out.pkl").read_bytes()))
    # oracle: every unseen user's exact score (float64 products summed, rounded to float32)
    exact = (np.asarray(model.user_factors, np.float64)[None, :, :]
             * ff.astype(np.float64)[:, None, :]).sum(axis=2).astype(np.float32)
    exact[np.asarray(model.seen_by_film[films].toarray() > 0)] = -np.inf
    for row, film in enumerate(films):
        order = np.lexsort((np.arange(model.n_users), -exact[row]))[:k]
        mine = got.filter(pc.equal(got.column("film_idx"), film))
        by_rank = np.lexsort((mine.column("user_idx").to_numpy(),
                              -mine.column("score").to_numpy()))
        assert mine.column("user_idx").to_numpy()[by_rank].tolist() == order.tolist()
        assert np.array_equal(mine.column("score").to_numpy()[by_rank], exact[row, order])


def test_an_export_with_no_row_writes_zero_rows(spark: Any, tmp_path: Path) -> None:
    # every user saw every film: Spark wrote only _SUCCESS and reading it back to count the
    # rows failed ("unable to infer schema"), exit 1; the local export says 0 rows
    import pyarrow as pa

    from recommender.io.dataset import Interactions
    from recommender.model.config import TrainConfig
    from recommender.model.training import train
    from recommender.spark.scoring import batch_audiences_spark

    users = [f"u{u}" for u in range(12) for _ in range(3)]
    films = [f"f{f}" for _ in range(12) for f in range(3)]
    model = train(Interactions.from_columns(pa.array(users), pa.array(films), source="full"),
                  TrainConfig(factors=2, iterations=2, segments=1, holdout=0.0, tune=False),
                  progress=False)
    folder = artifact.save(model, tmp_path / "m")
    out = tmp_path / "none.parquet"
    assert batch_audiences_spark(folder, 5, out, spark=spark, progress=False) == 0
    assert out.is_dir() and (out / "_SUCCESS").exists()


def test_the_export_scores_the_version_the_command_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``audiences --engine spark`` read the model (its film ids, its warnings), then the
    export read the folder again: a train finishing in between had the rows come from the
    newer version, under the older one's film list and warnings. Spark itself is not needed
    to see which model reaches the scoring."""
    from contextlib import nullcontext

    from helpers import synthetic_model

    from recommender.cli import commands, main
    from recommender.spark import scoring

    first, newer = synthetic_model(seed=1), synthetic_model(seed=2)
    first.meta["model_version"], newer.meta["model_version"] = "first", "newer"
    folder = artifact.save(first, tmp_path / "model")
    load, scored = commands._load_model, []

    def read_then_a_train_lands(path: str) -> Any:
        model = load(path)
        artifact.save(newer, folder)
        return model

    monkeypatch.setattr(commands, "_load_model", read_then_a_train_lands)
    monkeypatch.setattr(scoring, "session_scope", lambda *a: nullcontext(None))
    monkeypatch.setattr(scoring, "_batch",
                        lambda session, model, *rest: scored.append(model.version) or 0)
    assert main(["audiences", str(folder), "--engine", "spark", "--all", "--k", "5",
                 "--out", str(tmp_path / "a.parquet")]) == 0
    assert scored == ["first"]


def test_the_spark_export_carries_the_local_exports_context(spark: Any, spark_model_dir: Path,
                                                            tmp_path: Path) -> None:
    """The local Parquet export keeps its context (model version, store events, parameters,
    films with nothing fitted) in its schema metadata; the Spark export had none. It is now
    ``_recommender.json`` in the folder, which dataset readers skip, and ``read_audiences``
    gives it as the same schema metadata."""
    import json

    import pyarrow.dataset as ds

    from recommender.query.export import write_audiences
    from recommender.spark.scoring import (
        CONTEXT_FILE,
        batch_audiences_spark,
        put_text,
        read_audiences,
        read_audiences_context,
    )

    model = artifact.load(spark_model_dir)
    some = [ODD_FILM_ID, "00003", "00007"]
    out = tmp_path / "some.parquet"
    rows = batch_audiences_spark(spark_model_dir, 4, out, films=some, spark=spark,
                                 progress=False)
    write_audiences(model, model.films.to_index(some), 4, tmp_path / "local.parquet",
                    progress=False)
    want = json.loads(pq.read_schema(tmp_path / "local.parquet").metadata[b"recommender"])
    got = read_audiences_context(out)
    assert got is not None and (got["engine"], want["engine"]) == ("spark", "local")
    same = set(want) - {"engine", "exported"}
    assert {k: got[k] for k in same} == {k: want[k] for k in same}
    assert set(got) == set(want)
    table = read_audiences(out)
    assert table.num_rows == rows and json.loads(table.schema.metadata[b"recommender"]) == got
    # readers skip it: a plain dataset read finds the rows only
    assert ds.dataset(out, format="parquet", partitioning="hive").count_rows() == rows
    # a URI's context goes through Hadoop's file system (here the local one)
    put_text(spark, (tmp_path / "uri" / CONTEXT_FILE).as_uri(), json.dumps(got))
    assert read_audiences_context(tmp_path / "uri") == got


def test_a_failed_spark_write_leaves_no_context(tmp_path: Path) -> None:
    from recommender.spark.scoring import _write_partitioned

    class Broken:
        def partitionBy(self, *_: Any) -> Broken:  # noqa: N802 - Spark's name
            return self

        def parquet(self, _: str) -> None:
            raise RuntimeError("executor lost")

    out = tmp_path / "a.parquet"
    with pytest.raises(RuntimeError, match="executor lost"):
        _write_partitioned(None, types.SimpleNamespace(write=Broken()), str(out),
                           {"model_version": "v"})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("free, named", [(0, "out"), (1 << 40, "scratch")])
def test_a_full_device_under_the_spark_write_is_one_line_naming_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, free: int, named: str) -> None:
    """A Spark write that finds its device full (py4j's error: Java's IOException under some
    150 lines of stacks) is the local export's OSError, which the CLI says in one line (exit
    2): named by --out when its device is full, else Spark's scratch space; nothing left."""
    import errno
    import shutil

    from recommender.spark.scoring import _write_partitioned

    class Full:
        def partitionBy(self, *_: Any) -> Full:  # noqa: N802 - Spark's name
            return self

        def parquet(self, _: str) -> None:
            raise RuntimeError("An error occurred while calling o217.parquet.\n: org.apache."
                               "spark.SparkException: [TASK_WRITE_FAILED] Task failed while "
                               "writing rows\nCaused by: java.io.IOException: No space left "
                               "on device\n\tat java.base/java.io.FileOutputStream.writeBytes")

    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage._replace(free=free))
    out = tmp_path / "a.parquet"
    with pytest.raises(OSError) as caught:
        _write_partitioned(None, types.SimpleNamespace(write=Full()), str(out),
                           {"model_version": "v"})
    assert caught.value.errno == errno.ENOSPC
    assert caught.value.filename == str(out) if named == "out" else (
        "spark.local.dir" in caught.value.filename and str(out) in caught.value.filename)
    assert list(tmp_path.iterdir()) == []


def test_a_file_at_out_is_refused_before_spark_starts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file at ``--out`` (say a local export) was refused only once Spark had started and
    scored every film; it is refused first, named as given, saying what to do."""
    import contextlib

    from helpers import synthetic_model

    from recommender.errors import InvalidParameterError
    from recommender.spark import scoring

    folder = artifact.save(synthetic_model(seed=1), tmp_path / "model")
    started: list[Any] = []
    monkeypatch.setattr(scoring, "session_scope",
                        lambda *a: started.append(a) or contextlib.nullcontext(None))
    monkeypatch.setattr(scoring, "_batch", lambda *a: started.append(a) or 0)
    monkeypatch.chdir(tmp_path)
    Path("a.parquet").write_text("a local export")
    with pytest.raises(InvalidParameterError) as err:
        scoring.batch_audiences_spark(folder, 5, "a.parquet")
    assert str(err.value).startswith("a.parquet: a file")
    assert "remove it or give another --out" in str(err.value)
    assert started == [] and Path("a.parquet").read_text() == "a local export"


def test_the_spark_export_reports_what_the_local_one_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Spark export's last line lacked the local one's films x top k and time."""
    import re
    from contextlib import nullcontext

    from helpers import synthetic_model

    from recommender.cli import main
    from recommender.spark import scoring

    folder = artifact.save(synthetic_model(seed=1), tmp_path / "model")
    monkeypatch.setattr(scoring, "session_scope", lambda *a: nullcontext(None))
    monkeypatch.setattr(scoring, "_batch", lambda *a: 17)
    lines = []
    for engine in ("spark", "local"):
        out = tmp_path / f"{engine}.parquet"
        assert main(["audiences", str(folder), "--engine", engine, "--all", "--k", "5",
                     "--out", str(out)]) == 0
        last = capsys.readouterr().out.strip().splitlines()[-1]
        lines.append(re.sub(r"^wrote [\d,]+ rows|in [\d.]+ s", "", last.replace(str(out), "")))
    assert lines[0] == lines[1]


def test_an_export_to_a_path_with_a_space_or_a_bracket_is_written_there(
        spark: Any, spark_model_dir: Path, tmp_path: Path) -> None:
    """Spark was handed the temporary folder as a file URI (``%20``, ``%5B``), which Hadoop
    took as characters of the name: the rows went to a folder beside ``--out`` named
    ``my%20exports%5B1%5D``..., left there, and the export failed. Oracle: the local export
    of the same model; nothing but ``--out`` appears in its folder."""
    from recommender.query.export import write_audiences
    from recommender.spark.scoring import batch_audiences_spark, read_audiences

    where = tmp_path / "my exports[1]"
    where.mkdir()
    out = where / "a b[2]:c.parquet"
    rows = batch_audiences_spark(spark_model_dir, 4, out, spark=spark, progress=False)
    model = artifact.load(spark_model_dir)
    write_audiences(model, np.arange(model.n_films), 4, tmp_path / "local.parquet",
                    progress=False)
    want = pq.read_table(tmp_path / "local.parquet").sort_by(
        [("film_id", "ascending"), ("rank", "ascending")])
    got = read_audiences(out)
    assert rows == got.num_rows == want.num_rows
    for name in ("film_id", "user_id", "rank", "tier"):
        assert got.column(name).to_pylist() == want.column(name).to_pylist(), name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["local.parquet", "my exports[1]"]
    assert [p.name for p in where.iterdir()] == [out.name]
