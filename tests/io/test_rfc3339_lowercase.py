"""RFC 3339 (section 5.6) allows a lowercase ``t`` between date and time and ``z`` for UTC:
``2026-01-02t03:04:05z`` was refused wherever times are read (interaction logs for ``train``,
``evaluate`` and ``tune``; event files for ``events import``); one helper reads them now."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from helpers import run_cli as run

from recommender.campaigns.event_file import read_event_file
from recommender.errors import DataError
from recommender.io import readers

WRITTEN = ["2026-01-02t03:04:05z", "2026-01-02T03:04:05z", "2026-01-02t03:04:05Z",
           "2026-01-02t03:04:05.75z", "2026-01-02t04:04:05+01:00", " 2026-01-02t03:04:05z ",
           "2026-01-02 03:04z"]
# the oracle: the standard library's reading of the same instants, written upper case
SECONDS = [int(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp())] * 6 + \
          [int(datetime(2026, 1, 2, 3, 4, tzinfo=UTC).timestamp())]


def test_the_helper_changes_the_designators_only() -> None:
    from recommender.io.convert import rfc3339_upper

    got = rfc3339_upper(pa.array(["2026-01-02t03:04:05z", "2026-01-02", "tz", "0x10", "1e9",
                                  "2026-01-02t03:04:05 z", None])).to_pylist()
    assert got == ["2026-01-02T03:04:05Z", "2026-01-02", "tz", "0x10", "1e9",
                   "2026-01-02T03:04:05 z", None]


def test_an_interaction_log_reads_lowercase_t_and_z(tmp_path: Path) -> None:
    p = tmp_path / "log.csv"
    p.write_text("user_id,film_id,timestamp\n"
                 + "".join(f"u{i},f{i},{w}\n" for i, w in enumerate(WRITTEN)), encoding="utf-8")
    assert readers.load(p).timestamp.tolist() == SECONDS


def test_an_event_file_reads_lowercase_t_and_z(tmp_path: Path) -> None:
    p = tmp_path / "events.csv"
    p.write_text("event_id,user_id,film_id,timestamp\n"
                 + "".join(f"e{i},u{i},f{i},{w}\n" for i, w in enumerate(WRITTEN)),
                 encoding="utf-8")
    assert list(read_event_file(p).timestamp) == SECONDS


def test_a_bad_time_still_names_its_line_as_written(tmp_path: Path) -> None:
    p = tmp_path / "events.csv"
    p.write_text("event_id,user_id,film_id,timestamp\ne1,u1,f1,2026-01-02t03:04:05z\n"
                 "e2,u2,f2,2026-01-02t25:04:05z\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 3.*'2026-01-02t25:04:05z'"):
        read_event_file(p)


def test_events_import_takes_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "events.csv"
    p.write_text("event_id,user_id,film_id,timestamp\n"
                 "e1,u1,f1,2026-01-02t03:04:05z\n", encoding="utf-8")
    code, _, err = run(capsys, "events", "import", p, "--store",
                       f"sqlite:///{tmp_path / 'store.db'}")
    assert code == 0, err
