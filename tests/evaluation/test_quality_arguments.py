"""The quality benchmarks run as documented: a bad argument is refused before anything is written,
and tune_defaults.py names the objective it computes."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import load_benchmark


@pytest.mark.parametrize("bad", [["--protocols", "tiem"], ["--k", "0"], ["--seed", "-1"],
                                 ["--variants", "sparse"], ["--names", "demo", "nope"],
                                 ["--protocols"], ["--variants"], ["--names"]])
def test_a_bad_argument_is_refused_before_any_run_or_write(demo_dir: Path, tmp_path: Path,
                                                           bad: list[str]) -> None:
    """``--protocols tiem`` (or ``--k 0``) made every evaluate() call raise, each caught as that
    cell's "n/a (protocol must be one of ...)": the run exited 0 and wrote a page of n/a over
    its --out, results/quality.{json,md} by default (``make bench-quality`` then copies its
    tables into the README); a missing dataset folder was a traceback after the ones before
    it had run. An option given no value (``--protocols $P`` with P empty) ran nothing and
    wrote "0 of 0 measured target rows met" there, exit 0."""
    q = load_benchmark("quality")
    out = tmp_path / "quality"
    args = ["--datasets", str(demo_dir.parent), "--names", demo_dir.name, "--variants", "full",
            "--protocols", "random", "--no-lodo", "--no-lowrank", "--out", str(out)]
    with pytest.raises(SystemExit) as exc:
        q.main(args + bad)
    assert exc.value.code == 2
    assert not list(tmp_path.iterdir())


def test_tune_defaults_names_the_objective_it_computes(demo_dir: Path, tmp_path: Path) -> None:
    """tune_defaults.py wrote "Objective: mean of audience_recall@100 and user_recall@20" over
    figures that ``scoring.objective`` computes as their geometric mean (each recall plus
    0.001, which is then taken off) since 2026-12-01."""
    td = load_benchmark("tune_defaults")
    out = tmp_path / "tuning"
    assert td.main(["--datasets", str(demo_dir.parent), "--names", demo_dir.name,
                    "--protocols", "random", "--trials", "2", "--k", "20",
                    "--out", str(out)]) == 0
    import json

    result = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert result["objective"].startswith("geometric mean of audience_recall@20 and "
                                          "user_recall@20")
    for row in next(iter(result["runs"].values()))["trials"]:
        a, u = row["audience_recall@20"] + 1e-3, row["user_recall@20"] + 1e-3
        assert row["objective"] == pytest.approx((a * u) ** 0.5 - 1e-3, abs=2e-5)
        assert row["objective"] != pytest.approx((a + u) / 2 - 1e-3, abs=2e-5)
    assert "Objective: geometric mean of" in out.with_suffix(".md").read_text(encoding="utf-8")


def _row(params: dict[str, object], mean: float, worst: float) -> dict[str, object]:
    return {"params": params, "mean_relative": mean, "worst_relative": worst,
            "objective": {"a/random": mean}}


@pytest.mark.parametrize("shipped_first", [True, False])
def test_tuning_page_says_whether_the_shipped_defaults_rank_first(shipped_first: bool) -> None:
    """tuning.md ranked the configurations under the geometric mean without a word on where the
    shipped defaults (chosen under the arithmetic mean) stood: the row's mark alone."""
    from recommender.model.config import TrainConfig

    td = load_benchmark("tune_defaults")
    keys = ("model", "weighting", "factors", "regularization", "alpha", "iterations",
            "bm25_k1", "bm25_b", "cg_steps")
    shipped = {k: v for k, v in TrainConfig().to_dict().items() if k in keys}
    other = {**shipped, "iterations": shipped["iterations"] + 10}
    rows = [_row(shipped, 1.0, 1.0), _row(other, 0.9, 0.8)]
    if not shipped_first:
        rows = [_row(other, 1.0, 1.0), _row(shipped, 0.9, 0.8)]
    result = {"objective": "o", "ranking": rows, "reference": rows[1], "shipped_defaults": None,
              "ease_best_validation_objective": {"a/random": 0.5}}
    text = td.markdown(result, ["a/random"])
    if shipped_first:
        assert "The shipped defaults rank first of 2 configurations" in text
        assert "not the best" not in text
    else:
        assert ("The shipped defaults are not the best under this objective: they rank 2 of 2"
                in text)
        assert f"it={other['iterations']} " in text.split("where the best, ")[1]


def test_tuning_objective_says_a_split_measured_one_recall_alone() -> None:
    """The objective's label was typed in tune_defaults.py ("geometric mean of ..."), whatever
    a split could measure; the engine's tune() words it from the best trial, and says when one
    recall had nothing to score (the geometric mean was then that recall alone)."""
    td = load_benchmark("tune_defaults")
    nan = float("nan")
    runs = {"a/random": {"trials": [{"objective": 0.4, "audience_recall@100": 0.5,
                                     "user_recall@20": 0.3}]},
            "b/random": {"trials": [{"objective": 0.3, "audience_recall@100": nan,
                                     "user_recall@20": 0.3}]}}
    label = td.objective_label(runs, ["a/random", "b/random"], 100)
    assert "a/random: geometric mean of audience_recall@100 and user_recall@20" in label
    assert "b/random: user_recall@20 on validation alone" in label
    same = td.objective_label({"a/random": runs["a/random"]}, ["a/random"], 100)
    assert same.startswith("geometric mean of audience_recall@100 and user_recall@20")


def test_a_skipped_split_names_its_dataset_as_under_the_datasets_folder(
        demo_dir: Path, tmp_path: Path) -> None:
    """tuning.json's note of a split a dataset cannot make (the time protocol of data without
    timestamps) named the dataset by the absolute path of whoever ran it
    (``/tmp/numbers/shared/datasets/filmtrust``): it names it as under ``--datasets``."""
    import json

    td = load_benchmark("tune_defaults")
    sets = tmp_path / "sets"
    (sets / "untimed").mkdir(parents=True)
    (sets / "demo").symlink_to(demo_dir, target_is_directory=True)
    rows = [f"u{u},f{(u * 3 + k) % 9}" for u in range(30) for k in range(4)]
    (sets / "untimed" / "interactions.csv").write_text(
        "user_id,film_id\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "tuning"
    assert td.main(["--datasets", str(sets), "--names", "demo", "untimed", "--protocols",
                    "time", "--trials", "2", "--k", "20", "--out", str(out)]) == 0
    text = out.with_suffix(".json").read_text(encoding="utf-8")
    status = json.loads(text)["runs"]["untimed/time"]["status"]
    assert status.startswith("n/a (the time protocol needs timestamps and untimed has none"), \
        status
    assert str(tmp_path) not in text
    # a layout one folder down keeps its folder; a folder elsewhere stays as it is
    assert td.dataset_relative(f"a {sets}/ml/ml b", f"{sets}/ml/ml", sets) == "a ml/ml b"
    assert td.dataset_relative("a /x/y b", "/x/y", sets) == "a /x/y b"


@pytest.mark.parametrize(("loads", "said"), [([4.2, 3.62, 4.13],
                                              "4.20 / 3.62 / 4.13 (1, 5, 15 min)"),
                                             (None, "not recorded")])
def test_tuning_page_prints_the_load_average_as_the_other_pages(
        loads: list[float] | None, said: str) -> None:
    """tuning.md printed the load average at the start as a Python list ("[4.2, 3.62,
    4.13]"): it prints the three figures and their windows as every page does
    (``common.load_text``)."""
    from recommender.model.config import TrainConfig

    td = load_benchmark("tune_defaults")
    keys = ("model", "weighting", "factors", "regularization", "alpha", "iterations",
            "bm25_k1", "bm25_b", "cg_steps")
    rows = [_row({k: v for k, v in TrainConfig().to_dict().items() if k in keys}, 1.0, 1.0)]
    result = {"objective": "o", "ranking": rows, "reference": rows[0], "shipped_defaults": None,
              "ease_best_validation_objective": {"a/random": 0.5},
              "machine": {} if loads is None else {"load_average_at_start": loads}}
    line = next(x for x in td.markdown(result, ["a/random"]).splitlines()
                if "load average" in x)
    assert line.endswith(f"load average at start {said}."), line
    assert "[" not in line, line
