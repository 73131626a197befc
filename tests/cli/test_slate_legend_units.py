"""``distribution --slate``'s legend says what min_screens, max_screens and their '-' are, and
the calibration horizon's days when it has them (expected_new said "within the calibration
horizon" on a model whose horizon is N days; max_screens' '-' had no legend)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli
from service_fixtures import build_model

from recommender.model import artifact


@pytest.mark.parametrize("days", [30.0, None, "uncalibrated"])
def test_slate_legend_says_bounds_and_days(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           days: float | str | None) -> None:
    model = build_model(0)
    model.user_table.attributes["cinema"] = np.asarray(
        [f"c{i % 2 + 1}" for i in range(model.n_users)], dtype=str)
    cal = {k: v for k, v in model.calibration.items() if k != "horizon_days"}
    if isinstance(days, float):
        cal["horizon_days"] = days
    elif days == "uncalibrated":
        cal = {}
    folder = artifact.save(dataclasses.replace(model, calibration=cal), tmp_path / "m")
    screens = tmp_path / "screens.csv"
    screens.write_text("cinema_id,screens\nc1,3\nc2,3\n")
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,max_screens\n00000,\n00002,2\n")
    args = ("distribution", folder, "--slate", slate, "--screens-per-cinema", screens)
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0, err
    body = json.loads(out)
    assert any(f["max_screens"] is None for f in body["films"])  # a '-' in the table
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    legend = next(line for line in out.splitlines() if line.startswith("min_screens"))
    # the deviation is from the scaled targets, a hidden cinema's by the pool (units.objective)
    head = out.splitlines()[0]
    # a model without calibration forecasts no viewer: the screens are shared equally, and
    # the headline says so (it said "by expected new viewers" of 0)
    assert body["shared_by"] == ("equally" if days == "uncalibrated" else "expected_new")
    if days == "uncalibrated":
        assert head.startswith("6 screens of 2 cinemas shared equally among 2 films within "
                               "their bounds (no cinema has any expected new viewer"), head
        assert (f"with a film its max_screens holds back scaled down: "
                f"{body['objective']:.3f} screens)") in head, head
    else:
        assert ("with a film held to a bound scaled to it, a hidden cinema's by the pool of "
                f"hidden cinemas: {body['objective']:.3f} screens)") in head, head
    assert "('-': no maximum)" in legend and "over all cinemas" in legend
    horizon = body["horizon"]
    assert horizon.get("days") == (days if isinstance(days, float) else None)
    if isinstance(days, float):
        assert f"within {days:g} days, the calibration horizon" in legend, legend
    elif horizon["calibrated"]:  # a log without times: what the p covers, as a plan says it
        assert "no span in days" in horizon["description"]
        assert "within a random held-out share of the training interactions" in legend, legend
        assert "no span in days" in legend, legend
    else:  # every expected_new is 0: said so, not "within the calibration horizon"
        assert horizon["description"].startswith("no calibration")
        assert "every p is 0, the model has no calibration" in legend, legend
        assert all(f["expected_new"] == 0 for f in body["films"])
