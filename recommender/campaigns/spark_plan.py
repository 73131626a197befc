"""``plan_slate_spark``: the slate planner on Spark, by one dual price per film, same plan rows.

The allocation's Lagrangian dual has one price ``lambda_f`` per film (its budget row); at
fixed prices each user's choice is independent (the ``cap`` films of largest positive margin
``value x p - lambda_f``), so executors decide users and the driver only moves prices:

1. *Candidates.* Executors score their users against the slate's film factors (broadcast)
   with the local planner's kernel (``exact_scores`` with the model's bound on the users'
   norms, as ``Model.user_scores`` and so ``probabilities.slate_candidates``: the audience's
   settled scores, bit for bit ``ranking.exact_dots``, a block of users at a time), leaving
   out seen films; a per-film window (score descending, user index ascending) gives each
   candidate the rank of the local planner, so its ``p`` is the local planner's, read off a
   per-film table computed on the driver (``rank_table``: ``calibration.p_at`` at the rank
   fraction, users who tie sharing their run's mean, which takes the driver one score and
   sort of each slate film). Only ranks up to
   ``K_f`` (the top-K theorem of ``allocation``, plus the number of opted-out users) are
   kept: an optimal plan lies among them, so the pruning is exact.
2. *Prices.* A few rounds of coordinate pricing (all films at once, as in Ant Financial's
   distributed knapsack solver): each round a Spark job gives, per film, the largest prices
   at which users would still take it given the other prices; the driver sets each price so
   that at most the budget of users take it. Every round also evaluates the LP dual function,
   an upper bound on every plan (weak duality): the best one is the reported bound.
3. *Assignment.* Each user hands the driver its ``cap + EXTRA`` best films at the prices (a
   Spark job); the driver solves the LP restricted to those pairs exactly
   (``allocation.allocate``, HiGHS), sends its film prices back for one more pricing job
   (more pairs, and the dual function there), and stops when the bound meets the plan (a
   certificate of optimality, as the local planner's) or after ``MASTER_ROUNDS``. Prices
   alone do not make a plan: with ties (flat calibration curves) they leave users
   indifferent, which is why the last step is a restricted LP, not a rounding. The driver
   holds a films x users array for it (the local planner's memory; the pairs themselves
   number at most users x (cap + EXTRA) per round). Waves and control groups are the local
   ``waves.assign``.

The films' limits are the local planner's: a budget counts target rows, so every step above
works with ``waves.selection_size(budget)`` selected users per film (the control group on top
of the budget). The tie-break, objective, naive plan and summary are the local planner's
(``recommender.campaigns.plan``); the summary says ``engine: spark`` and reports the gap
against the dual bound (and the local LP optimum when the slate is small enough to solve
locally).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from recommender.campaigns import spark_kernels as kern
from recommender.campaigns.allocation import Allocation, allocate, pool_bound
from recommender.campaigns.plan import (
    FILM_PHASE,
    TIEBREAK,
    OptOutReadings,
    Plan,
    check_opt_outs,
    check_options,
    new_plan_id,
    opt_out_notes,
    plan_rows,
    unknown_opt_outs,
)
from recommender.campaigns.plan_summary import small_plan_notes, summarise
from recommender.campaigns.pseudonymous import refuse_pseudonym_opt_outs
from recommender.campaigns.slate import PLAN_SCOPE, SlateFilm, check_slate
from recommender.campaigns.waves import assign, rounding_phases, selection_sizes
from recommender.errors import UnknownFilmError
from recommender.io.ids import opt_out_index
from recommender.io.progress import show_progress
from recommender.kernels import exact_scores
from recommender.model import calibration
from recommender.model.model import Model
from recommender.spark.by_value import pickled_by_value
from recommender.spark.session import say, session_scope

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

MAX_ROUNDS = 12
STALL = 3  # pricing stops after this many rounds without a better bound
EXTRA = 2  # rows beyond the cap each user hands the driver's LP
MASTER_ROUNDS = 4
LOCAL_CHECK = 2_000_000  # films x users up to which the local LP optimum is also reported


def plan_slate_spark(model: Model, slate: list[SlateFilm], cap: int = 1,
                     holdout: float = 0.1, waves: int = 3, seed: int = 0,
                     exclude: list[str] | None = None, plan_id: str | None = None,
                     spark: SparkSession | None = None, master: str = "local[*]",
                     users_per_partition: int = 200_000, rounds: int = MAX_ROUNDS,
                     local_check: int = LOCAL_CHECK, progress: bool | None = None,
                     opt_outs_read: OptOutReadings = ()) -> Plan:
    """Plan ``slate`` on Spark (see the module docstring); the same rows and summary as
    ``plan_slate`` (``opt_outs_read`` as its), with ``summary["engine"] == "spark"``."""
    check_options(cap, holdout, waves, seed)  # before Spark starts, as the local planner
    check_slate(slate)
    exclude = check_opt_outs(exclude)
    refuse_pseudonym_opt_outs(exclude, model)  # they would exclude nobody (as plan_slate)
    show = show_progress(progress)
    t0 = time.perf_counter()
    film_ids = [f.film_id for f in slate]
    films = model.films.to_index(film_ids, strict=True, error=UnknownFilmError)
    budgets = np.array([f.budget for f in slate], np.int64)
    phases = rounding_phases(film_ids)
    limits = selection_sizes(budgets, waves, holdout, phases=phases)  # targets <= budget
    # as plan_slate: no film selects more users than the model has (a selection size reaches
    # 2^52 at a holdout near 1; wrapped to int32 for Spark, a naive plan selected nobody)
    solvable = np.minimum(limits, model.n_users)
    values = np.array([f.value for f in slate], np.float64)
    ex_idx, ex_known = opt_out_index(model.users, exclude)  # as plan_slate's: fails safe
    n_cand = np.array([model.n_users - len(np.unique(model.film_viewers(int(f))))
                       for f in films], np.int64)
    eligible = n_cand - np.array([len(ex_known) - int(np.isin(
        ex_known, model.film_viewers(int(f))).sum()) for f in films], np.int64)
    keep_rank = np.minimum(pool_bound(solvable, cap) + len(ex_known), n_cand)
    keep_rank[solvable == 0] = 0
    tables = [rank_table(model, int(f), int(k)) for f, k in zip(films.tolist(),
                                                                keep_rank.tolist(), strict=True)]
    offsets = np.r_[0, np.cumsum(keep_rank)[:-1]].astype(np.int64)
    table = np.concatenate(tables) if tables else np.zeros(0)
    top = max([float(values[i] * t[0]) for i, t in enumerate(tables) if len(t)] or [0.0])
    bonus = TIEBREAK * max(top, 1e-12)
    with (session_scope(spark, master, show) as session,
          pickled_by_value(kern, exact_scores)):  # the kernels, and exact_scores they call
        rows = _candidates(session, model, films, keep_rank, (
            table, offsets, values, n_cand, bonus, ex_known), users_per_partition, show)
        try:
            lam, bound, n_rounds, pool = _prices(rows, solvable, cap, rounds, show)
            chosen, solved, bound = _master(rows, lam, bound, solvable, cap, model.n_users,
                                            show)
            naive = _naive_rows(session, rows, solvable, len(ex_known), cap)
        finally:
            rows.unpersist()
    solved.rounds += n_rounds
    solved.pool = pool
    sel = solved.user  # positions in ``chosen`` (see ``_master``)
    cols = {n: np.asarray(chosen.column(n).to_numpy()) for n in ("f", "u", "rank", "p", "w")}
    film_s, user_s = cols["f"][sel].astype(np.int64), cols["u"][sel].astype(np.int64)
    solved.film, solved.user = film_s, user_s
    t_solve = time.perf_counter() - t0
    plan_id = plan_id or new_plan_id()
    rank = cols["rank"][sel].astype(np.int64)
    order, wave, control = assign(film_s, rank, films, waves, holdout, seed, phases=phases)
    f_pos, users = film_s[order], user_s[order]
    p = cols["p"][sel][order]
    ev = p * values[f_pos]
    table_rows = plan_rows(model, plan_id, film_ids, f_pos, users, wave, control, rank[order],
                           p, ev)
    summary = summarise(model, slate, films, budgets, limits, values, eligible, f_pos, wave,
                        control, p, ev, naive[1], naive[0], solved, cap, holdout, waves, seed,
                        len(exclude), int(len(ex_idx) - (ex_idx >= 0).sum()))
    summary["engine"] = "spark"
    notes: list[dict[str, Any]] = [
        *small_plan_notes(slate, budgets, summary["films"], holdout, waves, None, phases),
        *opt_out_notes(model.users, exclude, opt_outs_read)]
    if notes:  # as the local planner says them (no control group, fewer waves; opt-outs)
        summary["plan_notes"] = notes
    # the opt-outs that name no user, as the local planner lists them (they were missing)
    summary["parameters"].update(rounding=FILM_PHASE, cap_scope=PLAN_SCOPE,  # one cap for all
                                 excluded_unknown_user_ids=unknown_opt_outs(exclude, ex_idx))
    summary["optimality"]["source"] = (
        "objective: sum of value x p over every selected user (targets and controls); "
        "lp_upper_bound: the smallest LP dual function over the pricing rounds (one price "
        "per film, evaluated by Spark: an upper bound on every plan; "
        "recommender/campaigns/spark_plan.py)")
    summary["optimality"]["local_lp_optimum"] = _local_optimum(
        model, slate, cap, holdout, waves, exclude, local_check)
    summary.update(plan_id=plan_id, seconds=round(time.perf_counter() - t0, 3),
                   solve_seconds=round(t_solve, 3))
    return Plan(plan_id, table_rows, summary)


def _local_optimum(model: Model, slate: list[SlateFilm], cap: int, holdout: float,
                   waves: int, exclude: list[str], limit: int) -> dict[str, Any]:
    """The local exact planner's objective when films x users is at most ``limit`` (with the
    same holdout and waves, which set the films' selection sizes)."""
    size = len(slate) * model.n_users
    if size > limit:
        return {"objective": None, "note": f"not computed: {size:,} film x user pairs > "
                                           f"{limit:,} (too large to solve on the driver)"}
    from recommender.campaigns.plan import plan_slate

    local = plan_slate(model, slate, cap=cap, holdout=holdout, waves=waves, exclude=exclude,
                       progress=False)
    return {"objective": local.summary["optimality"]["objective"],
            "note": "value units: the local exact LP planner (HiGHS) on the same slate"}


def rank_table(model: Model, film: int, keep: int) -> NDArray[np.float64]:
    """``p`` of the film's best ``keep`` ranks, as the local planner gives them: users who
    tie share their run's mean p (``calibration.p_in_order``), so the driver sorts the
    film's scores (``Model.user_scores``: the audience's settled scores, as the local planner
    and the executors score them)."""
    if keep == 0:
        return np.zeros(0)
    scores = np.array(model.user_scores(model.film_factors[film]), np.float32)
    scores[model.film_viewers(film)] = -np.inf
    desc = -np.sort(-scores[scores > -np.inf])
    if model.nothing_fitted(model.film_factors[film], "films"):  # no order: one tie, as locally
        desc = np.zeros_like(desc)
    return calibration.p_in_order(model.calibration, film, desc)[:keep]


def _candidates(spark: SparkSession, model: Model, films: NDArray[np.int64],
                keep_rank: NDArray[np.int64], tables: tuple[Any, ...],
                users_per_partition: int, show: bool) -> DataFrame:
    """The pruned candidate rows (f, u, rank, p, w, r), partitioned by user and cached."""
    from pyspark.sql import Window
    from pyspark.sql import functions as sf

    n_users = model.n_users
    rank_f = int(model.user_factors.shape[1])
    uf = np.ascontiguousarray(model.user_factors, np.float64)
    seen = model.seen
    factors = pa.table({
        "user_idx": pa.array(np.arange(n_users, dtype=np.int32)),
        "features": pa.ListArray.from_arrays(
            pa.array(np.arange(0, n_users * rank_f + 1, rank_f, dtype=np.int32)),
            pa.array(uf.reshape(-1))),
        "seen": pa.ListArray.from_arrays(pa.array(np.asarray(seen.indptr, np.int32)),
                                         pa.array(np.asarray(seen.indices, np.int32))),
    })
    n_parts = max(spark.sparkContext.defaultParallelism,
                  math.ceil(n_users / users_per_partition))
    users_df = spark.createDataFrame(factors).repartition(n_parts)
    by_film = np.argsort(films, kind="stable")
    ff = np.ascontiguousarray(np.asarray(model.film_factors, np.float64)[films])
    ff_bc = spark.sparkContext.broadcast((ff, films[by_film], by_film.astype(np.int64),
                                          model.max_user_norm))
    tab_bc = spark.sparkContext.broadcast(tables)
    say(show, f"scoring {len(films):,} slate films x {n_users:,} users in {n_parts} tasks ...")
    scored = users_df.mapInArrow(kern.scorer_task(ff_bc, rank_f), "f int, u int, score float")
    limits = spark.createDataFrame(pa.table({
        "f": pa.array(np.arange(len(films), dtype=np.int32)),
        "keep": pa.array(keep_rank.astype(np.int32))}))
    order = Window.partitionBy("f").orderBy(sf.desc("score"), sf.asc("u"))
    ranked = (scored.withColumn("rank", sf.row_number().over(order))
              .join(sf.broadcast(limits), "f").filter(sf.col("rank") <= sf.col("keep"))
              .select("f", "u", "rank"))
    rows = (ranked.mapInArrow(kern.weigher_task(tab_bc),
                              "f int, u int, rank int, p double, w double, r double")
            .repartition(n_parts, "u").cache())
    return rows


def _dual_round(rows: DataFrame, lam: NDArray[np.float64], cap: int,
                budgets: NDArray[np.int64], keep: NDArray[np.int64]
                ) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], float]:
    """One Spark job at prices ``lam``: (threshold films, thresholds, counts per film, the
    LP dual function in ``w`` at ``lam``)."""
    out = rows.mapInArrow(kern.dual_round_task(lam, cap, keep),
                          "kind byte, f int, value double").toArrow()
    kind = np.asarray(out.column("kind").to_numpy(), np.int64)
    f = np.asarray(out.column("f").to_numpy(), np.int64)
    v = np.asarray(out.column("value").to_numpy(), np.float64)
    counts = np.bincount(f[kind == kern.KIND_COUNT], weights=v[kind == kern.KIND_COUNT],
                         minlength=len(lam)).astype(np.float64)
    dual = float(budgets @ lam) + float(v[kind == kern.KIND_DUAL].sum())
    th = kind == kern.KIND_THRESHOLD
    return f[th], v[th], counts, dual


def _prices(rows: DataFrame, budgets: NDArray[np.int64], cap: int, max_rounds: int,
            show: bool) -> tuple[NDArray[np.float64], float, int, int]:
    """Film prices by coordinate pricing rounds; returns (the prices of the best dual bound,
    that bound in ``w``, rounds, pool rows)."""
    n = len(budgets)
    lam = np.zeros(n)
    best, best_lam = math.inf, lam
    pool = int(rows.count())
    done = stall = 0
    for done in range(1, max_rounds + 1):  # one Spark job per round, not per user
        th_f, th_v, counts, dual = _dual_round(rows, lam, cap, budgets, budgets + 1)
        stall = 0 if dual < best - 1e-9 * abs(best if math.isfinite(best) else 0.0) \
            else stall + 1
        if dual < best:
            best, best_lam = dual, lam
        new = np.zeros(n)
        for i, at in enumerate(kern.film_groups(th_f, n)):  # per film of the slate
            mine = th_v[at]
            b = int(budgets[i])
            if len(mine) > b:
                new[i] = max(0.0, float(-np.partition(-mine, b)[b]))
        say(show, f"pricing round {done}: {int((counts > budgets).sum())} films over budget, "
                  f"dual bound {best:.6g} value units")
        if np.array_equal(new, lam) or stall >= STALL:
            break
        lam = new
    return best_lam, best, done, pool


def _master(rows: DataFrame, lam: NDArray[np.float64], bound: float,
            budgets: NDArray[np.int64], cap: int, n_users: int, show: bool
            ) -> tuple[pa.Table, Allocation, float]:
    """The plan from the prices: each user's ``cap + EXTRA`` best rows at ``lam`` (a Spark
    job) are gathered on the driver, where ``allocation.allocate`` solves the LP restricted
    to them exactly; its film prices then go back to Spark, which adds each user's best rows
    at those prices and evaluates the dual function there (a bound on every plan). It stops
    when the bound meets the plan (relative 1e-9) or after ``MASTER_ROUNDS``. Returns the
    gathered rows, the allocation (``user`` holds row positions in the gathered table) and
    the best bound."""
    n = len(budgets)
    gathered: pa.Table | None = None
    solved: Allocation | None = None
    for k in range(1, MASTER_ROUNDS + 1):
        got = rows.mapInArrow(kern.choose_task(lam, cap, EXTRA),
                              "f int, u int, rank int, p double, w double, r double, "
                              "taken boolean, m double").toArrow()
        gathered = got if gathered is None else pa.concat_tables([gathered, got])
        f = np.asarray(gathered.column("f").to_numpy(), np.int64)
        u = np.asarray(gathered.column("u").to_numpy(), np.int64)
        first = np.unique(f * n_users + u, return_index=True)[1]  # each pair once
        gathered = gathered.take(pa.array(np.sort(first)))
        f, u = f[np.sort(first)], u[np.sort(first)]
        w = np.full((n, n_users), np.nan)
        r = np.full((n, n_users), np.nan)
        w[f, u] = gathered.column("w").to_numpy()
        r[f, u] = gathered.column("r").to_numpy()
        solved = allocate(w, budgets, cap, ranked=r)
        del w, r
        lam = solved.prices
        bound = min(bound, _dual_round(rows, lam, cap, budgets, np.zeros(n, np.int64))[3])
        say(show, f"master round {k}: plan {solved.objective:.6g}, bound {bound:.6g} "
                  f"value units, {gathered.num_rows:,} pairs on the driver")
        if bound - solved.objective <= 1e-9 * max(abs(solved.objective), 1e-300):
            break
    assert gathered is not None and solved is not None
    at = np.full((n, n_users), -1, np.int64)
    at[np.asarray(gathered.column("f").to_numpy(), np.int64),
       np.asarray(gathered.column("u").to_numpy(), np.int64)] = np.arange(gathered.num_rows)
    solved.user = at[solved.film, solved.user]
    solved.upper_bound = max(bound, solved.objective)
    solved.rounds = k
    return gathered, solved, bound


def _naive_rows(spark: SparkSession, rows: DataFrame, budgets: NDArray[np.int64],
                n_excluded: int, cap: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The naive plan (each film's top-budget eligible users, cap enforced afterwards by
    dropping each user's lower-worth contacts): (slate positions, worths ``w``)."""
    from pyspark.sql import functions as sf

    limits = spark.createDataFrame(pa.table({
        "f": pa.array(np.arange(len(budgets), dtype=np.int32)),
        "lim": pa.array((budgets + n_excluded).astype(np.int32))}))
    t = (rows.join(sf.broadcast(limits), "f").filter(sf.col("rank") <= sf.col("lim"))
         .select("f", "u", "rank", "w", "r").toArrow())
    if t.num_rows == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    c = {k: np.asarray(t.column(k).to_numpy()) for k in ("f", "u", "rank", "w", "r")}
    f, u = c["f"].astype(np.int64), c["u"].astype(np.int64)
    order = np.lexsort((c["rank"], f))
    top = order[_run_pos(f[order]) < budgets[f[order]]]  # each film's best eligible ranks
    by_user = top[np.lexsort((f[top], -c["r"][top], u[top]))]  # as allocation_picks.enforce_cap
    kept = by_user[_run_pos(u[by_user]) < cap]
    return f[kept], c["w"][kept]


def _run_pos(keys: NDArray[np.int64]) -> NDArray[np.int64]:
    """Position of each element within its run of equal consecutive keys."""
    if len(keys) == 0:
        return np.zeros(0, np.int64)
    first = np.r_[0, np.flatnonzero(np.diff(keys)) + 1]
    return np.arange(len(keys)) - np.repeat(first, np.diff(np.r_[first, len(keys)]))
