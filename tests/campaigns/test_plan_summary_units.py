"""Every number of a plan's summary has its entry in the summary's ``units``: found by walking
real summaries (a first plan, a second one of the same films beside it in a store, which
says the pairs it left out, and a next wave of the first, one film left out), not by listing
the fields. A film's eligible users and value, the selected rows, the optimality and naive
figures, the parameters, the timings and a next wave's counts had none."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import number_paths, synthetic_model
from helpers import run_cli as run

from recommender.model import artifact


def unitless(summary: dict[str, Any]) -> set[str]:
    """The numbers' paths no unit names: by the field, parent and field, or the parent."""
    units = summary["units"]
    return {".".join(p) for p in number_paths(summary)
            if p[-1] not in units and ".".join(p[-2:]) not in units
            and (len(p) < 2 or p[-2] not in units)}


def test_every_number_of_a_plan_summary_has_a_unit(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    model = synthetic_model(n_users=300, n_films=8, seed=2)
    folder = artifact.save(dataclasses.replace(model, calibration=dict(
        model.calibration, horizon_days=30.0)), tmp_path / "model")
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget,value\n" + "".join(
        f"{f},20,{v}\n" for f, v in zip(model.films.ids[[1, 2]], (1.0, 2.5), strict=True)))
    store = f"sqlite:///{tmp_path / 'store.db'}"
    summaries = []
    for name in ("a", "b"):
        code, out, err = run(capsys, "plan", folder, "--slate", slate, "--out",
                             tmp_path / f"{name}.csv", "--store", store, "--json")
        assert code == 0, err
        summaries.append(json.loads(out)["summary"])
    code, out, err = run(capsys, "plan", folder, "--after", summaries[0]["plan_id"],
                         "--sent-waves", 1, "--out", tmp_path / "c.csv", "--store", store,
                         "--leave-out", str(model.films.ids[2]), "--json")
    assert code == 0, err
    summaries.append(json.loads(out)["summary"])  # a next wave, a film left out
    paths = {".".join(p) for s in summaries for p in number_paths(s)}
    assert {"films.eligible_users", "optimality.gap", "parameters.waves", "totals.films",
            "held_out_elsewhere.pairs", "solve_seconds", "films.waves.wave",
            "excluded.users_at_cap", "films.measured_uplift.absolute_uplift.low",
            "left_out.budget_left", "events_seq"} <= paths
    for summary in summaries:
        assert unitless(summary) == set()
