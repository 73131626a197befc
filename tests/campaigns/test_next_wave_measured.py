"""A next wave says what its previous plan's sent waves measured for each film, and names the
films whose whole uplift interval is at or below 0 (it planned their remaining budget without
a word of it). Oracle: responses planted so that one film's controls all convert and its
targets none (uplift -1), another's the reverse (+1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli, train_folder

from recommender.campaigns.events import EventBatch, record_events
from recommender.campaigns.next_wave import prepare_next_wave
from recommender.campaigns.plan import plan_slate
from recommender.campaigns.report import plan_start
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import open_store
from recommender.io import demo
from recommender.model import artifact


def test_a_film_without_effect_is_named(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    folder = demo.generate(tmp_path / "data", seed=2, n_users=500, n_films=60,
                           n_interactions=6_000)
    model = train_folder(folder, factors=8, iterations=4, segments=3)
    flat, good = model.films.ids[np.argsort(model.film_counts(), kind="stable")[20:22]].tolist()
    db = tmp_path / "store.db"
    store = open_store(str(db))
    plan = plan_slate(model, [SlateFilm(flat, 60), SlateFilm(good, 60)], holdout=0.3, waves=2)
    store.save_plan(plan.plan_id, plan.summary, plan.rows)
    d = plan.rows.to_pydict()
    sent = [(f, u, g) for f, u, w, g in zip(d["film_id"], d["user_id"], d["wave"], d["group"],
                                            strict=True) if w == 1]
    # flat: every control converts, no target does; good: every target, no control
    converts = [(f, u) for f, u, g in sent if (f == flat) == (g == "control")]
    at = plan_start(plan.summary) + 3600
    record_events(store, EventBatch([f"e{i}" for i in range(len(converts))],
                                    [u for _, u in converts], [f for f, _ in converts],
                                    [at] * len(converts), [1.0] * len(converts)))
    nxt = prepare_next_wave(model, store, plan.plan_id, sent_waves=1)
    films = {f["film_id"]: f["measured_uplift"] for f in nxt.plan.summary["films"]}
    targets = {f: sum(1 for g_f, _, g in sent if g_f == f and g == "target") for f in (flat, good)}
    assert films[flat]["absolute_uplift"]["estimate"] == -1.0
    assert films[flat]["absolute_uplift"]["high"] < 0 and films[flat]["targets"] == targets[flat]
    assert films[good]["absolute_uplift"]["estimate"] == 1.0
    assert films[good]["absolute_uplift"]["low"] > 0
    assert nxt.plan.summary["no_effect"]["films"] == [flat]
    store.close()
    model_dir = artifact.save(model, tmp_path / "model")
    code, _, err = run_cli(capsys, "plan", model_dir, "--after", plan.plan_id, "--store", db,
                           "--out", tmp_path / "next.csv")
    assert code == 0, err
    assert f"warning: film {flat}: the sent waves measured an uplift of -100.00 points" in err
    assert f"film {good}:" not in err
