"""The engine and the baselines as models under test, and ``evaluate()``: all on one split.

The engine is scored exactly as ``recommender train`` builds it (the local trainer), so the
report measures the shipped defaults, tier-calibration holdout and final refit included.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from recommender.errors import InvalidParameterError
from recommender.evaluation.baselines import (
    EASE,
    FactorScorer,
    ImplicitALS,
    ItemKNN,
    Popularity,
    Scorer,
    fold_in_als,
)
from recommender.evaluation.cold_start import cold_start_eval
from recommender.evaluation.scoring import (
    ENGINE,
    MIN_VIEWERS,
    USER_K,
    engine_ratio_intervals,
    objective,
    objective_key,
    ratios,
    score_split,
)
from recommender.evaluation.splits import Split, make_split, validation_split
from recommender.io.dataset import Interactions
from recommender.io.progress import show_progress
from recommender.io.text import iso_utc
from recommender.model import prior
from recommender.model.config import TrainConfig
from recommender.model.model import Model
from recommender.model.trainer import Trainer
from recommender.model.training import LocalTrainer, fit_factors, make_backend
from recommender.model.validation import audience_cut_note
from recommender.model.weighting import confidence, filter_min_rating

EASE_LAMBDAS = (5.0, 20.0, 50.0, 150.0, 500.0, 1500.0, 5000.0)


class EngineUnderTest:
    """The audience engine under ``config``, as a model under test (``name``, ``fit_split``).

    ``pipeline=True`` builds the complete model through ``trainer`` (any ``Trainer``; default
    ``LocalTrainer()``, i.e. ``training.train``: what ``recommender train`` ships, calibration
    holdout and final refit included) and keeps it in ``model_``; ``pipeline=False`` fits the
    factors directly with ``implicit`` whatever the trainer (identical to the local trainer with
    ``holdout=0``), which is what tuning uses for speed.
    """

    def __init__(self, config: TrainConfig | None = None, pipeline: bool = True,
                 name: str = ENGINE, trainer: Trainer | None = None) -> None:
        self.config = (config or TrainConfig()).validate()
        self.pipeline = pipeline
        self.name = name
        self.trainer: Trainer = LocalTrainer() if trainer is None else trainer
        self.model_: Model | None = None
        self.fitted_config_ = self.config

    def fit_split(self, split: Split) -> Scorer:
        c = self.config
        self.fitted_config_ = c
        if split.fold_in:  # refused before the fit, not after it (``_fold_in`` says why)
            self._check_fold_in(c)
        film_prior = None
        if self.pipeline:
            self.model_ = self.trainer.fit(split.train, c)
            uf, ff = factors_in_order(self.model_, split.train)
            if self.model_.film_prior is not None:  # in the split's film order, as ff
                film_prior = factors_in_order(replace(
                    self.model_, film_factors=np.asarray(self.model_.film_prior)[:, None]),
                    split.train)[1][:, 0]
            params = self.model_.meta.get("params")
            if c.tune and isinstance(params, dict):
                # the parameters tuning chose: fold-in must use the same ones
                self.fitted_config_ = TrainConfig.from_dict(params).validate()
        else:
            if c.family != "als":
                raise InvalidParameterError("the bare factor fit (pipeline=False) is ALS only; "
                                            f"family {c.family!r} trains through the pipeline")
            liked = filter_min_rating(split.train, c.min_rating)
            uf, ff = fit_factors(confidence(liked, c.weighting, c.bm25_k1, c.bm25_b), c)
            # the prior as train computes it (the fitted interactions' counts, these factors)
            film_prior = prior.of_fit(liked.film_idx, liked.timestamp, liked.n_films, uf, ff, c)
        if split.fold_in:
            uf = self._fold_in(split, ff)
        # the popularity prior adds to the user -> films scores as the model's do (prior.py)
        return FactorScorer(uf, ff, film_prior)

    @staticmethod
    def _check_fold_in(c: TrainConfig) -> None:
        if c.model != "als" and c.family != "ease":
            raise InvalidParameterError("the user protocol folds users in with an ALS "
                                        f"half-step; model {c.model!r} has none")

    def _fold_in(self, split: Split, film_factors: NDArray[np.float32]) -> NDArray[np.float32]:
        c = self.fitted_config_
        self._check_fold_in(c)
        # confidence of the fold-in rows, weighted with the training users' statistics too
        both = replace(
            split.train,
            user_idx=np.r_[split.train.user_idx, split.history.user_idx],
            film_idx=np.r_[split.train.film_idx, split.history.film_idx],
            weight=np.r_[split.train.weight, split.history.weight],
            rating=None if split.train.rating is None or split.history.rating is None
            else np.r_[split.train.rating, split.history.rating],
            timestamp=None,
        )
        conf = confidence(filter_min_rating(both, c.min_rating), c.weighting, c.bm25_k1,
                          c.bm25_b)
        if c.family == "ease":  # EASE folds in by its projection (recommender/model/foldin.py)
            model = self.model_
            if model is None or model.fold_in_projection is None:
                raise InvalidParameterError("the user protocol folds EASE users in with the "
                                            "trained model's projection; there is none")
            proj = factors_in_order(replace(model, film_factors=model.fold_in_projection),
                                    split.train)[1]
            uf = np.zeros((split.train.n_users, proj.shape[1]), np.float32)
            uf[split.users] = np.asarray(conf[split.users] @ np.asarray(proj, np.float64))
            return uf
        backend = make_backend(c)
        backend.item_factors = np.ascontiguousarray(film_factors, np.float32)
        uf = np.zeros((split.train.n_users, film_factors.shape[1]), np.float32)
        uf[split.users] = fold_in_als(backend, conf[split.users])
        return uf


def split_notes(k: int, split: dict[str, Any]) -> list[str]:
    """The notes a report on ``split`` (``Split.describe()``) at cut ``k`` carries, in its
    JSON (``notes``), its text table and, under ``--json -``, on stderr: they were the text
    table's alone, and ``--json`` dropped them."""
    known = split.get("known_users")
    said = None if known is None else audience_cut_note(k, int(known))
    return [] if said is None else [f"{said}; use a smaller --k"]


def factors_in_order(model: Model, data: Interactions
                     ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """``model``'s user and film factors re-indexed to ``data``'s id order: a trainer keeps
    its own order (Spark's differs), a split indexes by the full data's id maps. Ids the model
    does not know get zero vectors; when the orders already agree (the local trainer) the
    factor arrays are returned as they are."""
    out = []
    for want, have, factors in ((data.users, model.users, model.user_factors),
                                (data.films, model.films, model.film_factors)):
        arr = np.asarray(factors)
        if have is want or np.array_equal(have.ids, want.ids):
            out.append(arr)
            continue
        pos = have.to_index(want.ids, strict=False)
        aligned = np.zeros((len(want), arr.shape[1]), np.float32)
        aligned[pos >= 0] = arr[pos[pos >= 0]]
        out.append(aligned)
    return out[0], out[1]


class BaselineUnderTest:
    """A :mod:`recommender.evaluation.baselines` model as a model under test: fitted on a split's
    binary train matrix."""

    def __init__(self, model: Any, name: str) -> None:
        self.model = model
        self.name = name

    def fit_split(self, split: Split) -> Scorer:
        self.model.fit(split.train.to_csr())
        scorer: Scorer = self.model.scorer(split.history.to_csr() if split.fold_in else None)
        return scorer


def choose_ease_lambda(split: Split, k: int = 100, seed: int = 0,
                       grid: Sequence[float] = EASE_LAMBDAS, user_k: int = USER_K
                       ) -> tuple[float, dict[str, float]]:
    """EASE's regularisation picked on a validation split carved out of ``split.train``; EASE's
    default (``EASE().lam``) where that split has nothing to score (every objective NaN: the
    grid's first value won by default, and the report said it was chosen on validation)."""
    val = validation_split(split, seed)
    scores: dict[str, float] = {}
    for lam in grid:
        scorer = BaselineUnderTest(EASE(lam), "ease").fit_split(val)
        scores[f"{lam:g}"] = round(objective(score_split(scorer, val, k, user_k), k, user_k), 5)
    if all(math.isnan(v) for v in scores.values()):
        return float(EASE().lam), scores
    best = max(grid, key=lambda lam: objective_key(scores[f"{lam:g}"]))
    return float(best), scores


def baselines(seed: int = 0, ease_lambda: float = 100.0) -> list[Any]:
    """The four baselines ``evaluate`` compares the engine with, in report order."""
    return [
        BaselineUnderTest(Popularity(), "popularity"),
        BaselineUnderTest(ItemKNN(), "itemknn"),
        BaselineUnderTest(ImplicitALS(seed=seed), "als_defaults"),
        BaselineUnderTest(EASE(ease_lambda), "ease"),
    ]


def evaluate(
    data: Interactions,
    protocol: str = "random",
    k: int = 100,
    seed: int = 0,
    config: TrainConfig | None = None,
    user_k: int = USER_K,
    with_baselines: bool = True,
    progress: bool | None = None,
    also: Sequence[tuple[str, TrainConfig]] = (),
) -> dict[str, Any]:
    """Evaluate the engine (``config``, default: what ``recommender train`` ships, tuning
    inside the fit included) and, unless
    ``with_baselines`` is false, popularity, ItemKNN, ``implicit`` ALS defaults and EASE (its
    lambda chosen on a validation split of the training part) on one split of ``data``.

    ``also`` adds engines under other configurations, as (name, config), scored the same way.
    Returns a JSON-ready report: the split's sizes, per-model metrics with fit seconds, and each
    model's ratio to the engine on the headline metrics.
    """
    show = show_progress(progress)
    if not 1 <= k <= 100_000:
        raise InvalidParameterError(f"k must be in [1, 100000], got {k}")
    split = make_split(data, protocol, seed)
    if split.cutoff is not None and data.timestamp is not None \
            and not (data.timestamp > split.cutoff).any():
        # not "no test interactions on known users and films": there are none at all
        at = int((data.timestamp == split.cutoff).sum())
        raise InvalidParameterError(
            f"the time split of {data.source or 'the data'} has no interaction later than its "
            f"cut-off, the 80th-percentile timestamp {iso_utc(split.cutoff)} (unix "
            f"{split.cutoff} seconds; {at:,} of the "
            f"{len(data):,} interactions have that very timestamp); use --protocol random or "
            "user")
    if len(split.test) == 0:
        raise InvalidParameterError(f"the {protocol} split of {data.source or 'the data'} "
                                    "leaves no test interactions on known users and films")
    config = (config or TrainConfig(tune=True)).validate()
    engine = EngineUnderTest(replace(config, seed=seed) if config.seed != seed else config)
    report: dict[str, Any] = {
        "dataset": data.source,
        "interactions": len(data),
        "users": data.n_users,
        "films": data.n_films,
        "protocol": protocol,
        "k": k,
        "user_k": user_k,
        "min_viewers": MIN_VIEWERS,
        "seed": seed,
        "split": split.describe(),
        "notes": split_notes(k, split.describe()),
        "engine_config": engine.config.to_dict(),
        "models": {},
    }
    models: list[Any] = [engine] + [
        EngineUnderTest(replace(c, seed=seed).validate(), name=n) for n, c in also]
    bar = tqdm(total=len(models) + (5 if with_baselines else 0), desc=f"evaluate ({protocol})",
               disable=not show, unit="model", file=sys.stderr)
    if with_baselines:  # the first and longest step, before any model's fit: named
        bar.set_postfix_str("choosing EASE's lambda")
        lam, lam_scores = choose_ease_lambda(split, k, seed, user_k=user_k)
        report["ease_lambda"] = {"chosen": lam, "validation_objective": lam_scores,
                                 "chosen_on_validation": not all(
                                     math.isnan(v) for v in lam_scores.values())}
        bar.update()
        models += baselines(seed, lam)
    per_query: dict[str, dict[str, NDArray[np.float64]]] = {}
    for m in models:
        bar.set_postfix_str(m.name)
        t0 = time.perf_counter()
        scorer = m.fit_split(split)
        fit_s = time.perf_counter() - t0
        per_query[m.name] = {}
        res = score_split(scorer, split, k, user_k, per_query=per_query[m.name])
        res["fit_seconds"] = round(fit_s, 3)
        res["eval_seconds"] = round(time.perf_counter() - t0 - fit_s, 3)
        if res["nan_scores"]:
            tqdm.write(f"warning: {m.name} scored {res['nan_scores']:,} candidates NaN; they "
                       "rank no one (as if not candidates), so its recall counts them as "
                       "misses", file=sys.stderr)
        report["models"][m.name] = res
        bar.update()
    bar.close()
    report["ratios_to_engine"] = ratios(report["models"], k, user_k)
    report["engine_ratio_intervals"] = engine_ratio_intervals(per_query)
    if engine.model_ is not None:
        report["engine_tuning"] = engine.model_.meta.get("tuning", {})
        report["engine_params"] = engine.model_.meta.get("params", {})
    if protocol == "time" and engine.model_ is not None:
        report["cold_start"] = cold_start_eval(engine.model_, split, k)
    return report
