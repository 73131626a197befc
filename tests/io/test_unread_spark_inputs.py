"""The columns a log holds and training never reads are named for the inputs once only
``train --engine spark`` read (a folder of Parquet parts, a .csv.gz or .tsv.gz): its
warning that a time-like column is not read said nothing for them."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from recommender.io.readers import unread_log_columns


def test_spark_only_inputs_name_their_unread_columns(tmp_path: Path) -> None:
    table = pa.table({"user_id": ["u1"], "film_id": ["f1"], "event_time": [1], "stars": [4]})
    parts = tmp_path / "log.parquet"
    parts.mkdir()
    pq.write_table(table, parts / "part-00000.parquet")
    (parts / "_SUCCESS").write_bytes(b"")
    assert unread_log_columns(parts) == ["event_time", "stars"]
    for name, sep in (("log.csv.gz", ","), ("log.tsv.gz", "\t")):
        with gzip.open(tmp_path / name, "wt", encoding="utf-8") as f:
            f.write("\ufeff" + sep.join(["user_id", "film_id", "event_time"]) + "\r\n"
                    + sep.join(["u1", "f1", "5"]) + "\r\n")
        assert unread_log_columns(tmp_path / name) == ["event_time"], name
    # read columns are not named; an unreadable input names nothing
    pq.write_table(pa.table({"user_id": ["u1"], "film_id": ["f1"], "timestamp": [1]}),
                   tmp_path / "ok.parquet")
    assert unread_log_columns(tmp_path / "ok.parquet") == []
    (tmp_path / "bad.csv.gz").write_bytes(b"not gzip")
    assert unread_log_columns(tmp_path / "bad.csv.gz") == []
    (tmp_path / "empty").mkdir()
    assert unread_log_columns(tmp_path / "empty") == []
