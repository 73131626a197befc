"""Hyper-parameter search for the engine on a validation split carved out of training."""

from __future__ import annotations

import itertools
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from tqdm import tqdm

from recommender.errors import InvalidParameterError
from recommender.evaluation.runs import EngineUnderTest
from recommender.evaluation.scoring import (
    USER_K,
    headline,
    objective,
    objective_key,
    score_split,
)
from recommender.evaluation.splits import Split, make_split, validation_split
from recommender.io.dataset import Interactions
from recommender.io.progress import show_progress
from recommender.model.config import TrainConfig
from recommender.model.validation import search_cut_note
from recommender.model.weighting import SCHEMES

SEARCH_SPACE: dict[str, tuple[Any, ...]] = {
    "weighting": SCHEMES,
    "factors": (32, 64, 128),
    # around the defaults (30, 3) and train's own grid (model/tuning.py), a step past each edge
    "regularization": (3.0, 10.0, 30.0, 100.0, 300.0),
    "alpha": (0.3, 1.0, 3.0, 10.0, 30.0),
    "iterations": (10, 15, 25),
    "bm25_k1": (0.6, 1.2, 2.0),
    "bm25_b": (0.25, 0.75, 1.0),
}


# options of a configuration that ``tune`` does not choose, left out of its ``params``: with
# them, ``train --config`` took the file's "tune": false, popularity 0 and family "als" as given
NOT_CHOSEN = ("tune", "fixed", "popularity", "family", "ease_lambda")


def candidate_configs(trials: int, seed: int = 0, base: TrainConfig | None = None,
                      space: dict[str, tuple[Any, ...]] | None = None) -> list[TrainConfig]:
    """``trials`` distinct configurations: ``base`` (default: the current defaults) first, then
    a seeded random sample of ``space`` (BM25's k1/b only vary under bm25 weighting)."""
    base = (base or TrainConfig()).validate()
    space = space or SEARCH_SPACE
    rng = np.random.default_rng(seed)
    out = [base]
    keys = {_key(base)}
    names = list(space)
    grid_size = math.prod(len(v) for v in space.values())
    for _ in range(50 * trials):
        if len(out) >= trials or len(keys) >= grid_size:
            break
        params = {n: space[n][rng.integers(len(space[n]))] for n in names}
        if params.get("weighting", base.weighting) != "bm25":
            params["bm25_k1"], params["bm25_b"] = base.bm25_k1, base.bm25_b
        params = {n: v.item() if isinstance(v, np.generic) else v for n, v in params.items()}
        cfg = replace(base, **params).validate()
        if _key(cfg) not in keys:
            keys.add(_key(cfg))
            out.append(cfg)
    return out


def grid_configs(space: dict[str, tuple[Any, ...]], base: TrainConfig | None = None
                 ) -> list[TrainConfig]:
    """Every combination of ``space`` (a full grid) applied to ``base``."""
    base = (base or TrainConfig()).validate()
    names = list(space)
    out: list[TrainConfig] = []
    keys: set[str] = set()
    for values in itertools.product(*(space[n] for n in names)):
        cfg = replace(base, **dict(zip(names, values, strict=True))).validate()
        if _key(cfg) not in keys:
            keys.add(_key(cfg))
            out.append(cfg)
    return out


def _key(c: TrainConfig) -> str:
    return json.dumps(c.to_dict(), sort_keys=True)


def validation_scores(split: Split, configs: Sequence[TrainConfig], k: int = 100,
                      user_k: int = USER_K, progress: bool = False) -> list[dict[str, Any]]:
    """Each config fitted on ``split.train`` and scored on ``split.test`` (pass a validation
    split here, never the test split)."""
    rows = []
    for cfg in tqdm(configs, desc="trials", disable=not progress, unit="trial", file=sys.stderr):
        t0 = time.perf_counter()
        res = score_split(EngineUnderTest(cfg, pipeline=False).fit_split(split), split, k, user_k)
        rows.append({"params": _search_params(cfg),
                     "objective": round(objective(res, k, user_k), 5),
                     f"audience_recall@{k}": res[f"audience_recall@{k}"],
                     f"user_recall@{user_k}": res[f"user_recall@{user_k}"],
                     "seconds": round(time.perf_counter() - t0, 2)})
    return rows


def _objective_text(best: dict[str, Any], k: int, user_k: int) -> str:
    """What the validation objective is: the geometric mean of both directions' recalls, or
    the one measured when the other has nothing to score (``combined`` skips it: a log of 50
    users has no film with enough held-out viewers, and the "geometric mean" was user recall
    alone)."""
    names = [f"audience_recall@{k}", f"user_recall@{user_k}"]
    known = [n for n in names if best.get(n) is not None and not math.isnan(best[n])]
    if len(known) == 1:
        other = next(n for n in names if n not in known)
        return f"{known[0]} on validation alone ({other} had nothing to score there)"
    return f"geometric mean of {names[0]} and {names[1]} on validation"


def _search_params(c: TrainConfig) -> dict[str, Any]:
    d = c.to_dict()
    return {n: d[n] for n in ("model", *SEARCH_SPACE)}


def tune(data: Interactions, trials: int = 30, k: int = 100, seed: int = 0,
         protocol: str = "random", user_k: int = USER_K, progress: bool | None = None
         ) -> dict[str, Any]:
    """Search the engine's hyper-parameters for ``data``.

    The data is split under ``protocol`` into train and test; a validation split is carved out
    of the train part alone, every trial is fitted and scored there, and only the winner (and
    the current defaults, for comparison) is then fitted on the whole train part and measured on
    the test part, so the reported test numbers are an honest estimate. Returns a JSON-ready
    dict whose ``params`` ``recommender train --config`` accepts.
    """
    show = show_progress(progress)
    if trials < 1:
        raise InvalidParameterError(f"trials must be >= 1, got {trials}")
    outer = make_split(data, protocol, seed)
    val = validation_split(outer, seed)
    # the trials fit, and the configuration written trains, under the same --seed as the split
    configs = candidate_configs(trials, seed, base=TrainConfig(seed=seed))
    rows = validation_scores(val, configs, k, user_k, show)
    if all(math.isnan(r["objective"]) for r in rows):
        raise InvalidParameterError(
            f"the validation split of {data.source or 'the data'} leaves nothing to measure "
            "(no film with enough held-out viewers, no user with a held-out film): too few "
            "interactions to tune on")
    best_i = max(range(len(rows)), key=lambda i: objective_key(rows[i]["objective"]))
    best = configs[best_i]
    test: dict[str, Any] = {}
    for name, cfg in (("defaults", configs[0]), ("best", best)):
        res = score_split(EngineUnderTest(cfg, pipeline=False).fit_split(outer), outer, k, user_k)
        test[name] = {key: res[key] for key in headline(k, user_k)}
    return {
        # what the trials chose and trained with; not whether train searches (a file saying
        # "tune": false turned train's search off, popularity weight and family included),
        # nor the options no trial varied that train's own search chooses
        "params": {n: v for n, v in best.to_dict().items() if n not in NOT_CHOSEN},
        "dataset": data.source,
        "protocol": protocol,
        "k": k,
        "user_k": user_k,
        "seed": seed,
        "objective": _objective_text(rows[best_i], k, user_k),
        "validation": {"best": rows[best_i], "defaults": rows[0]},
        "test": test,
        # what the validation and test figures were measured on (the text printed them bare)
        "split": outer.describe(),
        "validation_split": val.describe(),
        "trials": sorted(rows, key=lambda r: -objective_key(r["objective"])),
        # the rule evaluate's note and train's search share (tune prints it on stderr)
        "notes": [n for n in [search_cut_note(
            k, user_k, int(val.describe()["known_users"]))] if n is not None],
    }
