"""Training's side thread (``recommender.model.side_work``) changes no result: a model trained
with the seen matrices, the fingerprint, the final fit's confidence and the tier calibration
computed beside the fits equals one trained with each computed inline, in every path (a fresh
refit, a warm refit, EASE, no calibration holdout), and an error there reaches the caller."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from recommender.errors import InvalidParameterError
from recommender.io.dataset import Interactions
from recommender.model import calibration, calibration_inputs, side_work, training
from recommender.model.calibration_fit import fit_logistic
from recommender.model.config import TrainConfig
from recommender.model.training import train


def _log() -> Interactions:
    rng = np.random.default_rng(7)
    n = 6000
    users = rng.integers(0, 300, n)
    films = (rng.zipf(1.3, n) + users % 7) % 150
    return Interactions.from_columns(
        pa.array([f"u{u}" for u in users]), pa.array([f"f {f}" for f in films]),
        rating=rng.integers(1, 11, n).astype(np.float64) / 2,
        timestamp=1_600_000_000 + rng.integers(0, 10**7, n), source="synthetic")


def _meta(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in meta.items()
            if k not in ("created", "model_version", "training_seconds")}


CONFIGS = {
    "fresh refit": TrainConfig(factors=8, iterations=4),
    "warm refit": TrainConfig(factors=8, iterations=4, warm_iterations=2),
    "ease": TrainConfig(family="ease", factors=8, ease_lambda=50.0),
    "no holdout": TrainConfig(factors=8, iterations=4, holdout=0.0),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_a_model_trained_beside_equals_one_trained_inline(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data, config = _log(), CONFIGS[name]
    monkeypatch.setattr(side_work, "INLINE", True)
    inline = train(data, config, progress=False)
    monkeypatch.setattr(side_work, "INLINE", False)
    beside = train(data, config, progress=False)
    np.testing.assert_array_equal(inline.user_factors, beside.user_factors)
    np.testing.assert_array_equal(inline.film_factors, beside.film_factors)
    for a, b in ((inline.seen, beside.seen), (inline.seen_by_film, beside.seen_by_film)):
        assert (a != b).nnz == 0 and a.shape == b.shape and a.has_sorted_indices
    assert json.dumps(inline.calibration, sort_keys=True, default=str) == json.dumps(
        beside.calibration, sort_keys=True, default=str)
    assert _meta(inline.meta) == _meta(beside.meta)
    assert inline.meta["data"]["fingerprint"] == data.fingerprint()
    assert "event_rating" in beside.meta["data"]
    if name != "no holdout":
        assert beside.calibration  # the calibration ran (beside, or inline for EASE)


def test_the_calibration_runs_in_the_side_thread_and_its_error_reaches_the_caller(
        monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []
    real = calibration.from_arrays

    def recorded(*args: Any, **kwargs: Any) -> dict[str, Any]:
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(calibration, "from_arrays", recorded)
    train(_log(), CONFIGS["warm refit"], progress=False)
    assert threads and threads[0].startswith("train-side")

    def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise ValueError("planted")

    monkeypatch.setattr(calibration, "from_arrays", broken)
    with pytest.raises(ValueError, match="planted"):
        train(_log(), CONFIGS["warm refit"], progress=False)
    assert not [t for t in threading.enumerate() if t.name.startswith("train-side")]


def _blas_threads() -> list[int]:
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_a_failing_fit_lifts_the_blas_limit_only_after_the_side_calibration_ends(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # the warm refit fails while the calibration runs beside it: leaving the one-thread BLAS
    # limit restored the count while the calibration was still in its BLAS calls (not safe)
    started = threading.Event()
    counts: list[int] = []
    real_calibration, real_fit = calibration.from_arrays, training.fit_factors

    def slow(*args: Any, **kwargs: Any) -> dict[str, Any]:
        started.set()
        time.sleep(0.5)  # the main thread's error is raised meanwhile
        counts.extend(_blas_threads())
        return real_calibration(*args, **kwargs)

    def failing(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        if kwargs.get("init") is None:
            return real_fit(*args, **kwargs)
        started.wait(10)
        raise InvalidParameterError("planted")

    monkeypatch.setattr(calibration, "from_arrays", slow)
    monkeypatch.setattr(training, "fit_factors", failing)
    with threadpool_limits(2, "blas"), pytest.raises(InvalidParameterError, match="planted"):
        train(_log(), CONFIGS["warm refit"], progress=False)
    assert counts and set(counts) == {1}


def test_the_calibration_coefficients_do_not_depend_on_the_blas_thread_count() -> None:
    # the side thread runs the calibration under one BLAS thread, the sequential training ran
    # it under every core's: BLAS split the Newton steps' sums over rows among its threads, and
    # the coefficients of one log differed in their last digits (1e-13) between the two
    rng = np.random.default_rng(0)
    n = 100_000
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 10))])
    cands = rng.integers(1, 50, n).astype(np.float64)
    hits = rng.binomial(cands.astype(np.int64), 0.05).astype(np.float64)
    coefs: list[np.ndarray] = []
    for threads in (1, 2, 4):
        with threadpool_limits(threads, "blas"):
            coefs.append(fit_logistic(X, hits, cands))
    for coef in coefs[1:]:
        np.testing.assert_array_equal(coefs[0], coef)


@pytest.mark.parametrize("timestamps", [True, False])
def test_the_calibration_inputs_built_beside_the_first_fit_change_nothing(
        timestamps: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The calibration's inputs that the factors do not change (``calibration_inputs``) are
    built in the side thread before the calibration fit returns, and the calibration made
    with them equals ``from_arrays`` building them itself from the same factors."""
    data = _log()
    if not timestamps:
        data.timestamp = None
    events: list[str] = []
    calls: list[tuple[tuple[Any, ...], dict[str, Any], str]] = []
    real_prepare, real_calibration = calibration_inputs.prepare, calibration.from_arrays
    real_fit = training.fit_factors

    built = threading.Event()

    def prepare(*args: Any, **kwargs: Any) -> calibration_inputs.Prepared:
        events.append(f"prepare in {threading.current_thread().name}")
        out = real_prepare(*args, **kwargs)
        built.set()
        return out

    def fit(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        out = real_fit(*args, **kwargs)
        if kwargs.get("init") is None:  # the calibration fit: done once the inputs are
            events.append("fit returned" + ("" if built.wait(60) else " without them"))
        return out

    def recorded(*args: Any, **kwargs: Any) -> dict[str, Any]:
        out = real_calibration(*args, **kwargs)
        calls.append((args, kwargs, json.dumps(out, sort_keys=True, default=str)))  # as made
        return out

    monkeypatch.setattr(calibration_inputs, "prepare", prepare)
    monkeypatch.setattr(training, "fit_factors", fit)
    monkeypatch.setattr(calibration, "from_arrays", recorded)
    model = train(data, CONFIGS["warm refit"], progress=False)
    assert events[0].startswith("prepare in train-side") and events[1] == "fit returned"
    (args, kwargs, out), = calls
    assert isinstance(kwargs.pop("prepared"), calibration_inputs.Prepared)
    with threadpool_limits(1, "blas"):  # as in the side thread
        alone = real_calibration(*args, **kwargs)  # built here, from the same arguments
    assert out == json.dumps(alone, sort_keys=True, default=str)
    assert model.calibration and (model.calibration["horizon_days"] is None) != timestamps
