"""Every number of a campaign report's body has its entry in the body's ``units``: found by
walking a real body (``campaign report --json``, the HTTP body's bytes), not by listing the
fields. ``measured_targets``, the rates' ends, the waves' numbers, ``events_read`` and others
had none: the units named families (``conversions``, ``rates``) the fields do not carry."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import number_paths, synthetic_model
from helpers import run_cli as run

from recommender.model import artifact


def unitless(body: dict[str, Any]) -> set[str]:
    """The numbers' paths that no unit names: by the field, or by its parent (an interval's
    ``estimate``, ``low`` and ``high`` under ``target_rate``)."""
    units = body["units"]
    return {".".join(p) for p in number_paths(body, ("units", "method", "horizon"))
            if p[-1] not in units and (len(p) < 2 or p[-2] not in units)}


def test_every_number_of_a_report_has_a_unit(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    model = synthetic_model(n_users=400, n_films=8, seed=4)
    folder = artifact.save(dataclasses.replace(model, calibration=dict(
        model.calibration, horizon_days=30.0)), tmp_path / "model")
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n" + "".join(f"{f},40\n" for f in model.films.ids[[0, 3]]))
    store = f"sqlite:///{tmp_path / 'store.db'}"
    code, out, err = run(capsys, "plan", folder, "--slate", slate, "--out", tmp_path / "p.csv",
                         "--store", store, "--json", "--holdout", "0.3")
    assert code == 0, err
    plan_id = json.loads(out)["plan_id"]
    code, out, err = run(capsys, "campaign", "report", plan_id, "--store", store, "--json",
                         "--model", folder)
    assert code == 0, err
    body = json.loads(out)
    assert body["dispersion"]["attribute"] == "region"  # its numbers walked too
    paths = {".".join(p) for p in number_paths(body, ("units", "method", "horizon"))}
    # the walk sees the blocks' counts, rates and intervals, the waves' numbers, the counts
    assert {"overall.measured_targets", "films.waves.wave", "overall.target_rate.low",
            "events_read", "sent_waves", "predicted.window_days", "dispersion.level",
            "dispersion.targets.rows", "dispersion.targets.places"} <= paths
    assert unitless(body) == set()
