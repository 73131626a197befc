"""A stored three-film plan on a small demo model, the first of a chain the campaign tests
continue with next waves (one set-up, where two tests wrote it out)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from helpers import train_folder

from recommender.campaigns.controls import plan_beside
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import CampaignStore, open_store
from recommender.io import demo
from recommender.model.model import Model


def first_plan(tmp_path: Path) -> tuple[Model, CampaignStore, Path, str]:
    """(model, its open store, the store's file, the stored plan's id): 600 demo users, a
    3-wave plan of 60 users for each of three mid-popular films, 30% held out."""
    folder = demo.generate(tmp_path / "data", seed=7, n_users=600, n_films=60,
                           n_interactions=9_000)
    model = train_folder(folder, factors=8, iterations=4, segments=3)
    films = model.films.ids[np.argsort(model.film_counts(), kind="stable")[20:23]].tolist()
    db = tmp_path / "store.db"
    store = open_store(str(db))
    plan = plan_beside(model, [SlateFilm(f, 60) for f in films], store, holdout=0.3, seed=1,
                       waves=3, progress=False)
    store.save_plan(plan.plan_id, plan.summary, plan.rows)
    return model, store, db, plan.plan_id
