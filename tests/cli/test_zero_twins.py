"""A users.csv or films.csv some of whose ids differ from the log's by leading zeros only
('12' for '012') is warned of: those rows were left out without a word (the warning came only
when no id matched), so their users had no attributes and their films no titles.
Oracle: the ids planted with their zeros dropped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers import run_cli


def test_ids_that_differ_by_leading_zeros_are_named(tmp_path: Path, capsys: Any) -> None:
    data = tmp_path / "data"
    data.mkdir()
    users = [f"{u:03d}" for u in range(1, 31)]
    films = [f"{f:02d}" for f in range(1, 13)]
    rows = [f"{u},{films[(i + k) % 12]}" for i, u in enumerate(users) for k in range(4)]
    (data / "interactions.csv").write_text("user_id,film_id\n" + "\n".join(rows) + "\n")
    # every third user and film written without its zeros, as a spreadsheet saves them
    (data / "users.csv").write_text("user_id,region\n" + "".join(
        f"{u.lstrip('0') if i % 3 == 0 else u},North\n" for i, u in enumerate(users)))
    (data / "films.csv").write_text("film_id,title,year,genres\n" + "".join(
        f"{f.lstrip('0') if i % 3 == 0 else f},T{f},2000,Drama\n" for i, f in enumerate(films)))
    code, _, err = run_cli(capsys, "train", "--data", data, "--out", tmp_path / "m",
                           "--no-tune", "--factors", 4, "--iterations", 2)
    assert code == 0, err
    assert "users.csv: 10 of its user ids match a user of the log only once leading zeros " \
           "are dropped ('1' for '001', '4' for '004', '7' for '007')" in err
    # film '10' (the tenth) has no zero to drop
    assert "films.csv: 3 of its film ids match a film of the log only once leading zeros " \
           "are dropped ('1' for '01', '4' for '04', '7' for '07')" in err
