"""A users or films file whose ids are the log's padded with spaces or in another letter case
('u07 ' or 'U07' for the log's 'u07') is warned of as such: those rows were left out, and the
only warning (none when some ids matched) blamed leading zeros. Oracle: the ids planted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers import run_cli


def test_padded_and_recased_ids_are_named(tmp_path: Path, capsys: Any) -> None:
    users = [f"u{u:02d}" for u in range(30)]
    films = [f"tt{f:03d}" for f in range(12)]
    rows = [f"{u},{films[(i + k) % 12]}" for i, u in enumerate(users) for k in range(4)]
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id\n" + "\n".join(rows) + "\n", encoding="utf-8")
    table = tmp_path / "users.csv"  # every third user padded, as a fixed-width export writes
    table.write_text("user_id,region\n" + "".join(
        f"{u + ' ' if i % 3 == 0 else u},North\n" for i, u in enumerate(users)),
        encoding="utf-8")
    catalog = tmp_path / "films.csv"  # every film upper-cased: none matches
    catalog.write_text("film_id,title\n" + "".join(f"{f.upper()},T{f}\n" for f in films),
                       encoding="utf-8")
    code, _, err = run_cli(capsys, "train", "--data", log, "--users", table, "--films",
                           catalog, "--out", tmp_path / "m", "--no-tune", "--factors", 4,
                           "--iterations", 2)
    assert code == 0, err
    assert ("users.csv: 10 of its user ids match a user of the log only once surrounding "
            "spaces are dropped or letter case is ignored ('u00 ' for 'u00', 'u03 ' for "
            "'u03', 'u06 ' for 'u06')") in err
    assert ("films.csv: 12 of its film ids match a film of the log only once surrounding "
            "spaces are dropped or letter case is ignored ('TT000' for 'tt000', 'TT001' for "
            "'tt001', 'TT002' for 'tt002')") in err
