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
