"""A Spark plan that repeats a stored one says so, as a local plan does: ``plan --engine spark``
run twice on one store stored two plans of the same slate, model and parameters without a word
(the local planner names the first in ``held_out_elsewhere.same_request`` and warns with
``retry_warning``). Oracle: the first plan's id and ``created`` as the first command wrote
them, and a run with another seed (another request: no twin named)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli
from service_fixtures import save_model

pytestmark = [pytest.mark.spark, pytest.mark.usefixtures("no_recommender_env")]


def test_a_spark_plan_repeating_a_stored_one_says_so(
        spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import recommender.campaigns.spark_plan as spark_plan

    # the shared session (the CLI would start its own), no local check of the dual prices
    monkeypatch.setattr(spark_plan, "plan_slate_spark", functools.partial(
        spark_plan.plan_slate_spark, spark=spark, local_check=0))
    model = save_model(tmp_path / "model")
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget,value\n00003,12,2\n00004,9,1\n", encoding="utf-8")
    (tmp_path / "opt.txt").write_text("u5\n", encoding="utf-8")

    def plan(n: int, *extra: str) -> tuple[str, dict[str, Any]]:
        code, _, err = run_cli(capsys, "plan", model, "--slate", slate, "--engine", "spark",
                               "--out", tmp_path / f"p{n}.csv", "--summary",
                               tmp_path / f"p{n}.json", "--store", tmp_path / "s.db",
                               "--exclude", tmp_path / "opt.txt", *extra)
        assert code == 0, err
        return err, json.loads((tmp_path / f"p{n}.json").read_text())

    err, first = plan(1, "--seed", "4")
    assert "same slate, model and parameters" not in err, err
    assert "same_request" not in first["held_out_elsewhere"]
    err, second = plan(2, "--seed", "4")
    twin = [{"plan_id": first["plan_id"], "created": first["created"]}]
    assert second["held_out_elsewhere"]["same_request"] == twin
    assert second["retry_warning"].startswith(f"plan {first['plan_id']} (stored ")
    assert f"warning: {second['retry_warning']}" in err, err
    err, other = plan(3, "--seed", "5")  # another request: its pairs are said, no twin
    assert "same_request" not in other["held_out_elsewhere"] and "retry_warning" not in other
    assert "same slate, model and parameters" not in err, err
