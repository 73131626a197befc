"""A model trained on a log without timestamps says its p are no conversion rate: its
calibration holdout was a random share, so p is the chance a hidden viewing is found. The
summary printed "core conversion 0.97993" and the planner "expected conversions 17.37 from
20 contacts" with only "it has no span in days"; now the horizon carries ``random_holdout``
and a ``note``, ``summary`` and ``plan`` warn, the plan's units say so, and HTTP's summary
body is the CLI's."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from helpers import synthetic_model, timeless_log

from recommender.model import artifact, calibration
from service.app import create_app
from service.settings import Settings

NOTE = "not a conversion rate: each probability is the chance that a hidden viewing is found"


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("random-holdout")
    base = synthetic_model(n_users=120, n_films=8, seed=5)
    assert calibration.measured(base.calibration) and not base.calibration.get("horizon_days")
    timed = dataclasses.replace(base, calibration=dict(base.calibration, horizon_days=30.0))
    return {"root": root, "film": str(base.films.ids[1]),
            "untimed": artifact.save(base, root / "untimed"),
            "timed": artifact.save(timed, root / "timed")}


def test_summary_says_its_conversion_is_no_rate(
        capsys: pytest.CaptureFixture[str], models: dict[str, Any]) -> None:
    film = models["film"]
    for name, random in (("untimed", True), ("timed", False)):
        code, out, err = run(capsys, "summary", models[name], film, "--json")
        assert code == 0, err
        horizon = json.loads(out)["horizon"]
        assert horizon["random_holdout"] is random
        assert (NOTE in horizon.get("note", "")) is random
        code, out, err = run(capsys, "summary", models[name], film)
        assert code == 0, err
        warned = [line for line in out.splitlines() if line.startswith("warning: the conversion")]
        assert len(warned) == (1 if random else 0), out
        if random:
            assert NOTE in warned[0]
    # HTTP's body is the CLI's --json (the horizon with its note)
    code, out, err = run(capsys, "summary", models["untimed"], film, "--json")
    settings = Settings(model_path=str(models["untimed"]),
                        store=str(models["root"] / "store.db"), warm_cache=False)
    with TestClient(create_app(settings)) as client:
        answer = client.get(f"/films/{film}/audience/summary")
    assert answer.status_code == 200, answer.text
    assert answer.json()["horizon"] == json.loads(out)["horizon"]


def test_plan_says_its_expected_conversions_are_no_forecast(
        capsys: pytest.CaptureFixture[str], models: dict[str, Any], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    slate = tmp_path / "slate.csv"
    slate.write_text(f"film_id,budget\n{models['film']},20\n")
    for name, random in (("untimed", True), ("timed", False)):
        code, out, err = run(capsys, "plan", models[name], "--slate", slate, "--out",
                             tmp_path / f"{name}.csv", "--json")
        assert code == 0, err
        summary = json.loads(out)["summary"]
        assert summary["horizon"]["random_holdout"] is random
        assert summary["totals"]["expected_conversions"] > 0
        for unit in ("p", "expected_conversions"):
            assert ("no forecast of conversion" in summary["units"][unit]) is random
        assert ("warning: expected conversions are no forecast" in err) is random, err
        code, out, err = run(capsys, "plan", models[name], "--slate", slate, "--out",
                             tmp_path / f"{name}2.csv")
        assert code == 0, err
        row = next(line for line in out.splitlines() if line.startswith("expected conversions"))
        assert ("no forecast of conversion" in row) is random, row


def test_a_horizon_stored_before_the_flag_reads_as_then() -> None:
    # a plan stored by an older engine: its horizon has no random_holdout field
    old = {"days": None, "calibrated": True, "description": "probability (...) of watching "
           "within the held-out slice ..., so it has no span in days"}
    assert calibration.random_holdout(old) is False
    assert calibration.uncalibrated(old) is False


def test_train_warns_on_a_log_without_times(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    src, log = timeless_log(tmp_path)
    for data, random in ((log, True), (src, False)):
        code, _, err = run(capsys, "train", "--data", data, "--out", tmp_path / f"m{random}",
                           "--no-tune", "--factors", 4, "--iterations", 2, "--segments", 2)
        assert code == 0, err
        horizon = calibration.horizon(artifact.load(tmp_path / f"m{random}").calibration)
        assert horizon["random_holdout"] is random  # the oracle: what the model measured
        warned = [line for line in err.splitlines() if calibration.RANDOM_HOLDOUT_NOTE in line]
        assert len(warned) == (1 if random else 0), err


def test_the_report_warns_its_predicted_conversions_are_no_forecast(
        capsys: pytest.CaptureFixture[str], models: dict[str, Any], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan of the untimed model: its report's expected conversions rest on p that are no
    conversion rates; the report said so only in the plan's description (the text, --json and
    HTTP now warn); a plan of the timed model is not warned."""
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    slate = tmp_path / "slate.csv"
    slate.write_text(f"film_id,budget\n{models['film']},20\n")
    store = str(tmp_path / "store.db")
    for name, random in (("untimed", True), ("timed", False)):
        code, out, err = run(capsys, "plan", models[name], "--slate", slate, "--out",
                             tmp_path / f"{name}.csv", "--store", store, "--json")
        assert code == 0, err
        plan = json.loads(out)
        # the oracle: the flag the plan's own summary carries
        assert calibration.random_holdout(plan["summary"]["horizon"]) is random
        pid = plan["plan_id"]
        code, out, err = run(capsys, "campaign", "report", pid, "--store", store, "--json")
        assert code == 0, err
        body = json.loads(out)
        said = body["calibration_warning"]
        if random:
            assert "random holdout" in said and "no forecast of conversion" in said, said
            assert plan["summary"]["horizon"]["note"] in said, said
        else:
            assert said is None
        code, out, err = run(capsys, "campaign", "report", pid, "--store", store)
        assert code == 0, err
        warned = [line for line in out.splitlines() if "random holdout" in line]
        assert warned == ([f"warning: {said}"] if random else []), out
        settings = Settings(model_path=str(models[name]), store=store, warm_cache=False)
        with TestClient(create_app(settings)) as client:
            r = client.get(f"/campaigns/{pid}/report")
        assert r.status_code == 200, r.text
        assert r.json()["calibration_warning"] == said
