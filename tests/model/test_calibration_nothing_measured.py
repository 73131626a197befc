"""A calibration holdout that measured no conversion is no calibration, not a rate of 0.

The logs: one heavy user with 300 films and three users with one film each, the latest (the
held-out slice, the latest 10%, ranks no candidate: 1,000 bins of zero hits over zero
candidates); and users whose events each fall in their own block of time (the held-out slice
is new users only: known users are ranked, none converts). The tiers must carry no expected
conversion (``None``), the horizon must say there is no calibration, ``/health``'s
``has_calibration`` must be false and ``train`` must warn. Before, the bins of zeros were read
as "one curve for every film": every tier converted 0.0 "within 0.043 days", plans expected
nothing, and ``recommender info`` said "calibrated tiers: yes".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
from helpers import run_cli

from recommender.io.dataset import Interactions
from recommender.model import calibration
from recommender.model.config import TrainConfig
from recommender.model.training import train
from recommender.query.audience import audience_summary
from recommender.query.catalog import model_info


def _whale() -> Interactions:
    users = ["whale"] * 300 + ["u1", "u2", "u3"]
    films = [f"f{i}" for i in range(300)] + ["f1", "f2", "f3"]
    ts = np.r_[1000 + np.arange(300), 5000, 5001, 5002].astype(np.int64)
    return Interactions.from_columns(pa.array(users), pa.array(films), timestamp=ts,
                                     source="whale")


def test_nothing_measured_is_no_calibration() -> None:
    model = train(_whale(), TrainConfig(factors=4, iterations=3, segments=2, tune=False),
                  progress=False)
    calib = model.calibration
    assert calib and not calib.get("model") and sum(calib["candidates"]) == 0
    assert not calibration.measured(calib)
    assert model_info(model)["has_calibration"] is False
    summary = audience_summary(model, "f0")
    assert summary["horizon"]["days"] is None
    assert summary["horizon"]["description"].startswith("no calibration in this model")
    assert summary["base_conversion"] is None
    sized = [t for t in summary["tiers"] if t["size"]]
    assert sized and all(t["expected_conversion"] is None for t in sized)


def _blocks() -> Interactions:
    """50 users, each with 6 films whose events fall in the user's own block of time: the
    latest 10% are the last 5 users' whole histories, users the fit before the cut never saw.
    Known users are ranked for every film (candidates), and none of them converts (no hit)."""
    rng = np.random.default_rng(0)
    users, films, ts = [], [], []
    for u in range(50):
        for f in rng.choice(30, size=6, replace=False):
            users.append(f"u{u}")
            films.append(f"f{f}")
            ts.append(1000 + u * 40 + int(f))
    return Interactions.from_columns(pa.array(users), pa.array(films),
                                     timestamp=np.asarray(ts, np.int64), source="blocks")


def test_no_hit_among_ranked_candidates_is_no_calibration() -> None:
    model = train(_blocks(), TrainConfig(factors=4, iterations=3, segments=2, tune=False),
                  progress=False)
    calib = model.calibration
    assert sum(calib["candidates"]) > 0 and sum(calib["hits"]) == 0
    assert not calibration.measured(calib)
    assert model_info(model)["has_calibration"] is False
    summary = audience_summary(model, "f0")
    assert summary["base_conversion"] is None and summary["horizon"]["days"] is None
    assert all(t["expected_conversion"] is None for t in summary["tiers"])


def test_train_warns_when_nothing_was_measured(tmp_path: Path, capsys: object) -> None:
    log = tmp_path / "whale.csv"
    data = _whale()
    assert data.timestamp is not None
    rows = ["user_id,film_id,timestamp"] + [
        f"{data.users.ids[u]},{data.films.ids[f]},{t}"
        for u, f, t in zip(data.user_idx, data.film_idx, data.timestamp, strict=True)]
    log.write_text("\n".join(rows) + "\n")
    code, out, err = run_cli(capsys, "train", "--data", log, "--out", tmp_path / "m",
                             "--no-tune", "--factors", "4", "--iterations", "3")
    assert code == 0
    assert "warning: no tier conversion was measured" in err
    code, out, _ = run_cli(capsys, "info", tmp_path / "m")
    assert code == 0 and "calibrated tiers: no" in out
    # the summary's legend said "conversion = the tier's mean no calibration in this model..."
    code, out, _ = run_cli(capsys, "summary", tmp_path / "m", "f1")
    assert code == 0 and "conversion: none (no calibration in this model" in out, out
    assert "the tier's mean no calibration" not in out


def test_a_calibration_on_few_conversions_is_said_to_be_rough() -> None:
    """A log of 5 users fitted the per-film model on 3 held-out conversions and its tiers
    read "calibrated per film" like any other. Under ``FEW_HITS`` the horizon says how many
    conversions it rests on; from ``FEW_HITS`` on it says nothing more."""
    bins = np.zeros(calibration.N_BINS, np.int64)
    for hits, rough in ((3, True), (calibration.FEW_HITS, False)):
        b = bins.copy()
        b[0] = hits
        calib = {"hits": b.tolist(), "candidates": (bins + 1000).tolist(), "horizon_days": 7.0}
        text = calibration.horizon(calib)["description"]
        assert ("measured on only 3 held-out conversions: a rough figure" in text) is rough, text
        assert "one curve for every film" in text
