"""Training configuration and its defaults (the tuned ones, see README "Defaults")."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from recommender.errors import InvalidParameterError
from recommender.model.weighting import check_scheme

# the final fit after the calibration fit is made afresh on logs of up to this many fitted
# interactions (a fit of seconds), else warm-started (``training.warm_sweeps``)
FRESH_REFIT_INTERACTIONS = 1_000_000

MODELS = ("als", "bpr", "lmf")
# model families: "als" fits ``model`` (implicit), "ease" the factorised EASE (ease.py) at rank
# ``factors`` and regularisation ``ease_lambda``
FAMILIES = ("als", "ease")
DEFAULT_TIERS: tuple[tuple[str, float], ...] = (("core", 1.0), ("extended", 4.0), ("broad", 15.0))
# what tuning inside `train` may change (recommender/model/tuning.py); a name in ``fixed`` stays
TUNABLE = ("regularization", "alpha", "weighting", "factors")
# regularization when none is given, per model: the gradient-step models take implicit's own
# defaults (ALS's 30 scaled their factors to ~1e-6 on the demo data: every score tied, one
# segment)
MODEL_REGULARIZATION = {"als": 30.0, "bpr": 0.01, "lmf": 0.6}
# learning rate when none is given, per model (ALS does not read it): LMF takes implicit's own
# 1.0 (at 0.05 its audiences on ML-100K ranked at about chance, audience AUC 0.51); BPR keeps
# 0.05, which scored above implicit's 0.01 there
MODEL_LEARNING_RATE = {"als": 0.05, "bpr": 0.05, "lmf": 1.0}
# TrainConfig's regularization and learning_rate default: a marker (compared by identity, so a
# NaN given is still refused) that __post_init__ replaces with the model's value above
_PER_MODEL = float("nan")
# what the family stage of that search may change (a name in ``fixed`` stays)
# a seed's range: numpy's generators refuse a negative one (a traceback after the training
# run), Spark's ALS takes a Java long
SEED_MAX = 2**63 - 1
FAMILY_TUNABLE = ("family", "ease_lambda")
# what its last stage may change: the popularity prior's weight (prior.py)
PRIOR_TUNABLE = ("popularity",)


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run. Field names are the CLI's ``--`` options."""

    # Defaults chosen across datasets, not per dataset: benchmarks/tune_defaults.py scores a grid
    # on validation splits carved out of the training parts of ML-100K, ML-latest-small (random
    # and time protocols) and FilmTrust (results/tuning.md). Binary confidence, regularization 30
    # and alpha 3 reach 0.99 of the best objective on average (worst 0.965); the previous BM25 /
    # regularization 0.05 / alpha 2 reached 0.72 (worst 0.57). 128 factors score the same, so 64
    # keep one audience a 64-wide mat-vec; 25 iterations gain 0.7% on average (2.6% on ML-latest
    # time) for 67% more training time, so 15 stay. Against EASE: results/quality.md.
    # Those rows ran implicit's 3 conjugate-gradient steps per solve, and 3 stay the default. 2
    # steps score 0.998 of 3 on the tuning splits (results/tuning.md, rows cg=) for 0.74-0.82x
    # the time per ALS iteration on 5M synthetic interactions, but on quality.py's test split of
    # ML-latest-small (time protocol) the engine's audience recall@100 fell from 0.696 to 0.655,
    # and at the ML-20M shape the whole `recommender train` was no faster within this VM's
    # run-to-run spread. `--cg-steps 2` is there for those who want the trade.
    model: str = "als"
    factors: int = 64
    iterations: int = 15
    regularization: float = _PER_MODEL  # MODEL_REGULARIZATION[model] when not given
    alpha: float = 3.0
    # conjugate-gradient steps per least-squares solve (implicit's CPU ALS; ignored by Spark)
    cg_steps: int = 3
    weighting: str = "binary"
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    min_rating: float | None = None
    learning_rate: float = _PER_MODEL  # MODEL_LEARNING_RATE[model] when not given
    seed: int = 0
    segments: int = 10
    # share of the training interactions held out to measure each tier's expected conversion
    holdout: float = 0.1
    # the final fit on all interactions after the calibration fit: None (automatic) fits it
    # afresh with ``iterations`` sweeps on logs of up to training.FRESH_REFIT_INTERACTIONS
    # and warm-starts training.WARM_ITERATIONS sweeps from the calibration fit above that
    # (which then runs that many fewer); a number forces the warm refit with that many sweeps
    # (0: the calibration fit is the model)
    warm_iterations: int | None = None
    tiers: tuple[tuple[str, float], ...] = field(default=DEFAULT_TIERS)
    # search TUNABLE on a validation split of the training part before fitting (tuning.py).
    # Off for a configuration built in code, so that it trains exactly as written; the CLI's
    # `train` turns it on unless --no-tune. The values above are the search's starting point.
    tune: bool = False
    # parameters the search leaves as they are (the CLI fills it from --config and the options
    # given on the command line)
    fixed: tuple[str, ...] = ()
    # "ease": the factorised EASE (recommender/model/ease.py) instead of ``model``; ``factors``
    # is then its rank, ``ease_lambda`` its regularisation, ``weighting`` builds its X, and
    # alpha, regularization, iterations and cg_steps are not used. Lambda 300 is the middle
    # of tuning's EASE_LAMBDA grid: on validation splits of the shared datasets the best
    # lambda was 300-1000 on the full logs and 30-1000 on the 5-per-user variants; `train`
    # searches it per log unless --no-tune or --ease-lambda.
    family: str = "als"
    ease_lambda: float = 300.0
    # the popularity prior's weight (recommender/model/prior.py): 0 adds none; > 0 adds a
    # per-film term to users' scores of films (recommendations only; audiences are unchanged).
    # `train` searches it per log (tuning's last stage) unless --no-tune or --popularity.
    popularity: float = 0.0

    def __post_init__(self) -> None:
        model = self.model if isinstance(self.model, str) else "als"
        if self.regularization is _PER_MODEL:
            self.regularization = MODEL_REGULARIZATION.get(model, 30.0)
        if self.learning_rate is _PER_MODEL:
            self.learning_rate = MODEL_LEARNING_RATE.get(model, 0.05)

    @property
    def fitted_model(self) -> str:
        """The model the fit makes, as ``meta.json``'s ``model`` names it: "ease" under the
        EASE family (which reads no ``model``), else ``model``."""
        return "ease" if self.family == "ease" else self.model

    def validate(self) -> TrainConfig:
        self._check_types()  # first: the checks below compare and take isfinite of values
        if self.model not in MODELS:
            raise InvalidParameterError(f"model must be one of {', '.join(MODELS)}, "
                                        f"got {self.model!r}")
        if self.family not in FAMILIES:
            raise InvalidParameterError(f"family must be one of {', '.join(FAMILIES)}, "
                                        f"got {self.family!r}")
        if not (math.isfinite(self.ease_lambda) and self.ease_lambda > 0):
            raise InvalidParameterError(f"ease_lambda (--ease-lambda) must be a finite number "
                                        f"> 0, got {self.ease_lambda}")
        if not (math.isfinite(self.popularity) and 0 <= self.popularity <= 100):
            raise InvalidParameterError(f"popularity (--popularity) must be a number in "
                                        f"[0, 100], got {self.popularity}")
        check_scheme(self.weighting)
        _in_range("factors", self.factors, 1, 4096)
        _in_range("iterations", self.iterations, 1, 1000)
        _in_range("cg_steps", self.cg_steps, 1, 32)
        _in_range("segments", self.segments, 1, 1000)
        _in_range("seed", self.seed, 0, SEED_MAX)
        if self.warm_iterations is not None:
            _in_range("warm_iterations", self.warm_iterations, 0, 100)
        if self.regularization < 0:
            raise InvalidParameterError(f"regularization must be >= 0, got {self.regularization}")
        if self.regularization == 0 and self.model == "als" and self.family == "als":
            # unregularised ALS interpolates the log: with as many factors as films it fits
            # every unwatched film's 0 exactly, so every score is round-off (1e-6 as shown)
            raise InvalidParameterError(
                "regularization must be > 0 for ALS: at 0 the fit has no unique solution (with "
                "as many factors as films it reproduces the log, and every film not watched "
                "scores 0); try 0.01 or more")
        if self.alpha <= 0:
            raise InvalidParameterError(f"alpha must be > 0, got {self.alpha}")
        if self.learning_rate <= 0:
            raise InvalidParameterError(f"learning_rate must be > 0, got {self.learning_rate}")
        # BM25's saturation and length normalisation (weighting.bm25): a negative k1 zeroed
        # every weight (and k1 -1 at b 0 divided 0 by 0: NaN confidence, a "diverged" fit told
        # to lower --alpha); b past [0, 1] turns a long history's length norm negative
        if self.bm25_k1 < 0:
            raise InvalidParameterError(f"bm25_k1 must be >= 0, got {self.bm25_k1}")
        if not 0 <= self.bm25_b <= 1:
            raise InvalidParameterError(f"bm25_b must be in [0, 1], got {self.bm25_b}")
        if not 0 <= self.holdout < 0.9:
            raise InvalidParameterError(f"holdout must be in [0, 0.9), got {self.holdout}")
        check_tiers(self.tiers)
        if tuple(self.tiers) != tuple(DEFAULT_TIERS):
            # every surface (audience pages, summaries, exports, the Studio, the contract)
            # names the rings core, extended and broad at these shares: a model's own would be
            # recorded and then ignored
            raise InvalidParameterError(
                "tiers cannot be set: the rings are " + ", ".join(
                    f"{n} {p:g}%" for n, p in DEFAULT_TIERS) + " of the ranked candidates on "
                f"every surface; got {[[n, p] for n, p in self.tiers]}")
        unknown = sorted(set(self.fixed) - {f.name for f in fields(self)})
        if unknown:
            raise InvalidParameterError(f"fixed names unknown parameters: {', '.join(unknown)}")
        return self

    def _check_types(self) -> None:
        """Each simple option of its declared type, numbers finite (a JSON ``--config`` can
        hold a string, 8.7 factors or NaN; each once crashed deep in the fit)."""
        for f in fields(self):
            value, kind = getattr(self, f.name), str(f.type)
            if kind.endswith("| None") and value is None:
                continue
            kind = kind.removesuffix(" | None")
            number = isinstance(value, int | float) and not isinstance(value, bool)
            ok = {"int": isinstance(value, int) and not isinstance(value, bool),
                  "float": number and math.isfinite(value),
                  "str": isinstance(value, str), "bool": isinstance(value, bool)}.get(kind, True)
            if not ok:
                want = {"int": "a whole number", "float": "a finite number",
                        "str": "text", "bool": "true or false"}[kind]
                raise InvalidParameterError(f"{f.name} must be {want}, got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["tiers"] = [[name, pct] for name, pct in self.tiers]
        d["fixed"] = list(self.fixed)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in d.items() if k in known}
        if "tiers" in kwargs:
            kwargs["tiers"] = tuple((str(n), float(p)) for n, p in kwargs["tiers"])
        if "fixed" in kwargs:
            kwargs["fixed"] = tuple(str(n) for n in kwargs["fixed"])
        return cls(**kwargs)


def check_tiers(tiers: tuple[tuple[str, float], ...]) -> None:
    """Tiers are (name, share of candidates in percent), outermost last; they sum to <= 100."""
    if not tiers:
        raise InvalidParameterError("at least one tier is needed")
    total = sum(p for _, p in tiers)
    if any(p <= 0 for _, p in tiers) or total > 100 + 1e-9:
        raise InvalidParameterError(
            f"tier shares must be > 0 and sum to at most 100%, got {[p for _, p in tiers]}"
        )


def _in_range(name: str, value: int, lo: int, hi: int) -> None:
    if not lo <= value <= hi:
        raise InvalidParameterError(f"{name} must be in [{lo}, {hi}], got {value}")
