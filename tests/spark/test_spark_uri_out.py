"""A URI ``--out`` of the Spark export (written by Spark in place) is refused, as a local one
is, when it holds something Spark did not write: Spark's overwrite deleted it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import synthetic_model

from recommender.errors import InvalidParameterError
from recommender.model import artifact

pytestmark = pytest.mark.spark


def test_a_uri_out_holding_other_files_is_kept(spark: Any, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # a file: URI through Hadoop's file system stands for hdfs:// or s3a:// here
    from recommender.spark import scoring

    monkeypatch.setattr(scoring, "is_uri", lambda _: True)
    folder = artifact.save(synthetic_model(seed=1), tmp_path / "model")
    theirs = tmp_path / "theirs.parquet"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("keep me")
    a_file = tmp_path / "export.parquet"
    a_file.write_text("a local export")
    for dest in (theirs, a_file):
        with pytest.raises(InvalidParameterError, match="refusing to overwrite"):
            scoring.batch_audiences_spark(folder, 3, dest.as_uri(), spark=spark)
    assert (theirs / "notes.txt").read_text() == "keep me"
    assert a_file.read_text() == "a local export"
    # its own export, once written, is replaced by the next
    ours = (tmp_path / "ours.parquet").as_uri()
    first = scoring.batch_audiences_spark(folder, 3, ours, spark=spark)
    assert scoring.batch_audiences_spark(folder, 2, ours, spark=spark) < first
