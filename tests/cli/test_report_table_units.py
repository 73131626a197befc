"""Every column of ``campaign report``'s table says its unit: in its header, or on each cell.

The two "converted" columns, the incremental conversions and "predicted / observed (targets)"
showed bare counts (of rows, the report's ``units``), as a marketer reads them beside rates.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from helpers import run_cli as run
from helpers import synthetic_model

from recommender.model import artifact


def _columns(table: str) -> tuple[list[str], list[list[str]]]:
    """The headers and the cells of a table printed by ``print_table`` (columns cut at the
    dashes' gaps)."""
    lines = table.splitlines()
    rule = next(i for i, x in enumerate(lines) if set(x) <= {"-", " "} and "-" in x)
    starts = [m.start() for m in re.finditer(r"-+", lines[rule])]

    def cut(line: str) -> list[str]:
        ends: list[int | None] = [*starts[1:], None]
        return [line[a:b].strip() for a, b in zip(starts, ends, strict=True)]

    body = []
    for line in lines[rule + 1:]:
        if not line.strip() or line.startswith(("intervals:", "warning:", "note:")):
            break
        body.append(cut(line))
    return cut(lines[rule - 1]), body


def test_every_report_column_has_a_unit(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    model = synthetic_model(n_users=300, n_films=8, seed=3)
    folder = artifact.save(dataclasses.replace(model, calibration=dict(
        model.calibration, horizon_days=30.0)), tmp_path / "model")
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n" + "".join(f"{f},30\n" for f in model.films.ids[[2, 5]]))
    store = f"sqlite:///{tmp_path / 'store.db'}"
    code, out, err = run(capsys, "plan", folder, "--slate", slate, "--out", tmp_path / "p.csv",
                         "--store", store, "--json")
    assert code == 0, err
    plan_id = json.loads(out)["plan_id"]
    code, out, err = run(capsys, "campaign", "report", plan_id, "--store", store)
    assert code == 0, err
    headers, rows = _columns(out)
    assert len(rows) >= 3 and all(len(r) == len(headers) for r in rows), (headers, rows)
    for i, head in enumerate(headers[1:], 1):  # the first: the group's name
        cells = [r[i] for r in rows]
        said = re.search(r"\([^)]*\)", head) or all(("%" in c or "pts" in c) for c in cells)
        assert said, f"column {head!r} says no unit: {cells}"
