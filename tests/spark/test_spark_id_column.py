"""``batch_audiences_spark(films_file=..., id_column=...)`` reads a CSV export's film ids by the
column named, as ``audiences --films FILE --id-column NAME`` does: a library caller gets the
films the CLI would, and the same audiences.

Oracles: the film ids written into the file's named column by hand; the local export the CLI
writes from the same file and column (``--engine local``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from recommender.errors import DataError, InvalidParameterError
from recommender.model import artifact
from tests.service_fixtures import ODD_FILM_ID

#: the films the file's "Picked" column names (its film_id column names others)
PICKED = ["00007", ODD_FILM_ID, "00003"]


def two_id_columns(path: Path) -> Path:
    """A CSV export whose ``film_id`` column names other films than its ``Picked`` column:
    read by the default rule (the column named like an id) it gives other films."""
    rows = zip(["00010", "00011", "00012"], PICKED, strict=True)
    path.write_text("film_id,Picked\n" + "".join(f"{a},{b}\n" for a, b in rows),
                    encoding="utf-8")
    return path


@pytest.mark.slow
def test_spark_batch_reads_the_named_column_as_the_cli_does(spark: Any, spark_model_dir: Path,
                                                            tmp_path: Path) -> None:
    from recommender.cli import main
    from recommender.spark.scoring import batch_audiences_spark, read_audiences

    films = two_id_columns(tmp_path / "films.csv")
    out = tmp_path / "spark.parquet"
    rows = batch_audiences_spark(spark_model_dir, 5, out, films_file=films,
                                 id_column="picked", spark=spark, progress=False)
    local = tmp_path / "local.parquet"
    assert main(["audiences", str(spark_model_dir), "--films", str(films), "--id-column",
                 "picked", "--k", "5", "--out", str(local)]) == 0
    got = read_audiences(out)
    want = pq.read_table(local).sort_by([("film_id", "ascending"), ("rank", "ascending")])
    assert set(got.column("film_id").to_pylist()) == set(PICKED)  # not the film_id column's
    assert rows == got.num_rows == want.num_rows == 5 * len(PICKED)
    for name in ("film_id", "user_id", "rank", "score", "tier", "segment"):
        assert got.column(name).to_pylist() == want.column(name).to_pylist(), name


def test_id_column_without_films_file_is_refused(tmp_path: Path) -> None:
    from helpers import synthetic_model

    from recommender.spark.scoring import batch_audiences_spark

    folder = artifact.save(synthetic_model(seed=1), tmp_path / "model")
    with pytest.raises(InvalidParameterError, match="give films_file, or leave id_column out"):
        batch_audiences_spark(folder, 5, tmp_path / "a.parquet", films=["00003"],
                              id_column="Picked")


def test_a_column_the_header_lacks_is_refused_before_spark_starts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same ``DataError`` as the CLI's (the file, line 1, the columns it has), and Spark
    never started."""
    from helpers import synthetic_model

    from recommender.spark import scoring

    started: list[object] = []
    monkeypatch.setattr(scoring, "session_scope", lambda *a: started.append(a))
    folder = artifact.save(synthetic_model(seed=1), tmp_path / "model")
    films = two_id_columns(tmp_path / "films.csv")
    with pytest.raises(DataError) as err:
        scoring.batch_audiences_spark(folder, 5, tmp_path / "a.parquet", films_file=films,
                                      id_column="movie")
    assert str(err.value) == (f"{films}, line 1: expected one id per line, or a CSV with one "
                              "id column; the header 'film_id,Picked' has no column named "
                              "'movie' (its columns: 'film_id', 'Picked')")
    assert started == [] and not (tmp_path / "a.parquet").exists()
