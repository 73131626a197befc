"""A log whose ids begin or end with whitespace ('u1, f1': a ', ' separator; 'u07 ' beside
'u07') is warned of at train: the ids are kept byte for byte, so such a film is one of its
own and such a user's history is split in two, and nothing said so. Oracle: the ids planted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers import run_cli


def test_padded_log_ids_are_named(tmp_path: Path, capsys: Any) -> None:
    users = [f"u{u:02d}" for u in range(30)]
    rows = [f"{u}, f{(i + k) % 12}" for i, u in enumerate(users) for k in range(4)]
    rows += ["u07 , f3", "u08 , f5"]  # two users written once more with a trailing space
    log = tmp_path / "log.csv"
    log.write_text("user_id, film_id\n" + "\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "train", "--data", log, "--out", tmp_path / "m",
                           "--no-tune", "--factors", 4, "--iterations", 2)
    assert code == 0, err
    assert ("warning: 2 user ids of the log begin or end with whitespace ('u07 ', 'u08 '): "
            "ids are kept byte for byte, so the model knows them as written; 2 are another "
            "user of the log but for the whitespace: each such user's interactions are split "
            "in two") in err
    assert ("warning: 12 film ids of the log begin or end with whitespace (' f0', ' f1', "
            "' f2'): ids are kept byte for byte, so the model knows them as written; strip "
            "the log's ids") in err


def test_a_clean_log_says_nothing_of_whitespace(tmp_path: Path, capsys: Any) -> None:
    rows = [f"u{u:02d},f{(u + k) % 12}" for u in range(30) for k in range(4)]
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id\n" + "\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "train", "--data", log, "--out", tmp_path / "m",
                           "--no-tune", "--factors", 4, "--iterations", 2)
    assert code == 0, err
    assert "whitespace" not in err
