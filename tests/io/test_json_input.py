"""A JSON file given as a log (or as an id list) is named as JSON: its first line was read as a
CSV header, and the error listed '{"user_id": "u1"' as a column name."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.errors import DataError
from recommender.io.readers import load, read_id_list


@pytest.mark.parametrize("text", ['{"user_id": "u1", "film_id": "f1"}\n',
                                  '\ufeff  [{"user_id": "u1", "film_id": "f1"}]\n',
                                  '[\n  {\n    "user_id": "u1",\n    "film_id": "f1"\n  }\n]\n'])
def test_json_is_named_as_json(tmp_path: Path, text: str) -> None:
    p = tmp_path / "log.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match="the file is JSON .*convert it first") as e:
        load(p)
    assert e.value.line == 1
    with pytest.raises(DataError, match="the file is JSON .*expected plain text"):
        read_id_list(p)


def test_braced_ids_are_not_json(tmp_path: Path) -> None:
    """A headerless id list or ``.dat`` log whose first id is a braced GUID (as Windows writes
    them) opens no JSON value: it was refused as JSON. Oracle: the ids as written."""
    guids = ["{6F9619FF-8B86-D011-B42D-00C04FC964FF}", "{7F9619FF-8B86-D011-B42D-00C04FC964FF}"]
    ids = tmp_path / "ids.txt"
    ids.write_text("".join(f"{g}\n" for g in guids), encoding="utf-8")
    assert read_id_list(ids) == guids
    log = tmp_path / "ratings.dat"
    log.write_text("".join(f"{g}::f1::4::100\n" for g in guids), encoding="utf-8")
    assert sorted(load(log).users.ids.tolist()) == guids


def test_a_json_users_or_films_file_is_told_the_header_it_lacks(tmp_path: Path) -> None:
    """``--users`` or ``--films`` as JSON was told "expected plain text, one row per line",
    which JSON lines are; and a JSON array was told to read it with ``lines=True``, which
    refuses an array."""
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id\nu1,f1\n", encoding="utf-8")
    users, films = tmp_path / "users.jsonl", tmp_path / "films.json"
    users.write_text('{"user_id": "u1", "region": "North"}\n', encoding="utf-8")
    films.write_text('[{"film_id": "f1", "title": "Heat"}]\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"expected a CSV with the header line 'user_id,"
                                        r"<attributes>'.*read_json\(path, lines=True\)\.to_csv"):
        load(log, users=users)
    with pytest.raises(DataError, match=r"header line 'film_id,title,year,genres'.*"
                                        r"read_json\(path\)\.to_csv"):
        load(log, films=films)
    with pytest.raises(DataError, match=r"read_json\(path\)\.to_parquet"):
        load(films)


def test_a_json_events_file_is_not_told_of_dat_logs(tmp_path: Path) -> None:
    """``events import`` of JSON was told "expected a CSV or TSV log with a header line,
    Parquet or a .dat log": it reads no .dat, and its header is an event's."""
    from recommender.campaigns.event_file import read_event_file

    events = tmp_path / "events.jsonl"
    events.write_text('{"user_id": "u1", "film_id": "f1", "timestamp": 1}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"expected a CSV or TSV file with the header line "
                                        r"'user_id,film_id,timestamp\[,weight\]\[,event_id\]', "
                                        r"or Parquet: convert") as e:
        read_event_file(events)
    assert ".dat" not in str(e.value)
