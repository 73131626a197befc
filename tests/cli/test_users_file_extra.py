"""A folder's users.csv listing users with no interaction in the log is said at train."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli


def test_users_of_the_users_file_without_an_interaction_are_noted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a member list exported beside the ticket log holds members who bought nothing: they
    # were left out of the model without a word (lookalike seeds among them then "unknown"),
    # where the catalog's films without an interaction are noted
    folder = tmp_path / "data"
    folder.mkdir()
    rows = "".join(f"m{u:03d},f{(u * 7 + j) % 30}\n" for u in range(60) for j in range(8))
    (folder / "interactions.csv").write_text("user_id,film_id\n" + rows)
    extra = ["x9", "m999", " m001", "x1", "x2"]
    (folder / "users.csv").write_text("user_id,region\n" + "".join(
        f"{u},North\n" for u in [*(f"m{u:03d}" for u in range(60)), *extra]))
    code, _, err = run_cli(capsys, "train", "--data", folder, "--out", tmp_path / "m",
                           "--no-tune", "--factors", 4)
    assert code == 0, err
    assert (f"note: {folder / 'users.csv'}: 5 of its 65 user ids have no interaction in the "
            "log, left out of the model (no recommendations; as lookalike seeds they are "
            "unknown): 'x9', 'm999', ' m001' and 2 more") in err, err
    # a users file whose every user is in the log says nothing of it
    (folder / "users.csv").write_text("user_id,region\n" + "".join(
        f"m{u:03d},North\n" for u in range(60)))
    code, _, err = run_cli(capsys, "train", "--data", folder, "--out", tmp_path / "m2",
                           "--no-tune", "--factors", 4)
    assert code == 0, err
    assert "users.csv" not in err, err
