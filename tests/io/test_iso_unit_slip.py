"""A CSV whose time column is ISO 8601 text all in January 1970 is refused, as the same
frame written to Parquet is (tests/io/test_log_values.py): pandas' ``to_datetime`` of unix
seconds without ``unit="s"`` reads them as nanoseconds, and ``to_csv`` writes
``1970-01-01 00:00:01.608132331``; with ``unit="ms"`` misplaced, ``1970-01-19 ...``. The log
trained with has_timestamps true and a horizon of an hour (0.042 days for 12.9), without a
word. The texts are written here from the seconds by hand (the oracle: the epoch plus the
seconds read in the finer unit)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import run_cli

from recommender.errors import DataError
from recommender.io import readers

#: unix seconds of a log spanning 12.9 days
SECONDS = [1_608_132_331, 1_608_132_331 + 86_400 * 6, 1_608_132_331 + 1_114_560]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def as_nanoseconds(s: int) -> str:
    """``s`` read as nanoseconds, written as pandas' to_csv writes a nanosecond time."""
    whole, nanos = divmod(s, 10**9)
    return f"{(EPOCH + timedelta(seconds=whole)):%Y-%m-%d %H:%M:%S}.{nanos:09d}"


def as_milliseconds(s: int) -> str:
    """``s`` read as milliseconds (``unit='ms'`` given to seconds), as to_csv writes it."""
    return f"{(EPOCH + timedelta(milliseconds=s)):%Y-%m-%d %H:%M:%S.%f}"


def write(path: Path, times: list[str]) -> Path:
    rows = [f"u{i % 2},f{i},4,{t}" for i, t in enumerate(times)]
    path.write_text("user_id,film_id,rating,timestamp\n" + "\n".join(rows) + "\n",
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("form", [as_nanoseconds, as_milliseconds])
def test_iso_text_all_in_january_1970_is_refused(tmp_path: Path, form: object) -> None:
    times = [form(s) for s in SECONDS]  # type: ignore[operator]
    assert all(t.startswith("1970-01-") for t in times)
    with pytest.raises(DataError, match=r"log\.csv, line 2: timestamp 1970-01-.*every "
                                        r"timestamp falls in January 1970.*written as text"):
        readers.load(write(tmp_path / "log.csv", times))


def test_train_refuses_it(tmp_path: Path, capsys: object) -> None:
    path = write(tmp_path / "log.csv", [as_nanoseconds(s) for s in SECONDS])
    code, _, err = run_cli(capsys, "train", "--data", path, "--no-tune", "--out",
                           tmp_path / "m")
    assert code != 0 and "every timestamp falls in January 1970" in err, err
    assert not (tmp_path / "m").exists()


def test_events_import_refuses_it_as_such(tmp_path: Path) -> None:
    from recommender.campaigns.event_file import read_event_file

    path = tmp_path / "events.csv"
    path.write_text("event_id,user_id,film_id,timestamp\n" + "\n".join(
        f"e{i},u{i},f{i},{as_nanoseconds(s)}" for i, s in enumerate(SECONDS)) + "\n")
    with pytest.raises(DataError, match="every timestamp falls in January 1970"):
        read_event_file(path)


def test_times_past_january_1970_and_today_s_are_read(tmp_path: Path) -> None:
    """The bound: one time in February 1970 is no unit slip (of seconds as milliseconds, the
    latest time of a log falls past it); the real times are read as they are."""
    late = [as_milliseconds(s) for s in SECONDS[:2]] + ["1970-02-01 00:00:00"]
    got = readers.load(write(tmp_path / "late.csv", late)).timestamp
    assert sorted(got.tolist())[-1] == 31 * 86_400
    real = [f"{(EPOCH + timedelta(seconds=s)):%Y-%m-%dT%H:%M:%SZ}" for s in SECONDS]
    assert sorted(readers.load(write(tmp_path / "real.csv", real)).timestamp.tolist()) == \
        SECONDS
