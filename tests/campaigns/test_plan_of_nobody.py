"""A first plan whose films have budget but nobody to plan (every candidate opted out) is
refused as a slate of zero budgets and a next wave of nobody are: it was written (0 rows, exit
0) and stored as a plan of nobody, whose report measured nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli, train_folder

from recommender.campaigns.controls import plan_beside
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import open_store
from recommender.errors import NothingToPlanError
from recommender.io import demo
from recommender.model import artifact


def test_a_plan_of_nobody_is_refused_and_nothing_is_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = demo.generate(tmp_path / "data", seed=3, n_users=400, n_films=60,
                           n_interactions=5_000)
    model = train_folder(folder, factors=8, iterations=3, segments=2)
    film = str(model.films.ids[int(np.argmax(model.film_counts()))])
    everyone = [str(u) for u in model.users.ids]
    store = open_store(str(tmp_path / "s.db"))
    try:
        with pytest.raises(NothingToPlanError, match="nobody to plan"):
            plan_beside(model, [SlateFilm(film, 10)], store, exclude=everyone, progress=False)
        assert store.list_plans()[0] == 0
    finally:
        store.close()
    model_dir = artifact.save(model, tmp_path / "model")
    (tmp_path / "slate.csv").write_text(f"film_id,budget\n{film},10\n")
    (tmp_path / "all.txt").write_text("\n".join(everyone) + "\n")
    code, _, err = run_cli(capsys, "plan", model_dir, "--slate", tmp_path / "slate.csv",
                           "--out", tmp_path / "plan.csv", "--exclude", tmp_path / "all.txt",
                           "--store", tmp_path / "cli.db")
    assert code == 2 and "nobody to plan" in err and "Traceback" not in err
    assert not (tmp_path / "plan.csv").exists()
