"""Parquet folders on Spark: files holding different log columns are refused before Spark reads
them (``recommender.spark.parquet_parts``: Spark took one file's columns for every file), and
partition folders' values are read as the ids they are (``timestamps._read_parquet``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recommender.errors import DataError

pytestmark = pytest.mark.spark


def _folder(tmp_path: Path, rated_first: bool) -> Path:
    """Two parts of one log: one with ids only, one with ratings and times too."""
    folder = tmp_path / "log.d"
    folder.mkdir()
    bare = pa.table({"user_id": ["u1", "u2", "u3"], "film_id": ["f1", "f2", "f1"]})
    full = pa.table({"user_id": ["u4", "u1"], "film_id": ["f2", "f3"],
                     "rating": [4.0, 2.0], "timestamp": [1_600_000_000, 1_600_000_100]})
    first, second = (full, bare) if rated_first else (bare, full)
    pq.write_table(first, folder / "part-0.parquet")
    pq.write_table(second, folder / "part-1.parquet")
    (folder / "_SUCCESS").write_text("")
    return folder


@pytest.mark.parametrize("rated_first", [False, True])
def test_a_folder_of_parts_with_different_columns_is_refused(spark: Any, tmp_path: Path,
                                                             rated_first: bool) -> None:
    # the ratings and times of part-1 were dropped from every row when part-0 lacked them
    # (a model 'without ratings or times', no word said), and read as null in part-1's rows
    # the other way round ("2 rows with bad rating": its rows have no rating column at all)
    from recommender.spark.reading import read_source

    folder = _folder(tmp_path, rated_first)
    with pytest.raises(DataError) as e:
        read_source(spark, str(folder), None, None)
    text = str(e.value)
    assert str(folder) in text and "different columns" in text
    assert "part-0.parquet" in text and "part-1.parquet" in text
    assert "rating, timestamp missing from some files" in text


def test_a_folder_of_parts_with_the_same_columns_reads_every_row(spark: Any,
                                                                 tmp_path: Path) -> None:
    from recommender.spark.reading import read_source

    folder = _folder(tmp_path, rated_first=True)
    pq.write_table(pa.table({"user_id": ["u5"], "film_id": ["f1"], "rating": [5.0],
                             "timestamp": [1_600_000_200], "comment": ["kept out"]}),
                   folder / "part-1.parquet")  # another column, no log column: not a mix
    rows = read_source(spark, str(folder), None, None).events.toArrow()
    assert sorted(rows.column("user_id").to_pylist()) == ["u1", "u4", "u5"]
    assert sorted(rows.column("rating").to_pylist()) == [2.0, 4.0, 5.0]


def test_a_log_partitioned_by_film_keeps_its_ids_byte_for_byte(spark: Any,
                                                              tmp_path: Path) -> None:
    # Spark typed partition values that look like numbers or dates: film_id=0042/ read as
    # 42, 0042 and 042 merged into one film, 1e3 read as 1000
    import pyarrow.dataset as ds

    from recommender.spark.reading import read_source

    films = ["0042", "042", "1e3", "7"]  # a text value among them made Spark keep text
    users = [f"u{i}" for i in range(len(films))]
    folder = tmp_path / "by_film"
    ds.write_dataset(pa.table({"user_id": users, "film_id": films}), folder, format="parquet",
                     partitioning=ds.partitioning(pa.schema([("film_id", pa.string())]),
                                                  flavor="hive"))
    assert (folder / "film_id=0042").is_dir()
    rows = read_source(spark, str(folder), None, None).events.toArrow()
    got = dict(zip(rows.column("user_id").to_pylist(), rows.column("film_id").to_pylist(),
                   strict=True))
    assert got == dict(zip(users, films, strict=True))


def test_a_csv_folder_partitioned_by_film_keeps_its_ids_byte_for_byte(
        spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a URI naming a CSV folder (Spark's df.write.partitionBy("film_id").csv): its partition
    # values were typed as the Parquet folder's were, 0042 and 042 read as film 42, 1e3 as 1000
    from recommender.spark import reading

    monkeypatch.setattr(reading, "is_uri", lambda _: True)  # file: stands for s3a:// here
    films = ["0042", "042", "1e3", "7"]
    folder = tmp_path / "log.csv"
    for i, film in enumerate(films):
        (folder / f"film_id={film}").mkdir(parents=True)
        (folder / f"film_id={film}" / "part-0.csv").write_text(f"user_id\nu{i}\n")
    rows = reading.read_source(spark, folder.as_uri(), None, None).events.toArrow()
    got = dict(zip(rows.column("user_id").to_pylist(), rows.column("film_id").to_pylist(),
                   strict=True))
    assert got == {f"u{i}": film for i, film in enumerate(films)}
    assert spark.conf.get("spark.sql.sources.partitionColumnTypeInference.enabled", None) \
        is None  # restored


def test_a_folder_naming_a_column_two_ways_is_refused(spark: Any, tmp_path: Path) -> None:
    # timestamp in one file, rating_timestamp (its alias) in another: Spark took one name for
    # all and read the other file's times as null, "3 rows with bad timestamp"
    from recommender.spark.reading import read_source

    folder = tmp_path / "log.d"
    folder.mkdir()
    pq.write_table(pa.table({"user_id": ["u1", "u2"], "film_id": ["f1", "f2"],
                             "timestamp": [1_600_000_000, 1_600_000_100]}),
                   folder / "part-0.parquet")
    pq.write_table(pa.table({"User_Id": ["u3", "u4", "u5"], "film_id": ["f1", "f3", "f2"],
                             "rating_timestamp": [1_700_000_000, 1_700_000_001, 1_700_000_002]}),
                   folder / "part-1.parquet")
    with pytest.raises(DataError) as e:
        read_source(spark, str(folder), None, None)
    text = str(e.value)
    assert "different columns" in text and "part-0.parquet" in text and "part-1.parquet" in text
    assert "(timestamp named differently" in text  # User_Id: the same name to Spark


def test_each_footer_is_read_once_for_both_checks(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The mixed-columns check and the nanosecond-timestamp check each read every file's
    footer (two passes over a folder, 0.5 s each at 5,000 files); once now, and again only
    for a file written since. No Spark needed: both checks run before it."""
    from recommender.spark import parquet_parts
    from recommender.spark.parquet_parts import refuse_mixed_columns
    from recommender.spark.timestamps import _local_nanos

    folder = tmp_path / "log"
    folder.mkdir()
    for i in range(3):
        pq.write_table(pa.table({"user_id": [f"u{i}"], "film_id": ["f"],
                                 "timestamp": pa.array([i], pa.timestamp("s"))}),
                       folder / f"part-{i}.parquet")
    parquet_parts._schema.cache_clear()
    read: list[str] = []
    real = pq.read_schema
    monkeypatch.setattr(pq, "read_schema", lambda f, *a, **k: read.append(str(f)) or real(
        f, *a, **k))
    refuse_mixed_columns(folder, "log")
    assert not _local_nanos(folder)
    assert sorted(read) == sorted(str(f) for f in folder.glob("*.parquet"))
    pq.write_table(pa.table({"user_id": ["u9"], "film_id": ["f"],  # rewritten: read again
                             "timestamp": pa.array([9], pa.timestamp("ns"))}),
                   folder / "part-1.parquet")
    assert _local_nanos(folder)
    assert read.count(str(folder / "part-1.parquet")) == 2


@pytest.mark.parametrize("small_first", [True, False])
def test_a_pair_repeated_across_parts_keeps_the_rating_of_the_last_file_by_name(
        spark: Any, tmp_path: Path, small_first: bool) -> None:
    # Spark packs a folder's files into tasks largest first: the row ids alone put a small
    # part-1's events before a large part-0's, so the "latest" rating of a pair without
    # times followed the files' sizes, not their order (and --min-rating kept or dropped it)
    from recommender.io import readers
    from recommender.spark.reading import ROWS, merge_events, read_source

    folder = tmp_path / "log.d"
    folder.mkdir()
    small = pa.table({"user_id": ["u1"], "film_id": ["f1"], "rating": [1.0]})
    others = [f"x{i}" for i in range(2000)]
    large = pa.table({"user_id": ["u1", *others], "film_id": ["f1", *others],
                      "rating": [5.0] * 2001})
    parts = [small, large] if small_first else [large, small]
    for i, part in enumerate(parts):
        pq.write_table(part, folder / f"part-{i}.parquet")
    whole = tmp_path / "whole.parquet"  # the oracle: the local reader on the parts in order
    pq.write_table(pa.concat_tables(parts), whole)
    local = readers.load(whole)
    u1 = int(local.users.to_index(["u1"], strict=True)[0])
    want = float(local.rating[(local.user_idx == u1)][0])
    assert want == (5.0 if small_first else 1.0)
    src = read_source(spark, str(folder), None, None)
    got = (merge_events(src.events, True, False).filter("user_id = 'u1'").toArrow()
           .to_pylist())
    # ROWS: the log's rows merged into the pair (meta.json's rows_read counts them)
    assert got == [{"user_id": "u1", "film_id": "f1", "weight": 2.0, "rating": want, ROWS: 2}]
