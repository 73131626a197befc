"""``plan --seed`` draws the control groups only: with ``--holdout 0`` there is none, and the
seed, which changed nothing (and was recorded in the summary), is refused; so is a next
wave's that keeps its plan's holdout of 0 (it was only warned of, after the work)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from helpers import run_cli as run
from helpers import synthetic_model

from recommender.campaigns.plan import plan_slate
from recommender.campaigns.slate import read_slate
from recommender.model import artifact
from recommender.model.model import Model


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return artifact.save(synthetic_model(n_users=150, n_films=25, seed=6),
                         tmp_path_factory.mktemp("seed") / "model")


@pytest.fixture(scope="module")
def model(model_dir: Path) -> Model:
    return artifact.load(model_dir)


def slate(tmp_path: Path, model: Model) -> Path:
    p = tmp_path / "slate.csv"
    p.write_text(f"film_id,budget\n{model.films.ids[0]},20\n{model.films.ids[1]},15\n",
                 encoding="utf-8")
    return p


def test_the_seed_changes_nothing_without_a_holdout(model: Model, tmp_path: Path) -> None:
    """The oracle of the refusal: the plans of two seeds are the same rows at holdout 0, and
    differ above it."""
    films = read_slate(slate(tmp_path, model))

    def rows(holdout: float, seed: int) -> object:
        plan = plan_slate(model, films, holdout=holdout, seed=seed)
        return plan.rows.drop_columns(["plan_id"]).to_pylist()

    assert rows(0.0, 5) == rows(0.0, 6)
    assert rows(0.3, 5) != rows(0.3, 6)


def test_seed_with_holdout_0_is_refused(model_dir: Path, model: Model, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    s = slate(tmp_path, model)
    code, out, err = run(capsys, "plan", model_dir, "--slate", s, "--out",
                         tmp_path / "p.csv", "--holdout", 0, "--seed", 5)
    assert code == 2 and out == "", err
    assert "--seed draws the control groups only" in err and "--holdout" in err
    assert not (tmp_path / "p.csv").exists()
    for argv in (["--holdout", "0"], ["--holdout", "0.2", "--seed", "5"], ["--seed", "5"]):
        code, _, err = run(capsys, "plan", model_dir, "--slate", s, "--out",
                           tmp_path / "p.csv", *argv)
        assert code == 0 and "--seed" not in err, (argv, err)


def test_a_next_wave_keeping_holdout_0_refuses_a_seed(
        model_dir: Path, model: Model, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    store = f"sqlite:///{tmp_path / 'store.db'}"
    code, out, err = run(capsys, "plan", model_dir, "--slate", slate(tmp_path, model),
                         "--out", tmp_path / "p.csv", "--holdout", 0, "--waves", 2,
                         "--store", store, "--json")
    assert code == 0, err
    plan_id = json.loads(out)["plan_id"]
    with open(tmp_path / "p.csv", encoding="utf-8", newline="") as fh:
        assert {r["group"] for r in csv.DictReader(fh)} == {"target"}
    for seed in (3, 1):  # any seed given, as the first plan's --seed with --holdout 0
        code, out, err = run(capsys, "plan", model_dir, "--after", plan_id, "--store", store,
                             "--out", tmp_path / "next.csv", "--seed", seed)
        assert code == 2 and out == "", err
        assert "--seed draws the control groups only" in err and plan_id in err, err
        assert not (tmp_path / "next.csv").exists()
    code, _, err = run(capsys, "plan", model_dir, "--after", plan_id, "--store", store,
                       "--out", tmp_path / "next2.csv")
    assert code == 0 and "--seed" not in err, err  # no --seed given: not a word
    code, _, err = run(capsys, "plan", model_dir, "--after", plan_id, "--store", store,
                       "--out", tmp_path / "next3.csv", "--holdout", 0, "--seed", 3)
    assert code == 2 and "--seed draws the control groups only" in err
    code, _, err = run(capsys, "plan", model_dir, "--after", plan_id, "--store", store,
                       "--out", tmp_path / "next4.csv", "--holdout", 0.2, "--seed", 3)
    assert code == 0, err  # a holdout given above 0: the seed draws its control groups
