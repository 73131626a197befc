"""A blank rating under ``--engine spark``: the refusal offers what works there. Spark's
check reads the file again with the local reader to name the line (``checks.with_line``),
and copied its words: "give --blank-ratings drop ... or --blank-ratings implicit", which
``train --engine spark`` refuses ("works with the local engine only"). It now says to fill
the ratings in, or to leave ``--engine spark`` out for those options (a column of nulls
alone: to leave it out).

Oracles: the CLI itself (each option the message offers is run as offered: refused with
``--engine spark``, taken without it), and the local reader's own refusal, unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recommender.cli import main
from recommender.errors import DataError
from recommender.io.readers import load
from recommender.spark.checks import with_line

ROWS = [("u1", "f1", "4"), ("u2", "f1", ""), ("u3", "f2", "3"), ("u1", "f2", " "),
        ("u2", "f3", "5"), ("u3", "f3", "2")]


def _csv(tmp_path: Path, rows: list[tuple[str, str, str]] = ROWS) -> Path:
    path = tmp_path / "log.csv"
    path.write_text("user_id,film_id,rating\n" + "".join(f"{u},{f},{r}\n" for u, f, r in rows),
                    encoding="utf-8")
    return path


def _spark_said(path: Path) -> str:
    """What Spark's check says of ``path`` once ``with_line`` adds the local reader's place
    (Spark's own words: a count and an example, no line)."""
    error = with_line(DataError(str(path), "2 rows with bad rating, e.g. ''"), path)
    return error.reason


def _train(argv: list[str], capsys: Any) -> tuple[int, str]:
    code = main(["train", *argv])
    return code, capsys.readouterr().err


def test_spark_words_offer_only_what_spark_and_the_local_engine_take(
        tmp_path: Path, capsys: Any) -> None:
    path = _csv(tmp_path)
    said = _spark_said(path)
    assert "the local reader stops at line 3" in said  # the first blank, as before
    assert "lines 3 and 5" in said
    assert "; give --blank-ratings drop to leave" not in said
    assert "fill them in, or leave --engine spark out" in said
    # each choice offered, as offered: with --engine spark refused, without it taken
    for choice in ("drop", "implicit"):
        assert f"--blank-ratings {choice}" in said
        code, err = _train(["--data", str(path), "--out", str(tmp_path / f"s_{choice}"), "--engine",
                            "spark", "--blank-ratings", choice], capsys)
        assert code == 2 and "works with the local engine only" in err
        code, _ = _train(["--data", str(path), "--out", str(tmp_path / f"l_{choice}"),
                          "--blank-ratings", choice, "--factors", "2", "--iterations", "1"],
                         capsys)
        assert code == 0 and (tmp_path / f"l_{choice}").is_dir()


def test_the_local_refusal_keeps_its_own_words(tmp_path: Path) -> None:
    path = _csv(tmp_path)
    _spark_said(path)  # the engine's words are set for that reading alone
    with pytest.raises(DataError) as local:
        load(path)
    assert local.value.line == 3
    assert "give --blank-ratings drop to leave those rows out, or --blank-ratings implicit " \
           "to keep them as views without a rating; or fill them in" in local.value.reason
    assert "--engine" not in local.value.reason


def test_a_column_of_nulls_alone_is_to_be_left_out(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    pq.write_table(pa.table({"user_id": ["u1", "u2", "u3"], "film_id": ["f1", "f1", "f2"],
                             "rating": pa.array([None, None, None], pa.float64())}), path)
    said = _spark_said(path)
    assert "the local reader stops at row 1" in said
    assert "the rating column is optional, leave it out (or leave --engine spark out and " \
           "give --blank-ratings implicit)" in said
    with pytest.raises(DataError) as local:  # the local engine's words, as they were
        load(path)
    assert local.value.reason.endswith("leave it out, or give --blank-ratings implicit)")
    # leaving the column out is read (the first choice offered)
    plain = tmp_path / "plain.parquet"
    pq.write_table(pq.read_table(path).drop_columns(["rating"]), plain)
    assert load(plain).rating is None


def test_spark_training_says_what_it_takes(spark: Any, tmp_path: Path) -> None:
    """The whole path: ``train_spark`` on a partly rated CSV."""
    from spark_helpers import SMALL

    from recommender.spark.training import train_spark

    with pytest.raises(DataError) as e:
        train_spark(str(_csv(tmp_path)), SMALL, spark=spark)
    assert "leave --engine spark out" in str(e.value)
    assert "; give --blank-ratings drop to leave" not in str(e.value)
