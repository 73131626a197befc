"""A model without calibration (every probability 0) is said where a plan's zeros would read
as measured: the horizon carries ``calibrated`` (False: nothing measured), the CLI ``plan``
warns that its contacts were not weighed by chance or value (it printed 0.00 expected
conversions and a 0.0000% gap without a word), and a report's predicted conversions say the
plan's model had no calibration (they said they "cover the calibration's held-out slice").

Oracles: the trained model's own calibration (``--holdout 0``: none; the default: measured)
and the plan rows' p, all 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import run_cli

from recommender.campaigns.report import predicted_scaling
from recommender.cli import main as cli_main
from recommender.model import artifact, calibration


def _log(path: Path) -> Path:
    rng = np.random.default_rng(11)
    rows = [(f"u{u}", f"f{f}", int(rng.integers(1, 6)), int(rng.integers(1_000, 90_000)))
            for u in range(80) for f in rng.choice(30, 8, replace=False)]
    pd.DataFrame(rows, columns=["user_id", "film_id", "rating", "timestamp"]).to_csv(
        path, index=False)
    return path


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("uncal")
    data = _log(tmp / "log.csv")
    out = []
    for name, extra in (("none", ["--holdout", "0"]), ("some", [])):
        argv = ["train", "--data", data, "--out", tmp / name, "--no-tune", *extra]
        assert cli_main([str(a) for a in argv]) == 0
        out.append(tmp / name)
    return out[0], out[1]


def test_the_horizon_says_whether_anything_was_measured(folders: tuple[Path, Path]) -> None:
    none, some = (artifact.load(f) for f in folders)
    assert not calibration.measured(none.calibration)
    assert calibration.measured(some.calibration)
    assert calibration.horizon(none.calibration)["calibrated"] is False
    assert calibration.horizon(some.calibration)["calibrated"] is True


def test_plan_and_report_say_the_zeros_are_no_measurement(
        folders: tuple[Path, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    none, some = folders
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget,value\nf1,10,1\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "plan", none, "--slate", slate, "--out",
                             tmp_path / "p.csv")
    assert code == 0, err
    rows = pd.read_csv(tmp_path / "p.csv", dtype={"film_id": str, "user_id": str})
    assert len(rows) and not rows["p"].any()  # every p 0: nothing weighed them
    assert ("warning: every p is 0, so expected conversions and value are 0 and each film's "
            "contacts are its top-ranked users, not weighed by their chance or its value: no "
            "calibration in this model") in err
    code, out, err = run_cli(capsys, "plan", some, "--slate", slate, "--out",
                             tmp_path / "q.csv")
    assert code == 0 and "every p is 0" not in err
    horizon = calibration.horizon(artifact.load(none).calibration)
    said = predicted_scaling(horizon, 30.0)[1]
    assert said["factor"] is None and said["scaling"].startswith(
        "not scaled: the plan's model had no calibration, so every p is 0")


def test_a_plan_stored_before_the_flag_reads_as_uncalibrated_too(
        folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """A plan stored before ``calibrated`` (its horizon: days and description) of a model
    without calibration: its report said its zeros "cover the calibration's held-out slice"
    and ``campaign show`` gave no warning. Oracle: the description every such horizon has
    carried since the first stored plans; a calibrated one without days stays as it was."""
    from recommender.cli.campaigns import print_notes

    none, some = (artifact.load(f) for f in folders)
    legacy = {k: v for k, v in calibration.horizon(none.calibration).items()
              if k != "calibrated"}
    assert predicted_scaling(legacy, 30.0)[1]["scaling"].startswith(
        "not scaled: the plan's model had no calibration, so every p is 0")
    print_notes({"films": [], "optimality": {}, "horizon": legacy})
    assert "warning: every p is 0" in capsys.readouterr().err
    measured = {"days": None, "description": calibration.horizon(some.calibration)[
        "description"]}  # a calibrated model's, as if on a log without timestamps
    assert "held-out slice" in predicted_scaling(measured, 30.0)[1]["scaling"]
    print_notes({"films": [], "optimality": {}, "horizon": measured})
    assert "every p is 0" not in capsys.readouterr().err
