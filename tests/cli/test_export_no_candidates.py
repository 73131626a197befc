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


def test_an_export_whose_cut_matches_nobody_says_so(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """`audiences --all --filter zip_zone=7 --filter region=Pacific` (valid values, no user
    with both) wrote 0 rows, exit 0, without a word, where `audience` says the filter
    matches no candidate."""
    from helpers import synthetic_model

    from recommender.model import artifact

    model = synthetic_model(n_users=60, n_films=6, seed=2)
    north = np.arange(model.n_users) < 30  # the oracle: North is zone 1, South zone 2
    model.user_table.attributes["region"] = np.where(north, "North", "South")
    model.user_table.attributes["zip_zone"] = np.where(north, "1", "2")
    path = artifact.save(model, tmp_path / "m")
    out = tmp_path / "a.csv"
    code, said, err = run_cli(capsys, "audiences", path, "--all", "--filter", "region=North",
                              "--filter", "zip_zone=2", "--out", out)
    assert code == 0, err
    assert len(out.read_text().splitlines()) == 1  # the header alone
    assert "wrote 0 rows" in said
    assert ("warning: the export has no rows: its cut (region=North, zip_zone=2) matches no "
            "candidate of the 6 films") in err, err
    code, said, err = run_cli(capsys, "audiences", path, "--all", "--filter", "region=North",
                              "--filter", "zip_zone=1", "--out", out)
    assert code == 0 and "wrote 0 rows" not in said and "no rows" not in err, err
