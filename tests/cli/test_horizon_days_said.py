"""Every text that says the calibration horizon says it alike: ``summary`` printed
``460.299`` days and ``distribution`` ``460.3`` of one model (``io.text.days_text``).

Oracle: the days as the JSON bodies hold them, written by ``repr``."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from helpers import run_cli
from service_fixtures import build_model

from recommender.model import artifact

DAYS = 460.299  # a horizon .1f shortens


def test_the_horizon_reads_the_same_in_every_command(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = build_model(0)
    calibration = dict(model.calibration, horizon_days=DAYS)
    folder = artifact.save(dataclasses.replace(model, calibration=calibration), tmp_path / "m")
    film = str(model.films.ids[0])
    code, out, err = run_cli(capsys, "distribution", folder, film, "--json")
    assert code == 0, err
    said = repr(json.loads(out)["horizon"]["days"])
    assert said == "460.299"
    slate = tmp_path / "slate.csv"
    slate.write_text(f"film_id,budget\n{film},5\n", encoding="utf-8")
    store = tmp_path / "store.db"
    runs = {"summary": ["summary", folder, film], "distribution": ["distribution", folder, film],
            "plan": ["plan", folder, "--slate", slate, "--out", tmp_path / "p.csv",
                     "--store", store],
            "campaign list": ["campaign", "list", "--store", store]}
    for name, argv in runs.items():
        code, out, err = run_cli(capsys, *argv)
        assert code == 0, (name, err)
        spans = re.findall(r"within ([\d.,]+) days|horizon: ([\d.,]+) days", out)
        if name == "campaign list":  # its "within (days)" column
            header, _, row = out.splitlines()[1:4]
            spans = [(row[header.index("within (days)"):].split()[0], "")]
        assert spans, (name, out)
        assert {a or b for a, b in spans} == {said}, (name, out)


def test_days_text_keeps_every_stored_digit() -> None:
    """Four digits before the point kept all three after it (``:g`` wrote 1460.3)."""
    from recommender.io.text import days_text

    for days in (1460.299, 460.299, 7.0, 0.25, 12345.678):
        assert float(days_text(days)) == days
    assert days_text(7.0) == "7"
    assert days_text(1460.299) == "1460.299"
