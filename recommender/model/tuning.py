"""Hyper-parameter search inside ``train``, within a budget that scales with the data.

A validation split of the training part, and a staged search over the parameters that matter.

The search (``tune``) runs on the part of the log that ``train`` fits the calibration model on,
so neither the tier-calibration holdout nor any test data is seen. Its validation split is
each user's latest ``VALIDATION_SHARE`` of interactions when they have timestamps (not all
equal: then "latest" was the file's order) and a seeded random share of each user's otherwise
(per user, so that every user stays known: a global time cut leaves mostly users first seen
after it). Each trial fits a model on the rest and scores the
geometric mean of audience recall@100 and user recall@20 on the validation split
(``validation.query_recalls``, ``validation.combined``; a NaN part is skipped): a relative
gain in either direction counts the same, as in the quality targets, where an arithmetic mean
lets the larger recall (the user direction on sparse logs) decide alone.

Stages, each starting from the best setting so far (the incumbent). A challenger replaces it
only when its objective is higher by more than ``MARGIN`` standard errors of the incumbent's
(the objective's sampling noise over films and users: the one-standard-error rule), so noise
does not move the defaults. A paired error of the difference (``validation.paired_log_gain``,
which cancels which films and users the split happened to hold out) is smaller; as the rule it
moved settings on gains of about 1% that did not carry over to a later period (ml-100k's time
protocol: audience recall 0.435 to 0.397 on its test), so it is only recorded, for the family
choice:

1. regularization x alpha on the grid ``REGULARIZATION x ALPHA`` (the starting values added);
2. one step further (x3 or /3) wherever the grid's leader (its best cell by objective, adopted
   or not) sits on the grid's edge, and on from each step that raises the objective; a step
   replaces the incumbent only by the margin rule (``_edge_steps``);
3. each other weighting scheme the log supports (``rating`` with ratings, ``log`` with repeat
   views, ``bm25``), at the same alpha and at alpha scaled to the same mean confidence;
4. the factor counts in ``FACTORS``;
5. the model family: the factorised EASE (``ease.py``, its X the starting weighting's
   confidence) at the chosen factor count as its rank, at ``EASE_RANK_FACTOR`` times it and
   at every direction (EASE itself: rank min(users, films)), for each lambda in
   ``EASE_LAMBDA`` (plus one x3 or /3 step past an edge while it helps). The wider rank is
   tried where it is cheap (an exact decomposition, or a log searched whole), every direction
   where the users or the films are at most ``ease.MAX_DENSE_FILMS`` (an exact decomposition
   of that many); one decomposition at the widest rank serves every rank and lambda. The
   best EASE trial (by the same rule, from the starting lambda at the first rank) replaces
   the tuned ALS only when it beats it by the same rule; ``report["family"]`` records what
   was tried, both objectives, their paired log gain and its error, the choice and the
   reason.
   The stage is skipped when ``family`` is fixed to ALS, when regularization or alpha are
   fixed (options only ALS reads: the caller asked for ALS), or for a rank whose EASE fit on
   the whole log would pass ``ease.MAX_WORK_BYTES``. With ``family`` fixed to EASE, stages
   1-4 are skipped and stage 5 tunes lambda and rank;
6. the popularity prior's weight (``prior.py``) on the chosen setting: one more fit, scored
   with each weight in ``prior.WEIGHTS`` added (the term moves the user direction only); the
   best replaces no prior by the same rule. Skipped when ``popularity`` is fixed.

Budget: logs of up to ``FULL_SEARCH_INTERACTIONS`` are searched on every user. Larger logs are
searched on a seeded sample of users (all of a sampled user's interactions): the larger of
``FULL_SEARCH_INTERACTIONS`` interactions and the share that keeps the planned trials to
``BUDGET_FITS`` fits of the whole training part, estimated as interactions x factors^1.3 per
trial (an EASE rank as ``EASE_COST_FITS``). That share takes over from about 12M interactions
(about 32 planned fits); below it the search costs several fits of the whole log. At the
ML-20M shape (138k users, 20M interactions) the search adds under one fit
(``benchmarks/results/train.json`` records the sample). Under sampling, films get fewer
viewers than in the full log, so regularization chosen on the sample weighs relatively more
there than on the full log; the report records the sample share.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import replace
from typing import Any

import numpy as np

from recommender.io.dataset import Interactions
from recommender.model import ease, prior
from recommender.model.calibration_horizon import ordering
from recommender.model.config import FAMILY_TUNABLE, PRIOR_TUNABLE, TUNABLE, TrainConfig
from recommender.model.trials import MARGIN, USER_K, K, Search, score, trial_threads
from recommender.model.tuning_report import (  # noqa: F401 (re-exported: imported from here)
    als_searched_beside_ease,
    summary,
    timeless,
)
from recommender.model.validation import per_user_latest, search_cut_note

VALIDATION_SHARE = 0.2
REGULARIZATION = (10.0, 30.0, 100.0)
ALPHA = (1.0, 3.0, 10.0)
FACTORS = (32, 128)
FULL_SEARCH_INTERACTIONS = 300_000
BUDGET_FITS = 0.8
EDGE_STEPS = 2  # at most this many x3 (or /3) steps past a grid edge per parameter
EASE_LAMBDA = (10.0, 30.0, 100.0, 300.0, 1000.0)
EASE_RANK_FACTOR = 4  # the second EASE rank: this many times the chosen factor count
EASE_COST_FITS = 0.5  # planned cost of one EASE rank (decomposition + lambdas), in fits
OBJECTIVE = (f"geometric mean of audience_recall@{K} and user_recall@{USER_K} on the validation "
             "split (recommender/model/validation.py)")


def _schemes(data: Interactions, base: str) -> list[str]:
    out = ["binary"]
    if data.rating is not None:
        out.append("rating")
    if len(data) and float(np.max(data.weight)) > 1:
        out.append("log")
    out.append("bm25")
    return [s for s in out if s != base]


def planned_fits(config: TrainConfig, searchable: list[str], n_schemes: int,
                 ease_ranks: int = 0, prior_stage: bool = False) -> float:
    """The planned trials' cost in fits of the starting configuration on the same data
    (``ease_ranks``: EASE decompositions of the family stage; ``prior_stage``: stage 6's fit,
    of the chosen setting, costed at the largest factor count the search may choose)."""
    grid = (len(REGULARIZATION) + 1 if "regularization" in searchable else 1) * \
        (len(ALPHA) + 1 if "alpha" in searchable else 1)
    edges = EDGE_STEPS * sum(n in searchable for n in ("regularization", "alpha"))
    schemes = 2 * n_schemes + 2 if "weighting" in searchable else 0
    factors = sum((f / config.factors) ** 1.3 for f in FACTORS) if "factors" in searchable else 0
    widest = max((*FACTORS, config.factors)) if "factors" in searchable else config.factors
    stage6 = max(1.0, (widest / config.factors) ** 1.3) if prior_stage else 0.0
    return float(grid + edges + schemes + factors + EASE_COST_FITS * ease_ranks + stage6)


def most_trials(config: TrainConfig, searchable: list[str], n_schemes: int, n_ranks: int,
                ease_only: bool, prior_stage: bool) -> int:
    """The most trials the stages can run (each setting is measured once; ``n_ranks``: the
    family stage's EASE ranks, 0 where it is skipped), said with each trial's progress line:
    a default ``train`` counted "tuning trial 35" with no end in sight."""
    n = 0
    if not ease_only:
        free = [name in searchable for name in ("regularization", "alpha")]
        n += (len(_grid(REGULARIZATION, config.regularization)) if free[0] else 1) * \
            (len(_grid(ALPHA, config.alpha)) if free[1] else 1) + EDGE_STEPS * sum(free)
        if "weighting" in searchable:  # each scheme (at its scaled alpha), then alpha x3, /3
            n += n_schemes * (1 + free[1]) + 2 * free[1]
        n += len(FACTORS) * ("factors" in searchable)
    if n_ranks:
        lambda_free = "ease_lambda" not in config.fixed
        lambdas = len(_grid(EASE_LAMBDA, config.ease_lambda)) if lambda_free else 1
        n += n_ranks * lambdas + EDGE_STEPS * lambda_free
    if prior_stage:
        n += len({0.0, *prior.WEIGHTS} - {config.popularity})
    return max(n, 1)


def sample_share(n_interactions: int, planned: float) -> float:
    """Share of users the search runs on: 1 for small logs, else the budget's share."""
    if n_interactions <= FULL_SEARCH_INTERACTIONS:
        return 1.0
    return min(1.0, max(FULL_SEARCH_INTERACTIONS / n_interactions, BUDGET_FITS / planned))


def _grid(values: tuple[float, ...], start: float) -> list[float]:
    return [start] + [v for v in values if v != start]


def tune(data: Interactions, config: TrainConfig, progress: bool = False
         ) -> tuple[TrainConfig, dict[str, Any]]:
    """Search ``config``'s ``TUNABLE`` parameters not in ``config.fixed`` on ``data`` (the
    training part only), then the model family (stage 5) and the popularity prior's weight
    (stage 6, which runs even when every other parameter is fixed). Returns the chosen
    configuration and the report ``meta.json`` keeps. Its thread pools are capped at
    ``trials.TRIAL_THREADS`` (the same trials, on small samples faster)."""
    with trial_threads():
        return _tune(data, config, progress)


def _tune(data: Interactions, config: TrainConfig, progress: bool
          ) -> tuple[TrainConfig, dict[str, Any]]:
    t0 = time.perf_counter()
    searchable = [n for n in TUNABLE if n not in config.fixed]
    # every searchable name given: family and ease_lambda too (a --config's family ease and
    # lambda were fixed, and the report said fixed [])
    report: dict[str, Any] = {"fixed": sorted(set(config.fixed) & {
        *TUNABLE, *FAMILY_TUNABLE, *PRIOR_TUNABLE})}
    fixed = set(config.fixed)
    prior_stage = "popularity" not in fixed
    ease_only = "family" in fixed and config.family == "ease"
    family_stage = ease_only or ("family" not in fixed and config.family == "als"
                                 and not fixed & {"regularization", "alpha"})
    if config.model != "als" and not ease_only:
        return config, {**report, "status": f"not run: the search covers ALS, not {config.model}"}
    ease_searchable = [n for n in ("ease_lambda", "factors") if n not in fixed]
    if not (ease_searchable if ease_only else searchable or family_stage) and not prior_stage:
        return config, {**report, "status": "not run: every tunable parameter is fixed"}
    schemes = _schemes(data, config.weighting)
    full_shape = (data.n_users, data.n_films)
    free_rank = "factors" not in fixed  # the wider rank, and every direction where exact
    n_ranks = (1 + free_rank * (1 + (min(full_shape) <= ease.MAX_DENSE_FILMS))
               if family_stage else 0)
    share = sample_share(len(data), planned_fits(config, [] if ease_only else searchable,
                                                 0 if ease_only else len(schemes), n_ranks,
                                                 prior_stage))
    rng = np.random.default_rng(config.seed)
    if share < 1.0:
        data = data.subset((rng.random(data.n_users) < share)[data.user_idx])
    # timestamps order the split only when they differ: all equal, "latest" was file order
    timed = ordering(data.timestamp) is not None
    key = data.timestamp if timed else \
        np.random.default_rng(config.seed + 1).permutation(len(data))
    val = per_user_latest(data.user_idx, np.asarray(key, np.int64), VALIDATION_SHARE,
                          seed=config.seed)
    if not val.any() or val.all():  # each user holds out round(20%): 3 interactions for one
        return config, {**report, "status": "not run: no user has the 3 or more interactions "
                                            "needed to hold one out for validation"}
    train = data.subset(~val)
    rows = np.flatnonzero(np.bincount(data.user_idx, minlength=data.n_users) > 0)
    search = Search(train, data.subset(val).to_csr(), rows, config, progress)
    search.most = most_trials(config, searchable, len(schemes), n_ranks, ease_only,
                              prior_stage)
    if (why := search.unusable()) is not None:  # nothing to fit, or no score but 1
        return config, {**report, "status": f"not run: {why}"}
    start = {n: getattr(config, n) for n in (*TUNABLE, "popularity")}
    if progress:
        what = (ease_searchable if ease_only else searchable + ["family"] * family_stage) \
            + ["popularity"] * prior_stage
        print(f"tuning {', '.join(what)} on {len(rows):,} users x {len(data):,} "
              f"interactions ({share:.0%} of users) ...", file=sys.stderr)
    best = None if ease_only else _als_stages(search, config, searchable, schemes, start)
    family: dict[str, Any] = {"chosen": config.family,
                              "reason": "fixed (--family, --config, or an option only ALS "
                                        "reads: --model, --iterations, --cg-steps)"
                              if "family" in fixed
                              else "not searched: regularization or alpha is fixed, which "
                              "only ALS reads"}
    if family_stage:
        best, family = _family_stage(search, config, best, start, full_shape)
    assert best is not None
    popularity: dict[str, Any] = {"chosen": config.popularity,
                                  "reason": "fixed (--popularity or --config)"}
    if prior_stage:
        best, popularity = _prior_stage(search, best)

    if math.isnan(float(best["objective"])):  # e.g. one user: no held-out film or user
        return config, {**report, "status": "not run: the validation split leaves nothing to "
                        "measure (no film the rest of the log knows has 2 or more held-out "
                        "viewers, no user has a held-out film the rest of the log knows)",
                        "trials_run": len(search.trials)}  # a list of NaNs: no JSON
    params = {**best["params"], "family": best["params"].get("family", "als")}
    if params["family"] == "ease":  # EASE reads neither: not the tuned ALS's values, unread
        params.update(regularization=config.regularization, alpha=config.alpha)
    chosen = replace(config, **params).validate()
    first = search.trials[0]
    als_trials = [t for t in search.trials if "family" not in t["params"]]
    # under --family ease only EASE's stage ran: what it searched (it read {} here)
    searched: dict[str, list[Any]] = {n: v for n, v in (family.get("searched") or {}).items()
                                      if n not in fixed} if ease_only else {
        n: sorted({t["params"][n] for t in als_trials}, key=_in_order) for n in searchable}
    report.update({
        "status": "searched",
        "searched": searched,
        "chosen": {n: getattr(chosen, n) for n in TUNABLE
                   if chosen.family == "als" or n not in ("regularization", "alpha")} | (
            {"family": "ease", "ease_lambda": chosen.ease_lambda}
            if chosen.family == "ease" else {}) | {"popularity": chosen.popularity},
        "start": dict(start),
        "family": family,
        "popularity": popularity,
        "objective": OBJECTIVE,
        "validation": {
            "split": ("latest" if timed else "seeded random")
            + f" {VALIDATION_SHARE:.0%} of each searched user's interactions",
            "users": int(len(rows)),
            "interactions": int(len(data)),
            "user_share": round(share, 4),
            "chosen": {k: v for k, v in best.items() if k != "params"},
            "start": {k: v for k, v in first.items() if k != "params"},
        },
        "trials": search.trials,
        "seconds": round(time.perf_counter() - t0, 3),
    })
    # the users an audience ranks there: those with a training interaction in the split
    ranked = int((np.diff(search.seen.indptr) > 0).sum())
    note = search_cut_note(K, USER_K, ranked)
    if note is not None:  # train says it on stderr (cli/training.py)
        report["notes"] = [note]
    return chosen, report


def _als_stages(search: Search, config: TrainConfig, searchable: list[str],
                schemes: list[str], start: dict[str, Any]) -> dict[str, Any]:
    """Stages 1-4 (ALS's parameters); returns the best ALS trial."""
    # 1. regularization x alpha
    regs = _grid(REGULARIZATION, config.regularization) if "regularization" in searchable \
        else [config.regularization]
    alphas = _grid(ALPHA, config.alpha) if "alpha" in searchable else [config.alpha]
    cells = [{**start, "regularization": r, "alpha": a} for r in regs for a in alphas]
    best = search.best(cells)
    # 2. past the grid's edge from its leader (the best cell, adopted or not), while it helps
    lead = max((search.run(c) for c in cells), key=score)
    for name, grid in (("regularization", regs), ("alpha", alphas)):
        if name in searchable:
            best, lead = _edge_steps(search, best, lead, name, grid)
    # 3. weighting schemes, alpha scaled to the same mean confidence, then alpha x3 and /3
    if "weighting" in searchable:
        p = best["params"]
        ref = p["alpha"] * search.mean_confidence(p["weighting"])
        options = [p]
        for s in schemes:  # a fixed alpha stays as given
            options += [{**p, "weighting": s}] + ([{
                **p, "weighting": s, "alpha": _sig(ref / search.mean_confidence(s))}]
                if "alpha" in searchable else [])
        best = search.best(options)
        if best["params"]["weighting"] != p["weighting"] and "alpha" in searchable:
            q = best["params"]
            best = search.best([q, {**q, "alpha": _sig(q["alpha"] * 3)},
                                {**q, "alpha": _sig(q["alpha"] / 3)}])
    # 4. factors
    if "factors" in searchable:
        p = best["params"]
        best = search.best([p] + [{**p, "factors": f} for f in FACTORS if f != p["factors"]])
    return best


def _edge_steps(search: Search, best: dict[str, Any], lead: dict[str, Any], name: str,
                grid: list[float]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Up to ``EDGE_STEPS`` x3 (or /3) steps of ``name`` past the edge of ``grid`` from
    ``lead``, the best trial so far by objective, while a step raises it; the steps replace
    the incumbent ``best`` only by the margin rule. Returns (incumbent, leader).

    The steps start from the leader, not the incumbent: on FilmTrust the grid's corner
    (regularization 100, alpha 10) led without winning by the margin, so no step was taken
    from it, and alpha 30 beyond it, which wins by three standard errors, was never tried."""
    for _ in range(EDGE_STEPS):
        value = lead["params"][name]
        if value == max(grid):
            nxt = round(value * 3, 6)
        elif value == min(grid):
            nxt = round(value / 3, 6)
        else:
            break
        # the grid takes the value tried (rounded): 10 / 3 unrounded in the grid left the
        # 3.333333 that won off its edge, so a lower edge never took its second step
        grid = [*grid, nxt]
        step = search.run({**lead["params"], name: nxt})
        best = search.best([best["params"], lead["params"], step["params"]])
        if score(step) <= score(lead):
            break
        lead = step
    return best, lead


def _family_stage(search: Search, config: TrainConfig, als: dict[str, Any] | None,
                  start: dict[str, Any], shape: tuple[int, int]
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Stage 5: EASE's lambda x rank against the tuned ALS trial ``als`` (None: EASE only).
    Returns the winning trial and the ``family`` report."""
    fixed = set(config.fixed)
    base = {**(als["params"] if als is not None else start), "weighting": config.weighting,
            "family": "ease"}
    first = int(base["factors"])
    # the wider rank where it is cheap: a catalog the exact decomposition covers (one serves
    # every rank), or a log small enough to be searched whole; not at the ML-20M shape
    wide = min(EASE_RANK_FACTOR * first, 4096)
    cheap = ease.exact(*shape, wide) or len(search.train) <= FULL_SEARCH_INTERACTIONS
    ranks = [first] + ([wide] if "factors" not in fixed and cheap else [])
    full = min(shape)  # every direction: EASE itself, where an exact decomposition is cheap
    if "factors" not in fixed and full <= ease.MAX_DENSE_FILMS and ease.exact(*shape, full):
        ranks.append(full)
    if "factors" not in fixed:  # a rank past the users or the catalog is full rank
        ranks = [min(r, full) for r in ranks]
    too_big = [r for r in ranks if ease.work_bytes(*shape, r)[1] > ease.MAX_WORK_BYTES]
    ranks = list(dict.fromkeys(r for r in ranks if r not in too_big))
    report: dict[str, Any] = {"searched": {"ease_lambda": [], "factors": ranks}}
    if too_big:
        report["skipped_ranks"] = {str(r): f"an EASE fit on {shape[0]:,} users x {shape[1]:,} "
                                   f"films would need over {ease.MAX_WORK_BYTES >> 30} GiB"
                                   for r in too_big}
    if not ranks:
        if als is None:  # EASE was asked for: say why it cannot be fitted
            ease.check_size(*shape, too_big[0])
            raise AssertionError("unreachable")
        return als, {**report, "chosen": "als",
                     "reason": "EASE skipped: too large for its memory limit at every rank"}
    lambdas = [config.ease_lambda] if "ease_lambda" in fixed else \
        _grid(EASE_LAMBDA, config.ease_lambda)
    search.ease_rank = max(ranks)
    cells = [{**base, "factors": r, "ease_lambda": lam} for r in ranks for lam in lambdas]
    best = search.best(cells)
    if "ease_lambda" not in fixed:
        lead = max((search.run(c) for c in cells), key=score)
        best = _edge_steps(search, best, lead, "ease_lambda", lambdas)[0]
    tried = [t for t in search.trials if t["params"].get("family") == "ease"]
    report["searched"]["ease_lambda"] = sorted({t["params"]["ease_lambda"] for t in tried})
    summary_of = {"params": best["params"], "objective": best["objective"],
                  "standard_error": best["standard_error"]}
    report["ease"] = summary_of
    if als is None:
        return best, {**report, "chosen": "ease", "reason": "fixed (--family or --config)"}
    report["als"] = {"params": als["params"], "objective": als["objective"],
                     "standard_error": als["standard_error"]}
    gain, se = search.gain(best, als)
    report["paired"] = {"log_gain": round(gain, 5), "standard_error": round(se, 5)}
    own = float(als.get("standard_error") or 0.0)
    paired = f"{math.exp(gain):.4f}x, {math.exp(gain - se):.4f}-{math.exp(gain + se):.4f}x " \
        "within one paired standard error"
    if search.wins(best, als):
        return best, {**report, "chosen": "ease", "reason": (
            f"EASE's validation objective {best['objective']} beats the tuned ALS's "
            f"{als['objective']} by more than {MARGIN:g} standard error(s) of it ({own:.4g}); "
            f"{paired}")}
    return als, {**report, "chosen": "als", "reason": (
        f"EASE's best validation objective {best['objective']} does not beat the tuned ALS's "
        f"{als['objective']} by more than {MARGIN:g} standard error(s) of it ({own:.4g}); "
        f"{paired}")}


def _prior_stage(search: Search, best: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Stage 6: the popularity prior's weights on ``best``'s setting (refitted once; the
    starting weight is ``best``'s own). Returns the winning trial and the ``popularity``
    report."""
    own = search.config.popularity
    params = {**best["params"], "popularity": own}
    fitted = search.factors(replace(search.config, **{"family": "als", **params}))
    scale = prior.score_scale(*fitted, search.config.seed)  # one measure serves every weight
    trials = [search.run({**params, "popularity": w}, fitted, scale)
              for w in (0.0, *prior.WEIGHTS) if w != own]
    top = max(trials, key=lambda t: (score(t), -trials.index(t)))
    won = search.wins(top, best)
    user = f"user_recall@{USER_K}"
    return (top if won else best), {
        "searched": sorted({own, 0.0, *prior.WEIGHTS}),
        "chosen": top["params"]["popularity"] if won else own,
        "reason": f"weight {top['params']['popularity']:g}: validation objective "
        f"{top['objective']} ({user} {top[user]}) against {best['objective']} ({user} "
        f"{best[user]}) at weight {own:g}; " + ("it wins" if won else "it does not win")
        + f" by more than {MARGIN:g} standard error(s) of the latter "
        f"({float(best.get('standard_error') or 0):.4g})"}


def _in_order(value: Any) -> tuple[bool, Any]:
    """Sort key of searched values: numbers by value, names by text (``key=str`` put 100.0
    before 30.0, and ``/health``'s first three hid 300)."""
    return (True, value) if isinstance(value, str) else (False, float(value))


def _sig(x: float) -> float:
    """``x`` rounded to 4 significant digits (a readable, exactly reproducible value)."""
    return float(f"{x:.4g}")
