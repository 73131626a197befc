"""``events import DIR`` of a folder of Parquet part files, as ``train --data DIR`` reads one
(``recommender.io.part_files``): it was refused "expected a file, found a folder"."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import run_cli

from recommender.campaigns.event_file import read_event_file
from recommender.campaigns.events import count_events
from recommender.campaigns.store import open_store
from recommender.errors import DataError

T0 = 1_700_000_000


def part(path: Path, users: list[str], films: list[str], weight: list[float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"user_id": users, "film_id": films,
                             "timestamp": [T0 + i for i in range(len(users))],
                             "weight": weight}), path)


def test_a_folder_of_parts_is_the_events_of_its_parts_in_path_order(tmp_path: Path) -> None:
    folder = tmp_path / "events"
    # written out of order: read in the order of their paths, as training reads them
    part(folder / "part-00001.parquet", ["u3", "u4"], ["0042", "f/2"], [1.0, 2.0])
    part(folder / "part-00000.parquet", ["u1", "007"], ["f1", "f1"], [1.0, 1.0])
    (folder / "_SUCCESS").write_text("")  # Spark's marker: not data
    whole = tmp_path / "whole.parquet"  # the oracle: the parts as one file, in path order
    pq.write_table(pa.concat_tables([pq.read_table(folder / f"part-0000{i}.parquet")
                                     for i in (0, 1)]), whole)
    got, expected = read_event_file(folder), read_event_file(whole)
    assert got == expected  # event ids derived from the rows: one import of either stores once
    assert got.user_id == ["u1", "007", "u3", "u4"] and got.film_id[2] == "0042"


def test_a_bad_row_names_its_part_and_a_folder_without_parts_is_refused(tmp_path: Path
                                                                         ) -> None:
    folder = tmp_path / "events"
    part(folder / "part-0.parquet", ["u1"], ["f1"], [1.0])
    part(folder / "part-1.parquet", ["u2", "u3"], ["f1", "f2"], [1.0, -1.0])
    with pytest.raises(DataError) as e:
        read_event_file(folder)
    assert "part-1.parquet, row 2: weight -1.0 must be a number in (0" in str(e.value)
    empty = tmp_path / "csvs"
    empty.mkdir()
    (empty / "events.csv").write_text("user_id,film_id,timestamp\nu,f,1700000000\n")
    with pytest.raises(DataError) as e:
        read_event_file(empty)
    assert "found a folder that holds no Parquet part" in str(e.value)


def test_events_import_stores_a_folders_events(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "events"
    part(folder / "date=2024-01-01" / "part-0.parquet", ["u1"], ["f1"], [1.0])
    part(folder / "date=2024-01-02" / "part-0.parquet", ["u2"], ["f1"], [1.0])
    store = tmp_path / "store.db"
    code, _, err = run_cli(capsys, "events", "import", folder, "--store", store)
    # the partition key is a column an event does not have: refused as a file's would be
    assert code == 2 and "column 'date' is not read" in err
    flat = tmp_path / "flat"
    part(flat / "part-0.parquet", ["u1"], ["f1"], [1.0])
    part(flat / "part-1.parquet", ["u2", "u3"], ["f1", "f2"], [1.0, 3.0])
    for _ in range(2):  # a second import stores nothing twice
        code, _, err = run_cli(capsys, "events", "import", flat, "--store", store)
        assert code == 0, err
    s = open_store(str(store))
    try:
        assert count_events(s) == 3
    finally:
        s.close()
