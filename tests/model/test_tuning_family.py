"""The family stage of tuning: on a log of many independent film pairs (item-item structure a
low-rank ALS cannot hold) it adopts EASE; on a log of a few taste groups (low-rank structure)
it keeps ALS; either way it records both objectives and applies the margin rule; a fixed
family or ALS-only options bound what is searched."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from recommender.io.dataset import Interactions
from recommender.model import tuning
from recommender.model.config import TrainConfig
from recommender.model.training import train
from recommender.model.validation import ZERO_GUARD


def pairs_log(seed: int = 0, n_users: int = 600, n_pairs: int = 100, per_user: int = 3
              ) -> Interactions:
    """Films come in pairs (2i, 2i+1); each user watches both films of ``per_user`` random
    pairs and one random film. Knowing one film of a pair predicts the other; nothing else
    does, so the structure has rank ``n_pairs``."""
    rng = np.random.default_rng(seed)
    users, films = [], []
    for u in range(n_users):
        ps = rng.choice(n_pairs, per_user, replace=False)
        fs = np.unique(np.r_[2 * ps, 2 * ps + 1, rng.integers(2 * n_pairs, size=1)])
        users += [f"u{u}"] * len(fs)
        films += [f"f{f}" for f in fs]
    return Interactions.from_columns(pa.array(users), pa.array(films), source="pairs")


def groups_log(seed: int = 0, n_users: int = 240, n_films: int = 80, groups: int = 4
               ) -> Interactions:
    """Four taste groups: each user watches six films of their group and two at random."""
    rng = np.random.default_rng(seed)
    film_group = np.arange(n_films) % groups
    users, films = [], []
    for u in range(n_users):
        own = rng.choice(np.flatnonzero(film_group == u % groups), 6, replace=False)
        other = rng.choice(np.setdiff1d(np.arange(n_films), own), 2, replace=False)
        users += [f"u{u}"] * 8
        films += [f"f{f}" for f in np.r_[own, other]]
    return Interactions.from_columns(pa.array(users), pa.array(films), source="groups")


def check_margin_rule(report: dict[str, Any]) -> None:
    """The recorded choice is the margin rule applied to the recorded objectives."""
    fam = report["family"]
    als, ease, paired = fam["als"], fam["ease"], fam["paired"]
    adopt = ease["objective"] - als["objective"] > tuning.MARGIN * als["standard_error"]
    assert fam["chosen"] == ("ease" if adopt else "als")
    # the paired log gain (recorded, not the rule) is that of the recorded objectives (up to
    # their rounding), and its error is below the objective's own (relative) error
    g = ZERO_GUARD
    assert paired["log_gain"] == pytest.approx(
        math.log((ease["objective"] + g) / (als["objective"] + g)), abs=2e-3)
    assert 0 < paired["standard_error"] < als["standard_error"] / als["objective"]
    tried = [t for t in report["trials"] if t["params"].get("family") == "ease"]
    assert ease["objective"] in {t["objective"] for t in tried}
    assert sorted({t["params"]["ease_lambda"] for t in tried}) == \
        fam["searched"]["ease_lambda"]
    assert set(tuning.EASE_LAMBDA) <= set(fam["searched"]["ease_lambda"])


@pytest.fixture()
def quick(monkeypatch: pytest.MonkeyPatch) -> TrainConfig:
    # a smaller ALS search (no factor stage; weighting fixed) keeps these tests to seconds
    monkeypatch.setattr(tuning, "FACTORS", ())
    return TrainConfig(factors=16, iterations=4, segments=2, tune=True, fixed=("weighting",))


def test_item_item_structure_is_given_to_ease(quick: TrainConfig) -> None:
    model = train(pairs_log(), quick, progress=False)
    t = model.meta["tuning"]
    fam = t["family"]
    check_margin_rule(t)
    assert fam["chosen"] == "ease" and "beats the tuned ALS" in fam["reason"]
    # clearly, not by noise: several standard errors
    assert fam["ease"]["objective"] > fam["als"]["objective"] + 3 * fam["als"]["standard_error"]
    # the model is the chosen EASE, and meta.json says so
    assert model.family == "ease" and model.meta["model"] == "ease"
    params = model.meta["params"]
    assert params["family"] == "ease"
    assert params["ease_lambda"] == fam["ease"]["params"]["ease_lambda"]
    assert params["factors"] == fam["ease"]["params"]["factors"] == model.user_factors.shape[1]
    assert model.fold_in_projection is not None
    assert t["validation"]["chosen"]["objective"] == fam["ease"]["objective"]
    assert t["chosen"]["family"] == "ease" and t["chosen"]["ease_lambda"] == params["ease_lambda"]
    # ALS's regularization and alpha, which EASE does not read, stay at the starting values
    # (they recorded the tuned ALS's, as chosen, and the meta.json was then refused as a
    # --config for family ease), and the choice does not name them
    assert fam["als"]["params"]["alpha"] != quick.alpha
    assert (params["regularization"], params["alpha"]) == (quick.regularization, quick.alpha)
    assert not {"regularization", "alpha"} & set(t["chosen"])
    health = tuning.summary(model.meta)
    assert health is not None and health["family"]["chosen"] == "ease"
    # /health shows the family stage's search too: the chosen rank and lambda were among
    # the values it shows as searched (the ALS factor list does not hold the EASE rank)
    shown = health["family"]["searched"]
    assert shown == fam["searched"]
    assert params["factors"] in shown["factors"] and params["ease_lambda"] in shown["ease_lambda"]
    assert health["popularity"]["searched"] == t["popularity"]["searched"]


def test_low_rank_structure_stays_with_als(quick: TrainConfig) -> None:
    chosen, report = tuning.tune(groups_log(), quick)
    check_margin_rule(report)
    assert report["family"]["chosen"] == "als" and chosen.family == "als"
    assert "does not beat" in report["family"]["reason"]
    assert report["chosen"] == {n: getattr(chosen, n) for n in tuning.TUNABLE} | {
        "popularity": chosen.popularity}


def test_a_fixed_family_or_als_options_bound_the_search(quick: TrainConfig) -> None:
    from dataclasses import replace

    data = groups_log(n_users=120)
    # family fixed to EASE: only EASE trials, lambda and rank searched
    cfg, rep = tuning.tune(data, replace(quick, family="ease", fixed=("family",)))
    assert cfg.family == "ease" and rep["status"] == "searched"
    assert rep["fixed"] == ["family"]  # the family fixed is said (the report said [])
    assert all(t["params"].get("family") == "ease" for t in rep["trials"])
    # the starting rank, EASE_RANK_FACTOR times it, and every direction (80 films < 120 users)
    assert rep["family"]["searched"]["factors"] == [16, 16 * tuning.EASE_RANK_FACTOR, 80]
    # meta.json's top-level "searched" says what ran (it was {} while lambda and rank were)
    assert rep["searched"] == rep["family"]["searched"] and rep["searched"]["ease_lambda"]
    # family fixed to ALS, or regularization given: no EASE trial
    for fixed in (("family",), ("regularization",)):
        cfg, rep = tuning.tune(data, replace(quick, fixed=fixed))
        assert cfg.family == "als"
        assert not any(t["params"].get("family") == "ease" for t in rep["trials"])
        assert rep["family"]["chosen"] == "als" and "reason" in rep["family"]
    # everything EASE could search is fixed: the popularity weight alone, on one EASE trial
    cfg, rep = tuning.tune(data, replace(quick, family="ease",
                                         fixed=("family", "ease_lambda", "factors")))
    assert rep["status"] == "searched" and cfg.family == "ease"
    assert rep["fixed"] == ["ease_lambda", "factors", "family"]
    assert rep["searched"] == {}  # a fixed lambda and rank are not said to be searched
    assert {t["params"]["factors"] for t in rep["trials"]} == {quick.factors}
    assert {t["params"]["popularity"] for t in rep["trials"]} == set(rep["popularity"]["searched"])
    # and with the weight given too: nothing to do
    cfg, rep = tuning.tune(data, replace(quick, family="ease", fixed=(
        "family", "ease_lambda", "factors", "popularity")))
    assert rep["status"].startswith("not run")


def test_the_budget_counts_ease_decompositions() -> None:
    base = tuning.planned_fits(TrainConfig(), list(tuning.TUNABLE), 3)
    with_ease = tuning.planned_fits(TrainConfig(), list(tuning.TUNABLE), 3, ease_ranks=2)
    assert with_ease == pytest.approx(base + 2 * tuning.EASE_COST_FITS)
    share = tuning.sample_share(18_000_000, with_ease)  # the ML-20M shape's training part
    assert share * with_ease <= tuning.BUDGET_FITS
