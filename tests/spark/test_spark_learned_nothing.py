"""A Spark model trained on a log of one interaction per user says it learned nothing, as a
local one does (``fit_scale.record``, both trainers): Spark recorded only ``collapsed``, so
such a model was served without a word, or with collapsed's "still ranks".

Oracles: the planted log (one film per user: no two films related), the factors' own norms
(the typical pair's score at most ``NO_SCORE``) and the same users with several films each,
which is not flagged."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recommender.cli import main
from recommender.model import artifact
from recommender.model.model import NO_SCORE

pytestmark = pytest.mark.spark

USERS, FILMS = 300, 40


def _log(path: Path, per_user: int) -> Path:
    rng = np.random.default_rng(0)
    p = 1.0 / np.arange(1, FILMS + 1)  # skewed, as first ratings are
    rows = [(f"u{u}", f"f{f}") for u in range(USERS)
            for f in rng.choice(FILMS, per_user, replace=False, p=p / p.sum())]
    path.write_text("user_id,film_id\n" + "".join(f"{u},{f}\n" for u, f in rows))
    return path


def _train(tmp: Path, per_user: int) -> tuple[Path, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["train", "--engine", "spark", "--spark-master", "local[2]", "--data",
                     str(_log(tmp / "log.csv", per_user)), "--out", str(tmp / "m"),
                     "--segments", "2", "--holdout", "0", "--factors", "4", "--iterations", "3"])
    assert code == 0, err.getvalue()
    return tmp / "m", err.getvalue()


def _median_live(factors: np.ndarray) -> float:
    norms = np.linalg.norm(np.asarray(factors, np.float64), axis=1)
    return float(np.median(norms[norms > 0])) if (norms > 0).any() else 0.0


@pytest.mark.slow
def test_a_spark_model_that_learned_nothing_says_so(spark: Any, tmp_path: Path) -> None:
    folder, err = _train(tmp_path, 1)
    model = artifact.load(folder)
    # the collapse the check is for: the typical pair scores below NO_SCORE
    assert _median_live(model.user_factors) * _median_live(model.film_factors) <= NO_SCORE
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["model"] == "als-spark"
    said = meta["learned_nothing"]
    assert said["interactions_per_user"] == {"mean": 1.0, "median": 1.0}
    assert "collapsed" not in meta
    assert "warning: the model learned nothing usable" in err
    assert model.learned_nothing


@pytest.mark.slow
def test_a_spark_model_on_a_log_that_relates_films_is_not_flagged(spark: Any,
                                                                  tmp_path: Path) -> None:
    folder, err = _train(tmp_path, 6)
    assert "learned nothing" not in err
    model = artifact.load(folder)
    assert "learned_nothing" not in model.meta and not model.learned_nothing
