"""The search's trials: fits on one validation split, scored, cached and compared.

``tuning.py`` runs the stages; a ``Search`` runs each trial (a fit of the parameters on the
split's training part, scored by ``validation.query_recalls`` on its held-out part) and
applies the margin rule between two.
"""

from __future__ import annotations

import math
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_info, threadpool_limits

from recommender.errors import InvalidParameterError
from recommender.io.dataset import Interactions
from recommender.kernels.cpus import available_cpus, usable_threads
from recommender.model import ease, prior
from recommender.model.config import FAMILY_TUNABLE, PRIOR_TUNABLE, TUNABLE, TrainConfig
from recommender.model.training import fit_factors
from recommender.model.validation import (
    QueryPlan,
    combined,
    mean_se,
    paired_log_gain,
    query_recalls,
)
from recommender.model.weighting import confidence, filter_min_rating

MARGIN = 1.0  # standard errors a challenger must gain over the incumbent
K, USER_K = 100, 20
# the threads each pool (OpenMP: implicit's sweeps; BLAS: the scoring) may use in the search:
# its trials fit a sample of a few thousand users, which more threads slow down (ML-20M's
# search on 16 cores: 51.8 s with every pool at 16 threads, 39.3 s capped at 4; issue 13's
# note of the thirty-first session). Each row's solve is independent of the others, so the
# factors do not depend on the count (a test compares a search on 1 thread and on all)
TRIAL_THREADS = 4
# the trials of a stage (a grid's cells, the weighting schemes, the factor counts) measured at
# once, each on its own threads (``Search.prefetch``): one trial of a sample keeps few cores
# busy (ML-20M's search on 2 cores: 54 s of CPU in 32 s at 2 threads a trial, 38 s of CPU in
# 40 s at one; bench_trial_threads.py)
MAX_SIDE_BY_SIDE = 4


def trial_limits(pools: list[dict[str, Any]], cap: int | None = None) -> dict[str, int]:
    """Each of ``pools``' (``threadpool_info()``'s) thread count capped at ``cap``, by its
    library's prefix: a pool set below ``cap`` (OMP_NUM_THREADS=1) is left as it is, never
    raised."""
    cap = TRIAL_THREADS if cap is None else cap
    out: dict[str, int] = {}
    for p in pools:
        out[p["prefix"]] = min(int(p["num_threads"]), cap, out.get(p["prefix"], cap))
    return out


# the threads the search may use, read as ``trial_threads`` starts (before its cap)
_USABLE: list[int] = []


@contextmanager
def trial_threads() -> Iterator[None]:
    """Every thread pool capped at ``TRIAL_THREADS`` for the search's trials, or at the CPUs
    this process may keep busy where fewer (a cgroup CPU quota: ``available_cpus``)."""
    # import the backend (and the BLAS it links) first: only loaded libraries are capped
    import implicit.cpu.als  # noqa: F401

    pools, cpus = threadpool_info(), available_cpus()
    _USABLE.append(usable_threads(pools, cpus))
    try:
        with threadpool_limits(trial_limits(pools, min(TRIAL_THREADS, cpus))):
            yield
    finally:
        _USABLE.pop()


class Search:
    """Trials on one validation split, cached by their parameters."""

    def __init__(self, train: Interactions, held: sp.csr_matrix, rows: np.ndarray,
                 config: TrainConfig, progress: bool) -> None:
        self.train, self.rows, self.config, self.progress = train, rows, config, progress
        # the fit's input: --min-rating leaves low ratings out of it, while ``seen`` and
        # ``held`` keep every watch (as training.train does: a film rated low is watched)
        self.liked = filter_min_rating(train, config.min_rating)
        self.seen = train.to_csr()[rows]
        self.held = held[rows]
        self.conf: dict[str, sp.csr_matrix] = {}
        self.trials: list[dict[str, Any]] = []
        self.cache: dict[tuple[Any, ...], dict[str, Any]] = {}
        # each film's recent fitted interactions on this training part (the prior's n)
        self.counts = prior.film_counts(self.liked.film_idx, self.liked.timestamp,
                                        train.n_films, config.holdout, config.seed)
        # each trial's per-query recalls (audience, user), by id(trial): the paired margin
        self.queries: dict[int, list[np.ndarray]] = {}
        self.spectra: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.ease_rank = config.factors  # the widest EASE rank the family stage will try
        # the validation queries' split-only part, by seed: built once, not per trial
        self.plans: dict[int, QueryPlan] = {}
        self.most: int | None = None  # the most trials the stages can run (progress lines)
        self.started = time.perf_counter()

    def confidence(self, scheme: str) -> sp.csr_matrix:
        """The fit's input under ``scheme``: the liked interactions' confidence."""
        if scheme not in self.conf:
            c = self.config
            self.conf[scheme] = confidence(self.liked, scheme, c.bm25_k1, c.bm25_b)[self.rows]
        return self.conf[scheme]

    def unusable(self) -> str | None:
        """Why no trial on this split can tell settings apart, or None. No liked interaction:
        every trial fits nothing and scores its tie order. A film's audience ranks the users
        with a training interaction who have not seen it, a user's list the films with one
        that the user has not seen (``validation.QueryPlan``): when no film leaves more than
        ``K`` such users and no user more than ``USER_K`` such films, every query ranks all of
        its candidates within the cut and every trial scores the same (a 20-row log ran 24
        trials, all 1.0, and said it had searched; so did 130 users x 15 films, each film seen
        by most of them: 27 trials, all 1.0)."""
        if len(self.liked) == 0:
            return "no interaction of the search's training part is rated at or above min_rating"
        seen = self.seen  # canonical, as validation.QueryPlan reads it
        history = np.diff(seen.indptr)  # each user's seen films
        viewers = np.bincount(seen.indices, minlength=seen.shape[1])  # each film's viewers
        users, films = int((history > 0).sum()), int((viewers > 0).sum())
        if not users:
            return None
        most_users = users - int(viewers[viewers > 0].min())  # a film's unseen candidates
        most_films = films - int(history[history > 0].min())  # a user's unseen candidates
        if most_users > K or most_films > USER_K or most_users == most_films == 0:
            return None  # (nothing to rank at all: the search's NaN objective says so)
        return (f"the validation split cannot tell settings apart: its {users:,} "
                f"user{'s' * (users != 1)} and {films:,} film{'s' * (films != 1)} with a "
                f"training interaction leave a film at most {most_users:,} unseen "
                f"user{'s' * (most_users != 1)} to rank and a user at most {most_films:,} unseen "
                f"film{'s' * (most_films != 1)}, all within the cuts of audience_recall@{K} "
                f"and user_recall@{USER_K}, so every setting scores the same")

    def mean_confidence(self, scheme: str) -> float:
        m = self.confidence(scheme)
        return float(m.data.mean()) if m.nnz else 1.0

    def factors(self, cfg: TrainConfig, threads: int | None = None,
                stop: threading.Event | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(user factors, film factors) of ``cfg`` on the search's training part
        (``threads``: an ALS fit's own, ``fit_factors``; ``stop``: set, the fit ends at its
        next sweep with ``TrialStoppedError``)."""
        x = self.confidence(cfg.weighting)
        if cfg.family != "ease":
            return fit_factors(x, cfg, threads=threads,
                               callback=None if stop is None else _stopper(stop))
        x64 = sp.csr_matrix(x, dtype=np.float64)
        if cfg.weighting not in self.spectra:
            # one decomposition at the widest rank serves every rank (its leading directions)
            # and every lambda
            self.spectra[cfg.weighting] = ease.spectrum(
                x64, max(self.ease_rank, cfg.factors), cfg.seed)
        s2, v = self.spectra[cfg.weighting]
        fitted = ease.factorise(x64, s2[:cfg.factors], v[:, :cfg.factors], cfg.ease_lambda)
        return fitted.user_factors, fitted.film_factors

    def run(self, params: dict[str, Any],
            fitted: tuple[np.ndarray, np.ndarray] | None = None,
            scale: float | None = None) -> dict[str, Any]:
        """The trial of ``params`` (cached); ``fitted``: its factors, when already fitted, and
        ``scale`` their ``prior.score_scale``, when already measured."""
        key = _key(params)
        if key in self.cache:
            return self.cache[key]
        return self._record(params, self._measure(params, fitted, scale))

    def _measure(self, params: dict[str, Any],
                 fitted: tuple[np.ndarray, np.ndarray] | None = None,
                 scale: float | None = None, threads: int | None = None,
                 stop: threading.Event | None = None
                 ) -> tuple[dict[str, Any], list[np.ndarray]] | tuple[str, float]:
        """The trial of ``params`` and its per-query recalls, or (why, seconds) when it could
        not be fitted; nothing recorded (``threads``: the fit's own, on a thread of
        ``prefetch``; ``stop``, once set, ends the fit at its next sweep)."""
        cfg = replace(self.config, **{"family": "als", **params})
        t0 = time.perf_counter()
        try:
            uf, ff = self.factors(cfg, threads, stop) if fitted is None else fitted
        except InvalidParameterError as e:  # a diverged fit (training.fit_factors)
            return str(e), time.perf_counter() - t0
        film_prior = prior.film_prior(self.counts, uf, ff, cfg.popularity, cfg.seed, scale)
        if cfg.seed not in self.plans:
            self.plans[cfg.seed] = QueryPlan(self.seen, self.held, seed=cfg.seed)
        per_query = list(query_recalls(uf, ff, self.seen, self.held, K, USER_K, seed=cfg.seed,
                                       film_prior=film_prior, plan=self.plans[cfg.seed]))
        (aud, aud_se), (usr, usr_se) = (mean_se(q) for q in per_query)
        value, se = combined([(aud, aud_se), (usr, usr_se)])
        return {"params": dict(params),
                "objective": round(value, 5),
                "standard_error": round(se, 5) if not math.isnan(se) else 0.0,
                f"audience_recall@{K}": round(aud, 5), f"user_recall@{USER_K}": round(usr, 5),
                "seconds": round(time.perf_counter() - t0, 3)}, per_query

    def _record(self, params: dict[str, Any],
                measured: tuple[dict[str, Any], list[np.ndarray]] | tuple[str, float]
                ) -> dict[str, Any]:
        """Keep a trial ``_measure`` gave (said on stderr with ``progress``)."""
        if isinstance(measured[0], str):  # not fitted
            if not self.trials:  # the starting point: the final fit would fail the same way
                raise InvalidParameterError(measured[0])
            return self._failed(_key(params), params, measured[0], float(measured[1]))
        trial, per_query = measured
        assert isinstance(trial, dict) and isinstance(per_query, list)
        self.cache[_key(params)] = trial
        self.queries[id(trial)] = per_query
        self.trials.append(trial)
        if self.progress:
            print(f"{self._counted()}: " + ", ".join(
                f"{n} {v}" for n, v in params.items()) + f": objective {trial['objective']} "
                f"({trial['seconds']:.1f} s; {self._elapsed()})", file=sys.stderr)
        return trial

    def _counted(self) -> str:
        """"tuning trial N of at most M": the trial just recorded, and the most there can be
        (``most``; past it, a count the stages' bound missed: no total said)."""
        n = len(self.trials)
        most = f" of at most {self.most}" if self.most is not None and n <= self.most else ""
        return f"tuning trial {n}{most}"

    def _elapsed(self) -> str:
        """The seconds since the search began, as a progress line says them."""
        return f"{time.perf_counter() - self.started:.1f} s since the search began"

    def prefetch(self, candidates: list[dict[str, Any]]) -> None:
        """Measure the ALS trials of ``candidates`` not yet run side by side, as many at a
        time as ``concurrency()`` gives shares, each fit on the OpenMP threads of the share it
        holds, and record them in the order given: the same trials, list and choice as one
        after another (each trial is a function of its parameters alone), sooner where one
        trial of a sample keeps few cores busy. One at a time (a single share: one core) it
        leaves them to ``run``."""
        todo: dict[tuple[Any, ...], dict[str, Any]] = {}
        for p in candidates:
            if _key(p) in self.cache:
                continue
            if p.get("family", "als") != "als":  # run in turn: the ones after it wait too
                break
            todo.setdefault(_key(p), p)
        shares = concurrency(trials=len(todo)) if len(todo) > 1 else (1,)
        if len(shares) < 2:
            return
        for p in todo.values():  # the shared inputs, built once before the threads
            self.confidence(p.get("weighting", self.config.weighting))
        if self.config.seed not in self.plans:
            self.plans[self.config.seed] = QueryPlan(self.seen, self.held, seed=self.config.seed)
        # BLAS at one thread throughout (fit_factors sets it so, and its count must not
        # change while another thread is in a BLAS call); each fit's OpenMP threads: its own
        stop = threading.Event()  # set: the running fits end at their next sweep
        # each running trial holds one of the shares (as many as the pool's threads, so one is
        # always free as a trial starts) and hands it back as it ends, for the next to take
        free: queue.SimpleQueue[int] = queue.SimpleQueue()
        for share in shares:
            free.put(share)

        def measure(p: dict[str, Any]
                    ) -> tuple[dict[str, Any], list[np.ndarray]] | tuple[str, float]:
            threads = free.get_nowait()
            try:
                return self._measure(p, threads=threads, stop=stop)
            finally:
                free.put(threads)

        with threadpool_limits(1, "blas"), \
                ThreadPoolExecutor(len(shares), thread_name_prefix="tuning-trial") as pool:
            futures = [pool.submit(measure, p) for p in todo.values()]
            try:
                measured = [f.result() for f in futures]
            except BaseException:  # Ctrl-C or an error: no trial goes on, none starts
                stop.set()
                for f in futures:
                    f.cancel()
                raise
        for p, m in zip(todo.values(), measured, strict=True):
            self._record(p, m)

    def _failed(self, key: tuple[Any, ...], params: dict[str, Any], why: str,
                seconds: float) -> dict[str, Any]:
        """The trial of a setting the search offered that could not be fitted (``rating``
        weighting on ratings of 1e12 diverged, and ended ``train`` on a log its default
        binary weighting fits): recorded with no objective, it is never chosen."""
        trial = {"params": dict(params), "objective": None, "standard_error": 0.0,
                 "failed": why, "seconds": round(seconds, 3)}
        self.cache[key] = trial
        self.queries[id(trial)] = [np.full(len(q), np.nan)
                                   for q in self.queries[id(self.trials[0])]]
        self.trials.append(trial)
        if self.progress:
            print(f"{self._counted()}: " + ", ".join(
                f"{n} {v}" for n, v in params.items()) + f": not fitted ({why}; "
                f"{self._elapsed()})", file=sys.stderr)
        return trial

    def gain(self, challenger: dict[str, Any], incumbent: dict[str, Any]) -> tuple[float, float]:
        """``paired_log_gain`` of two trials: the log of their objectives' ratio and its
        paired standard error."""
        return paired_log_gain(self.queries[id(challenger)], self.queries[id(incumbent)])

    def wins(self, challenger: dict[str, Any], incumbent: dict[str, Any]) -> bool:
        """The margin rule: ``challenger``'s objective is higher than ``incumbent``'s by more
        than ``MARGIN`` of the incumbent's standard errors."""
        bar = score(incumbent) + MARGIN * float(incumbent.get("standard_error") or 0.0)
        return score(challenger) > bar

    def best(self, candidates: list[dict[str, Any]]) -> dict[str, Any]:
        """Run ``candidates`` in order. The first is the incumbent; the best of the others
        replaces it if it wins by the margin rule."""
        self.prefetch(candidates)
        results = [self.run(p) for p in candidates]
        incumbent = results[0]
        challenger = max(results[1:], key=lambda t: (score(t), -results.index(t)),
                         default=incumbent)
        return challenger if self.wins(challenger, incumbent) else incumbent


class TrialStoppedError(Exception):
    """A trial's fit ended early: the search stopped (Ctrl-C or another trial's error)."""


def _stopper(stop: threading.Event) -> Callable[..., None]:
    """A fit's per-sweep callback that raises ``TrialStoppedError`` once ``stop`` is set."""
    def check(*_: Any) -> None:
        if stop.is_set():
            raise TrialStoppedError
    return check


def _key(params: dict[str, Any]) -> tuple[Any, ...]:
    """The cache key of a trial's parameters."""
    return tuple(params.get(n) for n in (*TUNABLE, *FAMILY_TUNABLE, *PRIOR_TUNABLE))


def concurrency(cores: int | None = None, trials: int | None = None) -> tuple[int, ...]:
    """Each side-by-side trial's OpenMP threads, one count per trial run at once, on ``cores``
    (default: the threads the search may use, ``usable_threads``) for ``trials`` to run
    (default: many): up to ``MAX_SIDE_BY_SIDE`` trials, sharing the cores as evenly as whole
    threads go (6 cores: 2, 2, 1, 1), each at most ``TRIAL_THREADS``."""
    n = cores if cores is not None else (
        _USABLE[-1] if _USABLE else usable_threads(threadpool_info()))
    side_by_side = max(1, min(MAX_SIDE_BY_SIDE, n, trials or MAX_SIDE_BY_SIDE))
    each, more = divmod(max(n, 1), side_by_side)  # the first ``more`` trials: one more
    return tuple(max(1, min(TRIAL_THREADS, each + (i < more))) for i in range(side_by_side))


def score(trial: dict[str, Any]) -> float:
    if trial["objective"] is None:  # a trial that could not be fitted (``Search._failed``)
        return -1.0
    v = float(trial["objective"])
    return -1.0 if math.isnan(v) else v
