"""A search whose validation split has at most twice k users to rank says so: every trial's
audience_recall@100 was 1.0 on an 80-user log, the objective user recall alone in all but name,
and neither ``train`` nor ``tune`` said a word. The rule is ``evaluate``'s note's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from recommender.cli import main
from recommender.model import artifact
from recommender.model.tuning import tune
from tests.model.test_tuning import SMALL, planted_groups


def _dense_log(path: Path, users: int = 80, films: int = 50, each: int = 30) -> Path:
    """``users`` users with ``each`` of ``films`` films: every user keeps most of them in any
    split's training part, so the users an audience ranks are all of them."""
    rng = np.random.default_rng(7)
    path.write_text("user_id,film_id\n" + "".join(
        f"u{u},f{f}\n" for u in range(users) for f in rng.choice(films, each, replace=False)))
    return path


NOTE = ("on the search's validation split, k = {k} is at least half of the 80 users an "
        "audience ranks, so audience_recall@{k} is near 1 for any model and says little: the "
        "objective, its geometric mean with user_recall@20, is decided by user_recall@20 nearly "
        "alone")


def test_train_says_its_objective_is_half_constant(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = _dense_log(tmp_path / "log.csv")
    out = tmp_path / "model"
    assert main(["train", "--data", str(log), "--out", str(out), "--segments", "2"]) == 0
    err = capsys.readouterr().err
    tuning = artifact.load(out).meta["tuning"]
    assert tuning["status"] == "searched"
    # the oracle of "half constant": the audience recall every trial scored
    assert {t["audience_recall@100"] for t in tuning["trials"] if t.get("objective")} == {1.0}
    assert tuning["notes"] == [NOTE.format(k=100)]
    assert f"warning: tuning {NOTE.format(k=100)}" in err.splitlines()


def test_a_search_of_more_users_says_nothing() -> None:
    """240 users (the planted-best log) are more than 2 x 100: no note."""
    _, report = tune(planted_groups(), SMALL)
    assert report["status"] == "searched" and "notes" not in report


def test_tune_says_it_in_its_report_and_on_stderr(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = _dense_log(tmp_path / "log.csv")
    out = tmp_path / "tuned.json"
    assert main(["tune", "--data", str(log), "--out", str(out), "--trials", "2",
                 "--k", "50"]) == 0
    err = capsys.readouterr().err
    tuned = json.loads(out.read_text())
    assert tuned["validation_split"]["known_users"] == 80
    assert tuned["notes"] == [NOTE.format(k=50)]
    assert f"warning: tuning {NOTE.format(k=50)}" in err.splitlines()
    assert main(["tune", "--data", str(log), "--out", str(out), "--trials", "2",
                 "--k", "10"]) == 0
    assert json.loads(out.read_text())["notes"] == [] and "half" not in capsys.readouterr().err
