"""``train --blank-ratings drop|implicit`` reads a partly rated log (the default refuses it,
naming the option); the model is trained on what ``readers.load`` reads with the same choice
(its data's fingerprint), and a ``note:`` says how many rows and what they became."""

from __future__ import annotations

import json
from pathlib import Path
from statistics import median

import pytest
from helpers import run_cli as run

from recommender.io.readers import load

TRAIN = ("--no-tune", "--factors", "4", "--iterations", "2")


def _log(tmp_path: Path) -> Path:
    rows = "".join(f"u{u},f{(u * 7 + k) % 12},{'' if (u + k) % 3 == 0 else 1 + (u + k) % 5}\n"
                   for u in range(30) for k in range(4))
    path = tmp_path / "log.csv"
    path.write_text("user_id,film_id,rating\n" + rows)
    return path


def _fingerprint(model: Path) -> str:
    return str(json.loads((model / "meta.json").read_text())["data"]["fingerprint"])


def test_train_refuses_then_reads_as_chosen(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    log = _log(tmp_path)
    blank = sum(1 for line in log.read_text().splitlines()[1:] if line.endswith(","))
    code, _, err = run(capsys, "train", "--data", log, "--out", tmp_path / "m", *TRAIN)
    assert code == 2 and "--blank-ratings drop" in err and not (tmp_path / "m").exists()
    code, _, err = run(capsys, "train", "--data", log, "--out", tmp_path / "d", *TRAIN,
                       "--blank-ratings", "drop")
    assert code == 0, err
    assert f"note: {blank} of the 120 rows have a blank rating and were left out" in err
    assert _fingerprint(tmp_path / "d") == load(log, blank_ratings="drop").fingerprint()
    code, _, err = run(capsys, "train", "--data", log, "--out", tmp_path / "i", *TRAIN,
                       "--blank-ratings", "implicit", "--min-rating", "4")
    assert code == 0, err
    read = load(log, blank_ratings="implicit", rating_floor=4)
    assert _fingerprint(tmp_path / "i") == read.fingerprint()
    given = max(median(1 + (u + k) % 5 for u in range(30) for k in range(4) if (u + k) % 3),
                4)  # the median of the ratings given, at least --min-rating
    assert read.unrated_as == given
    assert f"note: {blank} of the 120 rows have a blank rating, kept as views " \
           f"(--blank-ratings implicit): each pair no event rates is given the rating {given:g} " \
           in err
    code, _, err = run(capsys, "train", "--data", log, "--out", tmp_path / "s", *TRAIN,
                       "--blank-ratings", "implicit", "--engine", "spark")
    assert code == 2 and "--blank-ratings implicit works with the local engine only" in err
