"""A data folder holding two interaction logs is refused, naming both: with interactions.csv
and interactions.parquet the CSV was read, and with interactions.csv and a MovieLens
ratings.csv the project's log, each time leaving the other unread without a word."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import run_cli

from recommender.errors import DataError
from recommender.io.readers import load

LOG = "user_id,film_id\nu1,f1\nu2,f1\nu2,f2\n"


@pytest.mark.parametrize("other", ["interactions.parquet", "ratings.csv"])
def test_two_logs_in_one_folder_are_refused(tmp_path: Path, other: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "interactions.csv").write_text(LOG)
    if other.endswith(".parquet"):
        pq.write_table(pa.table({"user_id": ["u9"], "film_id": ["f9"]}), tmp_path / other)
    else:
        (tmp_path / other).write_text("userId,movieId,rating,timestamp\n1,2,4.0,964982703\n")
    with pytest.raises(DataError, match=f"holds 2 interaction logs \\(interactions.csv, "
                                        f"{other}\\)"):
        load(tmp_path)
    code, _, err = run_cli(capsys, "train", "--data", tmp_path, "--out", tmp_path / "m")
    assert code == 2 and "give the file itself as --data" in err
    assert not (tmp_path / "m").exists()
    # the file itself is read
    assert len(load(tmp_path / "interactions.csv")) == 3


def test_a_folder_of_parquet_parts_is_read(tmp_path: Path) -> None:
    """A folder of Parquet parts (Spark's table layout) was "no recognised dataset layout",
    then told that Spark reads it: the local engine reads it too."""
    folder = tmp_path / "log.parquet"
    folder.mkdir()
    pq.write_table(pa.table({"user_id": ["u1"], "film_id": ["f1"]}),
                   folder / "part-00000-x.snappy.parquet")
    got = load(folder)
    assert got.users.ids.tolist() == ["u1"] and got.films.ids.tolist() == ["f1"]
