"""A log holding one id written with and without leading zeros ('00007' beside '7': two
exports merged, one through a spreadsheet) is warned of at train: kept byte for byte, they
are two users, one person's history split in two, and nothing said so. Oracle: the ids
planted; a log padded one way throughout says nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers import run_cli


def _train(tmp_path: Path, capsys: Any, users: list[str]) -> str:
    rows = [f"{u},f{(i + k) % 12}" for i, u in enumerate(users) for k in range(4)]
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id\n" + "\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "train", "--data", log, "--out", tmp_path / "m",
                           "--no-tune", "--factors", 4, "--iterations", 2)
    assert code == 0, err
    return str(err)


def test_ids_split_by_leading_zeros_are_named(tmp_path: Path, capsys: Any) -> None:
    users = [f"{u:05d}" for u in range(30)] + ["7", "12", "012"]
    err = _train(tmp_path, capsys, users)
    assert ("warning: 3 user ids of the log are another of its user ids but for leading "
            "zeros ('00007' beside '7', '00012' beside '12', '012' beside '00012'): ids are "
            "kept byte for byte, so each is a user of its own") in err


def test_ids_padded_one_way_say_nothing(tmp_path: Path, capsys: Any) -> None:
    users = [f"{u:05d}" for u in range(30)] + ["0", "00", "100"]  # '0', '00': no digits left
    assert "leading zeros (" not in _train(tmp_path, capsys, users)
