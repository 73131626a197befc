"""``demo-data`` with fewer users than its 8 taste groups plants one group per user.

``demo-data --users 3`` was refused as "n_groups must be in 1..n_users, got 8": a parameter
the command has no option for.
"""

from __future__ import annotations

import csv
from pathlib import Path

from recommender.cli import main
from recommender.io import demo


def test_three_users_get_three_groups(tmp_path: Path) -> None:
    out = tmp_path / "tiny"
    assert main(["demo-data", str(out), "--users", "3", "--films", "20",
                 "--interactions", "15"]) == 0
    assert demo.read_manifest(out)["n_groups"] == 3
    with open(out / "users.csv", encoding="utf-8", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 3


def test_eight_users_or_more_keep_eight_groups(tmp_path: Path) -> None:
    out = demo.generate(tmp_path / "d", n_users=9, n_films=20, n_interactions=45)
    assert demo.read_manifest(out)["n_groups"] == 8
