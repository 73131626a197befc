"""The control rate of a block over several (film, wave) strata is each stratum's rate
weighted by its targets, not the block's control conversions over its controls: a reader saw
"14 of 100 converted" beside "40.00%" with the weighting said only in the footer. The JSON's
unit and the text's column header say it where the number is (the Studio's header:
tests/browser/test_studio_control_rate_label.py); the oracle is the weighted mean counted by
hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from recommender.campaigns.events import check_events, record_events
from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.store import open_store

CREATED = "2024-03-01T00:00:00+00:00"
START = 1_709_251_200  # 2024-03-01T00:00:00Z
#: per film: (targets, controls, controls converted); no target converts
STRATA = {"A": (30, 10, 5), "B": (10, 90, 9)}


def _plan(url: str) -> None:
    film, user, group = [], [], []
    for f, (t, c, _) in STRATA.items():
        for i in range(t + c):
            film.append(f)
            user.append(f"{f}-{i}")
            group.append("target" if i < t else "control")
    n = len(film)
    rows = pa.Table.from_arrays([
        pa.array(["plan-c"] * n), pa.array(film), pa.array(user),
        pa.array(np.ones(n, np.int16)), pa.array(group),
        pa.array(np.arange(1, n + 1, dtype=np.int32)), pa.array(np.full(n, 0.1)),
        pa.array(np.full(n, 0.1))], schema=PLAN_SCHEMA)
    store = open_store(url)
    store.save_plan("plan-c", {"created": CREATED, "model_version": "m", "films": [
        {"film_id": f} for f in STRATA], "parameters": {"waves": 1},
        "horizon": {"days": 30}}, rows)
    record_events(store, check_events([
        {"event_id": f"e-{f}-{i}", "user_id": f"{f}-{t + i}", "film_id": f,
         "timestamp": START + 86_400} for f, (t, _, x) in STRATA.items() for i in range(x)]))
    store.close()


def test_the_control_rate_says_it_is_weighted(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from helpers import run_cli

    url = str(tmp_path / "s.db")
    _plan(url)
    weighted = sum(t * x / c for t, c, x in STRATA.values()) / sum(
        t for t, _, _ in STRATA.values())  # 0.4
    pooled = sum(x for _, _, x in STRATA.values()) / sum(c for _, c, _ in STRATA.values())
    assert abs(weighted - pooled) > 0.2  # the two readings differ here
    code, out, err = run_cli(capsys, "campaign", "report", "plan-c", "--store", url, "--json")
    assert code == 0, err
    body = json.loads(out)
    overall = body["overall"]
    assert overall["control_rate"]["estimate"] == pytest.approx(weighted)
    assert (overall["controls"], overall["control_conversions"]) == (100, 14)
    unit = body["units"]["control_rate"]
    assert "weighted" in unit and "measured targets" in unit, unit
    code, out, err = run_cli(capsys, "campaign", "report", "plan-c", "--store", url)
    assert code == 0, err
    lines = out.splitlines()
    head = next(x for x in lines if x.lstrip().startswith("group"))
    assert "control rate (weighted by targets per film x wave)" in head, head
    row = next(x for x in lines if x.lstrip().startswith("overall"))
    assert f"{100 * weighted:.2f}%" in row, row

