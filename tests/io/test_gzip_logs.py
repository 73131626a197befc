"""A gzip-compressed CSV or TSV log (``log.csv.gz``) is read by the local engine, streamed
through gzip: it was refused "gzip-compressed ... decompress it first" while Spark read it.
The columns, and so the data's fingerprint (a digest of the parsed interactions), are the
plain file's; an error names the ``.gz`` file and the line of the text it holds."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from recommender.campaigns.event_file import read_event_file
from recommender.errors import DataError
from recommender.io import delimited, line_places
from recommender.io.readers import load, read_films, unread_log_columns

# a quoted id holding the separator, a quoted field spanning two lines, ISO times
TEXT = ('user_id,film_id,rating,timestamp,source\r\n'
        'u1,f1,4.5,2020-09-13T12:26:40Z,web\r\n'
        '"u,2",f2,3,2020-01-31T12:00:00Z,"two\nlines"\r\n'
        'u3,"0042",5,2020-09-13T12:28:20+01:00,app\r\n'
        'u1,f2,2,2020-09-13,web\r\n')


def _gz(path: Path, text: str) -> Path:
    path.write_bytes(gzip.compress(text.encode()))
    return path


def _same(a_path: Path, b_path: Path) -> None:
    a, b = load(a_path), load(b_path)
    assert a.fingerprint() == b.fingerprint()
    assert a.users.ids.tolist() == b.users.ids.tolist()
    assert a.films.ids.tolist() == b.films.ids.tolist()
    assert np.array_equal(a.rating, b.rating) and np.array_equal(a.timestamp, b.timestamp)


def test_a_gzip_log_reads_as_the_plain_file(tmp_path: Path) -> None:
    plain = tmp_path / "log.csv"
    plain.write_text(TEXT, newline="")
    tsv = TEXT.replace(",", "\t").replace('"u\t2"', '"u,2"')
    (tmp_path / "log.tsv").write_text(tsv, newline="")
    for name, text in (("log.csv.gz", TEXT), ("LOG.CSV.GZ", TEXT), ("log.tsv.gz", tsv)):
        _same(plain, _gz(tmp_path / name, text))
    got = load(tmp_path / "log.csv.gz")
    # the oracle: the rows as written
    assert sorted(got.users.ids.tolist()) == ["u,2", "u1", "u3"]
    assert "0042" in got.films.ids.tolist() and len(got) == 4
    assert unread_log_columns(tmp_path / "log.csv.gz") == ["source"]


def test_a_gzip_log_is_streamed_not_read_whole(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The happy path never holds the whole text: only the error paths read it whole."""
    rows = "".join(f"u{i % 97},f{i % 31},{i % 5 + 1}\n" for i in range(20_000))
    _gz(tmp_path / "big.csv.gz", "user_id,film_id,rating\n" + rows)
    (tmp_path / "big.csv").write_text("user_id,film_id,rating\n" + rows)
    expected = load(tmp_path / "big.csv").fingerprint()

    def whole(*_: object) -> bytes:
        raise AssertionError("read whole")

    monkeypatch.setattr(delimited, "file_bytes", whole)
    monkeypatch.setattr(line_places, "file_bytes", whole)  # where a bad line is placed
    monkeypatch.setattr(gzip, "decompress", whole)
    monkeypatch.setattr(Path, "read_bytes", whole)
    assert load(tmp_path / "big.csv.gz").fingerprint() == expected


@pytest.mark.parametrize(("bad", "line", "said"), [
    ("u9,f9,high,2020-01-01,web\r\n", 7, "rating 'high'"),
    ("u9,f9,4,2020-01-01\r\n", 7, "expected 5 fields"),
    ("u9,f9,4,yesterday,web\r\n", 7, "timestamp 'yesterday'"),
])
def test_an_error_names_the_gz_file_and_the_line(tmp_path: Path, bad: str, line: int,
                                                 said: str) -> None:
    # line 7: after the header and four rows, one of them two lines long
    log = _gz(tmp_path / "log.csv.gz", TEXT + bad)
    with pytest.raises(DataError) as info:
        load(log)
    assert info.value.path == str(log) and info.value.line == line, str(info.value)
    assert said in info.value.reason, str(info.value)
    (tmp_path / "log.csv").write_text(TEXT + bad, newline="")
    with pytest.raises(DataError) as plain:
        load(tmp_path / "log.csv")
    assert plain.value.reason == info.value.reason and plain.value.line == line


def test_a_broken_gzip_stream_is_named(tmp_path: Path) -> None:
    whole = gzip.compress(("user_id,film_id\n" + "u1,f1\n" * 50_000).encode())
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])  # a download cut short
    fake = tmp_path / "fake.csv.gz"
    fake.write_bytes(b"user_id,film_id\nu1,f1\n")  # named .gz, not compressed
    for path in (cut, fake):
        with pytest.raises(DataError) as info:
            load(path)
        assert info.value.path == str(path), str(info.value)
        assert "not a readable gzip file" in info.value.reason, str(info.value)


def test_gzip_without_its_name_is_told_to_be_named_gz(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_bytes(gzip.compress(TEXT.encode()))
    with pytest.raises(DataError) as info:
        load(log)
    assert "gzip-compressed" in info.value.reason and info.value.line == 1
    assert "name it .csv.gz" in info.value.reason, str(info.value)


def test_events_and_catalogs_read_gzip_too(tmp_path: Path) -> None:
    events = ("user_id,film_id,timestamp,weight\nu1,f1,2023-11-14T22:13:20Z,2\n"
              "u2,f2,2024-01-02T03:04:05Z,1\n")
    (tmp_path / "events.csv").write_text(events)
    plain = read_event_file(tmp_path / "events.csv")
    packed = read_event_file(_gz(tmp_path / "events.csv.gz", events))
    assert packed == plain and packed.timestamp == [1700000000, 1704164645]
    films = read_films(_gz(tmp_path / "films.csv.gz", "film_id,title,year\nf1,Alpha,1999\n"))
    assert films.film_ids.tolist() == ["f1"] and films.years.tolist() == [1999]
