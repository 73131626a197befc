"""A log of one interaction per user trains a model that learned nothing, and says so.

Each user's only film relates no two films, so ALS has no taste to learn: MovieLens 100K's first
ratings (943 rows) left median norms of 1.4e-7 (users) and 5e-14 (films), and every answer
ranked by scores of 0.0 with no note ("because you watched" reasons on them), since the
relative "nothing fitted" rule (``NEGLIGIBLE_NORM`` of the median) cannot fire when the median
vectors collapsed too. Oracle: the planted log (one film per user), the factors' own norms
(every score at most the product of the two sides' largest: Cauchy-Schwarz) and the same users
with several films each, which is not flagged."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run

from recommender.cli import main
from recommender.model import artifact
from recommender.model.model import NO_SCORE
from recommender.query.pages import LEARNED_NOTHING
from service.app import create_app
from service.settings import Settings

USERS, FILMS = 300, 40


def _log(path: Path, per_user: int) -> Path:
    rng = np.random.default_rng(0)
    # a skewed choice, as first ratings are (a few popular films, a long tail)
    p = 1.0 / np.arange(1, FILMS + 1)
    rows = [(f"u{u}", f"f{f}") for u in range(USERS)
            for f in rng.choice(FILMS, per_user, replace=False, p=p / p.sum())]
    path.write_text("user_id,film_id\n" + "".join(f"{u},{f}\n" for u, f in rows))
    return path


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("single")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["train", "--data", str(_log(tmp / "log.csv", 1)), "--out",
                     str(tmp / "m"), "--no-tune", "--segments", "2"])
    assert code == 0, err.getvalue()
    return tmp / "m", err.getvalue()


def test_training_says_the_model_learned_nothing_and_why(single: tuple[Path, str]) -> None:
    folder, err = single
    model = artifact.load(folder)
    u = np.linalg.norm(model.user_factors, axis=1)
    f = np.linalg.norm(model.film_factors, axis=1)
    # the collapse the check is for: the typical pair scores below NO_SCORE
    assert float(np.median(u[u > 0]) * np.median(f[f > 0])) <= NO_SCORE
    said = json.loads((folder / "meta.json").read_text())["learned_nothing"]
    assert said["interactions_per_user"] == {"mean": 1.0, "median": 1.0}
    assert "warning: the model learned nothing usable" in err
    assert "too few interactions per user (median 1, mean 1" in err
    assert "learned nothing usable" in said["note"]
    assert "collapsed" not in json.loads((folder / "meta.json").read_text())
    assert model.learned_nothing


def test_every_answer_says_its_scores_are_a_tie_break(single: tuple[Path, str],
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    folder, _ = single
    model = artifact.load(folder)
    uf = np.asarray(model.user_factors, np.float64)
    ff = np.asarray(model.film_factors, np.float64)
    top_u, top_f = np.linalg.norm(uf, axis=1).max(), np.linalg.norm(ff, axis=1).max()
    # a film and a user whose every score is at most NO_SCORE (Cauchy-Schwarz)
    film = str(model.films.ids[int(np.argmin(np.linalg.norm(ff, axis=1)))])
    user_i = int(np.argmin(np.linalg.norm(uf, axis=1)))
    user = str(model.users.ids[user_i])
    assert np.linalg.norm(ff, axis=1).min() * top_u <= NO_SCORE
    assert np.linalg.norm(uf[user_i]) * top_f <= NO_SCORE
    with TestClient(create_app(Settings(model_path=str(folder)))) as client:
        http = {
            "audience": client.get(f"/films/{film}/audience", params={"k": 20}).json(),
            "recommend": client.get(f"/users/{user}/recommendations").json(),
            "similar": client.get(f"/films/{film}/similar").json(),
            "lookalike": client.post("/audiences/lookalike",
                                     json={"seed_user_ids": [user]}).json(),
            "cold-start": client.post("/audiences/cold-start",
                                      json={"comparable_film_ids": [film]}).json(),
        }
    seeds = folder.parent / "seeds.txt"
    seeds.write_text(f"{user}\n")
    cli = {}
    for name, args in {"audience": ["audience", folder, film], "recommend": [
            "recommend", folder, "--user", user], "similar": ["similar", folder, film],
            "lookalike": ["lookalike", folder, "--seeds", seeds],
            "cold-start": ["cold-start", folder, "--like", film]}.items():
        code, out, err = run(capsys, *args, "--json")
        assert code == 0, err
        cli[name] = json.loads(out.splitlines()[0])
    for name in http:
        assert http[name]["note"] == LEARNED_NOTHING, (name, http[name])
        assert cli[name]["note"] == LEARNED_NOTHING, name
    # and no reason cites a watched film for a list no taste ranked
    assert all(row["because"] == [] for row in http["recommend"]["films"])


def test_a_log_that_relates_films_is_not_flagged(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "train", "--data", _log(tmp_path / "log.csv", 6), "--out",
                       tmp_path / "m", "--no-tune", "--segments", "2")
    assert code == 0, err
    assert "learned nothing" not in err
    model = artifact.load(tmp_path / "m")
    assert "learned_nothing" not in model.meta and not model.learned_nothing
    film = str(model.films.ids[0])
    with TestClient(create_app(Settings(model_path=str(tmp_path / "m")))) as client:
        assert client.get(f"/films/{film}/audience").json()["note"] != LEARNED_NOTHING
