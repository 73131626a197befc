"""A users or films file whose ids are the log's in another Unicode form (José decomposed,
NFD, where the log writes it composed, NFC) is warned of as such: those rows were left out
and the only warning blamed leading zeros. Oracle: the ids planted in NFD."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

from helpers import run_cli


def test_ids_in_another_unicode_form_are_named(tmp_path: Path, capsys: Any) -> None:
    users = [f"{unicodedata.normalize('NFC', 'José')}{u:02d}" for u in range(30)]
    rows = [f"{u},f{(i + k) % 12}" for i, u in enumerate(users) for k in range(4)]
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id\n" + "\n".join(rows) + "\n", encoding="utf-8")
    table = tmp_path / "users.csv"  # every third user decomposed, as some exports write it
    table.write_text("user_id,region\n" + "".join(
        f"{unicodedata.normalize('NFD', u) if i % 3 == 0 else u},North\n"
        for i, u in enumerate(users)), encoding="utf-8")
    code, _, err = run_cli(capsys, "train", "--data", log, "--users", table, "--out",
                           tmp_path / "m", "--no-tune", "--factors", 4, "--iterations", 2)
    assert code == 0, err
    assert ("users.csv: 10 of its user ids match a user of the log only in another Unicode "
            "form ('Jose\\u030100' for 'Jos\\xe900', 'Jose\\u030103' for 'Jos\\xe903', "
            "'Jose\\u030106' for 'Jos\\xe906': the same letters") in err
