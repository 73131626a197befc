"""A report read with a model that is not the plan's says so: ``campaign report --model
OTHER`` (its model_version another, none of the plan's users known) said "not checked by
region: too few conversions", nothing telling that the places were another model's. The
dispersion block's ``model_warning`` names both versions and counts the plan's users the model
lacks; the CLI prints it as a warning, HTTP (the served model) gives the same body. Oracle:
the plan rows' user ids against the other model's, as sets."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from service_fixtures import save_model
from stored_plans import first_plan

from recommender.campaigns.report import campaign_report
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings


def test_another_models_places_are_said(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    model, store, db, plan_id = first_plan(tmp_path)
    rows = pa.concat_tables(list(store.iter_rows(plan_id)))
    plan_users = set(rows.column("user_id").to_pylist())
    version = store.summary(plan_id)["model_version"]
    assert version == model.version
    own = campaign_report(store, plan_id, model=model)
    assert own["dispersion"]["model_warning"] is None
    other_dir = save_model(tmp_path / "other")
    other = artifact.load(other_dir)
    lacking = len(plan_users - set(other.users.ids.tolist()))
    assert other.version != version and lacking > 0
    got = campaign_report(store, plan_id, model=other)["dispersion"]
    assert got["model_warning"] == (
        f"the places come from model {other.version}, not the plan's ({version}, the model it "
        f"was planned with): it does not know {lacking:,} of the plan's {len(plan_users):,} "
        "users (their rows are in no place, unplaced_rows); give the plan's model for its "
        "users' places")
    store.close()
    code, out, err = run_cli(capsys, "campaign", "report", plan_id, "--store", db, "--model",
                             other_dir)
    assert code == 0, err
    assert f"warning: {got['model_warning']}" in out, out
    code, out, err = run_cli(capsys, "campaign", "report", plan_id, "--store", db, "--model",
                             other_dir, "--json")
    assert json.loads(out)["dispersion"]["model_warning"] == got["model_warning"]
    with TestClient(create_app(Settings(model_path=str(other_dir), store=str(db),
                                        warm_cache=False))) as client:
        served = client.get(f"/campaigns/{plan_id}/report").json()["dispersion"]
    assert served["model_warning"] == got["model_warning"]
    code, out, err = run_cli(capsys, "campaign", "report", plan_id, "--store", db, "--model",
                             artifact.save(model, tmp_path / "own"))
    assert code == 0 and "the places come from model" not in out, out
