"""A report's per-wave blocks (overall and per film) come from one sort of the rows by wave,
not a pass over every row per wave (waves x rows: 4 s for 1,000 waves of 800k rows); each is
the block of its wave's rows as a mask over all rows gives it, value for value."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import recommender.campaigns.report as report


def _rows(n: int, rng: np.random.Generator) -> tuple[pa.Table, np.ndarray]:
    film = rng.integers(0, 5, n)
    wave = rng.integers(1, 30, n)
    target = rng.random(n) < 0.8
    table = pa.table({"film_id": pa.array([f"f{f}" for f in film]),
                      "wave": pa.array(wave.astype(np.int16)),
                      "group": pa.array(np.where(target, "target", "control")),
                      "p": pa.array(rng.random(n))})
    return table, rng.random(n) < 0.3


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def test_wave_blocks_read_each_row_a_few_times(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    table, conv = _rows(3000, rng)
    film = np.asarray(table.column("film_id").to_pylist())
    wave = np.asarray(table.column("wave").to_pylist(), np.int64)
    target = np.asarray(table.column("group").to_pylist()) == "target"
    p = np.asarray(table.column("p").to_pylist())
    # the oracle: each wave's block as a mask over every row (of the plan, of the film)
    names, code = np.unique(film, return_inverse=True)
    stratum = code * (int(wave.max()) + 1) + wave
    want = [{"wave": int(x), **report._block(wave == x, target, conv, p, stratum)}
            for x in np.unique(wave).tolist()]
    want_films = {}
    for f in names.tolist():
        m = film == f
        w, t, c, q = wave[m], target[m], conv[m], p[m]
        want_films[f] = [{"wave": int(x), **report._block(w == x, t, c, q, w)}
                         for x in np.unique(w).tolist()]
    read = [0]
    block = report._block

    def counted(mask: np.ndarray, *args: Any) -> dict[str, Any]:
        read[0] += len(mask)
        return block(mask, *args)

    monkeypatch.setattr(report, "_block", counted)
    got = report.compute_report(table, conv)
    assert _same(got["waves"], want)
    assert {b["film_id"]: b["waves"] for b in got["films"]}.keys() == want_films.keys()
    for b in got["films"]:
        assert _same(b["waves"], want_films[b["film_id"]]), b["film_id"]
    # overall, each wave, each film and each film's waves: every row four times; a mask
    # over every row per wave read it 1 + 29 + 1 + 29 times
    assert read[0] <= 4 * len(film), read[0]
