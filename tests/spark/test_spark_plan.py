"""The Spark planner (``recommender.campaigns.spark_plan``) against the local exact planner:
every budget (target rows; the control group on top, within the film's selection size), cap,
seen and opt-out exclusion respected exactly, each row's rank and ``p`` those of the local
candidates, and the objective within 0.5% of the local LP optimum.

Oracles: ``plan_slate`` (HiGHS, exact), ``slate_candidates`` on the same model and the
brute-force budget rule (``campaign_oracles``)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from campaign_oracles import brute_phase, brute_selection_size, brute_targets
from helpers import synthetic_model
from service_fixtures import build_model, save_model

from recommender.campaigns.plan import PLAN_COLUMNS, plan_slate
from recommender.campaigns.probabilities import slate_candidates
from recommender.campaigns.slate import SlateFilm
from recommender.cli import main
from recommender.model import artifact
from recommender.model.model import Model

pytestmark = pytest.mark.spark


def check_plan(model: Model, slate: list[SlateFilm], cap: int, exclude: list[str],
               spark: Any) -> Any:
    from recommender.campaigns.spark_plan import plan_slate_spark

    got = plan_slate_spark(model, slate, cap=cap, holdout=0.2, waves=2, seed=5,
                           exclude=exclude, spark=spark, progress=False)
    want = plan_slate(model, slate, cap=cap, holdout=0.2, waves=2, seed=5, exclude=exclude,
                      progress=False)
    assert got.rows.column_names == list(PLAN_COLUMNS)
    assert got.rows.schema == want.rows.schema
    films = [str(f) for f in got.rows.column("film_id").to_pylist()]
    users = [str(u) for u in got.rows.column("user_id").to_pylist()]
    groups = got.rows.column("group").to_pylist()
    # budgets count target rows, the controls come on top within the selection size
    targets = [f for f, g in zip(films, groups, strict=True) if g == "target"]
    for s in slate:
        selected = films.count(s.film_id)
        phase = brute_phase(s.film_id)
        assert targets.count(s.film_id) == brute_targets(selected, 2, 0.2, phase=phase) \
            <= s.budget
        assert selected <= brute_selection_size(s.budget, 2, 0.2, phase)
    per_user: dict[str, int] = {}
    for u in users:
        per_user[u] = per_user.get(u, 0) + 1
    assert max(per_user.values()) <= cap
    assert len(set(zip(films, users, strict=True))) == len(films)
    assert not set(users) & set(exclude)
    assert set(groups) <= {"target", "control"} and "control" in groups
    # never a seen pair; rank and p are the local planner's for the same pair
    idx = model.films.to_index([s.film_id for s in slate], strict=True)
    cands = slate_candidates(model, idx, progress=False)
    pos = {s.film_id: i for i, s in enumerate(slate)}
    fpos = np.array([pos[f] for f in films])
    uidx = model.users.to_index(users, strict=True)
    for f, u in zip(fpos.tolist(), uidx.tolist(), strict=True):
        assert u not in set(model.film_viewers(int(idx[f])).tolist())
    assert np.array_equal(cands.rank[fpos, uidx], got.rows.column("rank").to_numpy())
    assert np.array_equal(cands.p[fpos, uidx], got.rows.column("p").to_numpy())
    # the objective: never above the exact optimum, within 0.5% of it; the bound is valid
    opt = want.summary["optimality"]["objective"]
    o = got.summary["optimality"]
    assert o["objective"] <= opt + 1e-9
    assert o["objective"] >= 0.995 * opt
    assert o["lp_upper_bound"] >= opt - 1e-9
    assert o["local_lp_optimum"]["objective"] == pytest.approx(opt)
    assert got.summary["engine"] == "spark"
    # the local planner's parameters, the opt-outs that name no user listed too
    assert got.summary["parameters"] == want.summary["parameters"]
    assert got.summary["naive"]["objective"] == pytest.approx(
        want.summary["naive"]["objective"], rel=1e-9)
    totals = got.summary["totals"]
    assert totals["contacts"] + totals["control"] == got.rows.num_rows
    # the same budgets, selection sizes, eligible users and flags as the local planner
    keys = ("film_id", "budget", "selected_limit", "budget_exceeds_eligible", "eligible_users")
    assert [{k: f[k] for k in keys} for f in got.summary["films"]] == \
        [{k: f[k] for k in keys} for f in want.summary["films"]]
    # a film without a control group, or in fewer waves than asked, said as locally
    assert got.summary.get("plan_notes") == want.summary.get("plan_notes")
    return got


def test_spark_plan_says_a_film_without_controls(spark: Any) -> None:
    """A budget of 1 at holdout 0.2 and 2 waves: no control group, one wave (plan_notes)."""
    from recommender.campaigns.waves import rounding_phases

    model = synthetic_model(n_users=200, n_films=12, seed=4)
    ids = [str(i) for i in model.films.ids]
    # a film of budget 1 selects one user, no control, where 0.4 + its phase < 1
    small = next(i for i, ph in zip(ids, rounding_phases(ids), strict=True) if ph < 0.6)
    slate = [SlateFilm(small, 1), SlateFilm(next(i for i in ids if i != small), 30)]
    got = check_plan(model, slate, 1, [], spark)
    assert {n["kind"] for n in got.summary["plan_notes"]} == {"no_control", "fewer_waves"}


def test_spark_plan_on_a_trained_model(spark: Any) -> None:
    """A trained model whose calibration is nearly flat per film: a very degenerate dual."""
    model = build_model(seed=1)
    ids = [str(i) for i in model.films.ids[[0, 3, 7, 11, 20]]]
    slate = [SlateFilm(ids[0], 40, 1.0), SlateFilm(ids[1], 25, 2.5),
             SlateFilm(ids[2], 60, 1.0), SlateFilm(ids[3], 10, 0.7),
             SlateFilm(ids[4], 500, 1.0)]  # the last budget exceeds the eligible users
    exclude = [str(u) for u in model.users.ids[[1, 2, 50]]] + ["nobody"]
    check_plan(model, slate, 2, exclude, spark)


def test_spark_plan_with_tied_probabilities(spark: Any) -> None:
    model = synthetic_model(n_users=200, n_films=12, seed=4, ties=True)
    ids = [str(i) for i in model.films.ids[[0, 2, 5, 9]]]
    slate = [SlateFilm(ids[0], 30), SlateFilm(ids[1], 45, 2.0), SlateFilm(ids[2], 20),
             SlateFilm(ids[3], 50, 1.5)]
    check_plan(model, slate, 1, [str(model.users.ids[7])], spark)


def test_cli_plan_engine_spark_writes_the_local_plan(spark: Any, tmp_path: Path) -> None:
    """``recommender plan --engine spark``: the local plan's rows (the rank tie-break leaves
    one optimum on this model), the same columns, and a summary that names the engine."""
    model_dir = save_model(tmp_path / "model", seed=2)
    model = artifact.load(model_dir)
    ids = [str(i) for i in model.films.ids[[1, 4, 9]]]
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget,value\n" + "".join(
        f"{f},{b},{v}\n" for f, b, v in zip(ids, (30, 20, 50), (1, 2, 1.5), strict=True)),
        encoding="utf-8")
    out = {e: tmp_path / f"{e}.csv" for e in ("local", "spark")}
    for engine, path in out.items():
        assert main(["plan", str(model_dir), "--slate", str(slate), "--out", str(path),
                     "--cap", "2", "--engine", engine, "--summary",
                     str(tmp_path / f"{engine}.json")]) == 0
    rows = {e: [(r["film_id"], r["user_id"], r["wave"], r["group"], r["rank"], r["p"])
                for r in csv.DictReader(p.open(encoding="utf-8"))] for e, p in out.items()}
    header = out["spark"].read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(PLAN_COLUMNS)
    summaries = {e: json.loads((tmp_path / f"{e}.json").read_text(encoding="utf-8"))
                 for e in out}
    assert summaries["spark"]["engine"] == "spark"
    assert summaries["spark"]["optimality"]["objective"] == pytest.approx(
        summaries["local"]["optimality"]["objective"], rel=5e-3)
    assert sorted(rows["spark"]) == sorted(rows["local"])
    # the cap's scope, as the local summary says it (the Spark summary had no such block)
    assert summaries["spark"]["cap_scope"] == summaries["local"]["cap_scope"]


def test_spark_plan_budget_past_every_user(spark: Any) -> None:
    """A budget far past the users (a selection size past 2^32): the Spark planner solves
    with each film's selection size capped at the model's users, as the local one does; the
    naive plan it reports (the film's top users) selected nobody when the size wrapped to
    int32 on its way to Spark."""
    from recommender.campaigns.spark_plan import plan_slate_spark

    model = synthetic_model(n_users=120, n_films=6, seed=2)
    ids = [str(i) for i in model.films.ids[[0, 3]]]
    slate = [SlateFilm(ids[0], 2**40), SlateFilm(ids[1], 10, 2.0)]
    got = plan_slate_spark(model, slate, cap=1, holdout=0.5, waves=2, seed=3, spark=spark,
                           progress=False)
    want = plan_slate(model, slate, cap=1, holdout=0.5, waves=2, seed=3, progress=False)
    assert got.summary["naive"] == want.summary["naive"]
    assert got.summary["optimality"]["objective"] == pytest.approx(
        want.summary["optimality"]["objective"], rel=1e-9)
    assert [f["selected_limit"] for f in got.summary["films"]] == \
        [f["selected_limit"] for f in want.summary["films"]]


@pytest.mark.parametrize(("seed", "exclude", "said"), [
    (2**32, [], "seed must be in"),  # the control draw uses 32 bits: it would repeat seed 0
    (-1, [], "seed must be in"),
    (0, ["fine", "x\x00y"], "NUL byte"),
])
def test_spark_plan_refuses_what_the_local_planner_refuses(spark: Any, seed: int,
                                                           exclude: list[str],
                                                           said: str) -> None:
    """A seed out of range or an opt-out holding a NUL byte: refused before Spark works, with
    the local planner's words, not planned (the seed's draw wrapped; the opt-out was refused
    only by the local planner run for ``local_lp_optimum``, after Spark's work, and not at
    all on a slate past ``local_check``)."""
    from recommender.campaigns.spark_plan import plan_slate_spark
    from recommender.errors import InvalidParameterError

    model = synthetic_model(n_users=60, n_films=4, seed=1)
    slate = [SlateFilm(str(model.films.ids[0]), 5)]
    for planner in (plan_slate, plan_slate_spark):
        with pytest.raises(InvalidParameterError, match=said):
            planner(model, slate, seed=seed, exclude=exclude, progress=False,
                    **({"spark": spark, "local_check": 0} if planner is plan_slate_spark
                       else {}))


def test_cli_plan_engine_spark_of_nobody_is_refused_as_locally(
        spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every user opted out: the local planner refuses the plan (exit 2, nothing written or
    stored); the Spark planner wrote an empty plan and stored it, exit 0."""
    from recommender.campaigns.store import open_store

    model_dir = save_model(tmp_path / "model", seed=2)
    model = artifact.load(model_dir)
    slate = tmp_path / "slate.csv"
    slate.write_text(f"film_id,budget\n{model.films.ids[1]},5\n", encoding="utf-8")
    opt_outs = tmp_path / "opt-outs.txt"
    opt_outs.write_text("".join(f"{u}\n" for u in model.users.ids), encoding="utf-8")
    said = {}
    for engine in ("local", "spark"):
        out, db = tmp_path / f"{engine}.csv", tmp_path / f"{engine}.db"
        assert main(["plan", str(model_dir), "--slate", str(slate), "--out", str(out),
                     "--exclude", str(opt_outs), "--store", str(db), "--engine",
                     engine]) == 2
        said[engine] = capsys.readouterr().err
        assert "nobody to plan" in said[engine]
        assert not out.exists()
        store = open_store(str(db))
        assert store.list_plans()[0] == 0
        store.close()
    # the local planner's also counts the pairs other stored plans hold out (here none)
    assert said["local"].startswith(said["spark"].rstrip("\n"))


def test_cli_plan_engine_spark_summary_says_held_out_elsewhere_when_none(
        spark: Any, tmp_path: Path) -> None:
    """A plan stored in a store with no other plan: the local plan's summary says
    ``held_out_elsewhere`` with 0 pairs; the Spark plan's had no such key (a reader of
    ``["held_out_elsewhere"]["pairs"]`` failed on it), only when pairs were found."""
    model_dir = save_model(tmp_path / "model", seed=2)
    model = artifact.load(model_dir)
    slate = tmp_path / "slate.csv"
    slate.write_text(f"film_id,budget\n{model.films.ids[1]},5\n", encoding="utf-8")
    held = {}
    for engine in ("local", "spark"):
        summary = tmp_path / f"{engine}.json"
        assert main(["plan", str(model_dir), "--slate", str(slate), "--out",
                     str(tmp_path / f"{engine}.csv"), "--summary", str(summary), "--store",
                     str(tmp_path / f"{engine}.db"), "--engine", engine]) == 0
        held[engine] = json.loads(summary.read_text(encoding="utf-8"))["held_out_elsewhere"]
    assert held["spark"]["pairs"] == held["local"]["pairs"] == 0
    assert held["spark"]["plans"] == held["local"]["plans"] == []
    assert held["spark"]["left_out"] is False
