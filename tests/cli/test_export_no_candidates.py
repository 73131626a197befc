"""``audiences`` names the films it wrote no rows for because every user has watched them
(they have no candidates): the summary line counted them among its films without a word.

Oracle: the raw log (pandas: the films whose viewers are every user) and the written CSV.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import run_cli


def _log(path: Path) -> Path:
    rng = np.random.default_rng(3)
    rows = [(f"u{u}", "everyone's", 4, 1000) for u in range(40)]
    rows += [(f"u{u}", f"f{f}", int(rng.integers(1, 6)), int(rng.integers(1000, 9000)))
             for u in range(40) for f in rng.choice(12, 5, replace=False)]
    pd.DataFrame(rows, columns=["user_id", "film_id", "rating", "timestamp"]).to_csv(
        path, index=False)
    return path


def test_films_every_user_watched_are_named(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    data = _log(tmp_path / "log.csv")
    code, _, err = run_cli(capsys, "train", "--data", data, "--out", tmp_path / "m", "--no-tune")
    assert code == 0, err
    raw = pd.read_csv(data, dtype={"user_id": str, "film_id": str})
    viewers = raw.groupby("film_id")["user_id"].nunique()
    full = sorted(viewers[viewers == raw["user_id"].nunique()].index)
    assert full == ["everyone's"]
    films = tmp_path / "films.txt"
    films.write_text("everyone's\nf1\n", encoding="utf-8")
    out = tmp_path / "a.csv"
    code, _, err = run_cli(capsys, "audiences", tmp_path / "m", "--films", films, "--out", out)
    assert code == 0, err
    written = pd.read_csv(out, dtype={"film_id": str})
    assert set(written["film_id"]) == {"f1"}  # no rows for it: no candidates
    assert ("warning: 1 of the 2 films has no rows: every one of the 40 users has watched it, "
            "so none is a candidate (\"everyone's\"; --include-seen lists viewers too)") in err
    code, _, err = run_cli(capsys, "audiences", tmp_path / "m", "--films", films, "--out", out,
                           "--include-seen")
    assert code == 0 and "no rows" not in err
    assert set(pd.read_csv(out, dtype={"film_id": str})["film_id"]) == {"f1", "everyone's"}
    code, _, err = run_cli(capsys, "audiences", tmp_path / "m", "--all", "--out", out)
    assert code == 0 and "1 of the 13 films has no rows" in err
