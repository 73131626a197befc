"""``campaign report``'s "predicted / observed conversions" keeps 2 significant digits below 1:
a short window's prediction (0.021 in ``--json``) printed ``0.0``, as if none were predicted.
Oracle: the plan's p as stored, stretched to the window by hand (``1 - (1 - p) ** k``, k the
window over the 30-day horizon: the summary has no activity curve)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli
from test_report_no_estimate import GROUPS, _store

from recommender.cli.report_text import expected_text


def test_a_small_prediction_is_not_printed_zero(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    url = f"sqlite:///{tmp_path / 's.db'}"
    _store(url)  # every row's p is 0.1 over a 30-day horizon
    window = 0.5  # days
    targets = sum(t for t, _ in GROUPS.values())
    want = targets * (1 - (1 - 0.1) ** (window / 30))  # 0.02105...
    code, out, err = run_cli(capsys, "campaign", "report", "plan-e", "--store", url,
                             "--window-days", str(window), "--json")
    assert code == 0, err
    assert json.loads(out)["overall"]["predicted_target_conversions"] == round(want, 4)
    code, out, err = run_cli(capsys, "campaign", "report", "plan-e", "--store", url,
                             "--window-days", str(window))
    assert code == 0, err
    overall = next(line for line in out.splitlines() if line.startswith("overall "))
    assert overall.rstrip().endswith(f"{want:.2g} / 0"), overall  # 0.021 / 0, not 0.0 / 0
    assert f"{want:.2g}" == "0.021"


@pytest.mark.parametrize(("value", "shown"), [
    (0.0, "0.0"), (0.03, "0.030"), (0.00041, "0.00041"), (0.5, "0.50"), (0.996, "1.0"),
    (0.09996, "0.10"), (1.0, "1.0"), (12.34, "12.3")])
def test_expected_text_keeps_two_significant_digits_below_one(value: float, shown: str) -> None:
    assert expected_text(value) == shown
