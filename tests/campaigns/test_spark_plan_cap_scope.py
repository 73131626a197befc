"""``plan --engine spark --summary S.json``: the summary has the local summary's top-level
``cap_scope`` block (scope, plans counted, users limited and excluded, note); the Spark
branch of ``cli.campaigns._plan`` never set it (README: "its `cap_scope` counts ...").
Spark is not needed to see what the command adds to the Spark planner's summary: the
planner is stood in for by the local ``plan_slate`` (which sets no such block itself, as
the Spark planner does not), marked ``engine: spark``.

Oracle: the local command's summary of the same slate and model; by hand, the plan scope
counts no other plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import synthetic_model

from recommender.campaigns import spark_plan
from recommender.campaigns.plan import plan_slate
from recommender.campaigns.slate import PLAN_SCOPE
from recommender.cli import main
from recommender.model import artifact


def _stand_in(model: Any, slate: Any, **options: Any) -> Any:
    options.pop("master", None)
    plan = plan_slate(model, slate, progress=False, **options)
    assert "cap_scope" not in plan.summary  # what the command is given, as Spark's
    plan.summary["engine"] = "spark"
    return plan


@pytest.mark.parametrize("store", [False, True])
def test_the_spark_summary_says_the_cap_scope_as_the_local_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: bool) -> None:
    monkeypatch.setattr(spark_plan, "plan_slate_spark", _stand_in)
    model = synthetic_model(n_users=60, n_films=8, seed=4)
    folder = artifact.save(model, tmp_path / "model")
    slate = tmp_path / "slate.csv"
    slate.write_text(f"film_id,budget\n{model.films.ids[1]},6\n{model.films.ids[3]},4\n",
                     encoding="utf-8")
    said = {}
    for engine in ("local", "spark"):
        summary = tmp_path / f"{engine}.json"
        where = ["--store", str(tmp_path / f"{engine}.db")] if store else ["--store", "none"]
        assert main(["plan", str(folder), "--slate", str(slate), "--out",
                     str(tmp_path / f"{engine}.csv"), "--cap", "2", "--summary", str(summary),
                     "--engine", engine, *where]) == 0
        said[engine] = json.loads(summary.read_text(encoding="utf-8"))
    assert said["spark"]["engine"] == "spark"
    assert said["spark"]["cap_scope"] == said["local"]["cap_scope"]
    scope = said["spark"]["cap_scope"]
    assert (scope["scope"], scope["plans"], scope["users_limited"], scope["users_excluded"]) \
        == (PLAN_SCOPE, 0, 0, 0)
    assert "other plans in the store may select the same users" in scope["note"]
