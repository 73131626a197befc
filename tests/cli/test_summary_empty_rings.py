"""``summary``'s tier table says what its '-' cells are (a ring holding no candidate) and
writes a negative score range readably ("-2.6508--2.6508" read as a subtraction)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import run_cli as run
from helpers import synthetic_model

from recommender.model import artifact


def test_empty_rings_and_negative_scores_read_plainly(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    model = synthetic_model(n_users=30, n_films=6, seed=1)
    dense = model.seen.toarray()
    dense[:28, 0] = 1  # 2 candidates: the outer rings hold nobody
    seen = sp.csr_matrix(dense.astype(np.float32))
    uf = np.array(model.user_factors)
    uf[28:] = -np.abs(uf[28:]) * np.sign(model.film_factors[0])  # negative scores
    model = dataclasses.replace(model, seen=seen, seen_by_film=seen.T.tocsr(), user_factors=uf)
    path = artifact.save(model, tmp_path / "m")
    film = str(model.films.ids[0])
    body = json.loads(run(capsys, "summary", path, film, "--json")[1])
    empty = [t["tier"] for t in body["tiers"] if t["rank_range"] is None]
    scored = [t for t in body["tiers"] if t["score_range"] is not None]
    assert empty and scored and scored[0]["score_range"][1] < 0  # the oracle: the body
    code, out, err = run(capsys, "summary", path, film)
    assert code == 0, err
    lines = out.splitlines()
    for t in body["tiers"]:
        row = next(x for x in lines if x.split() and x.split()[0] == t["tier"])
        if t["score_range"] is not None:
            lo, hi = t["score_range"]
            assert f"{lo:.4f} to {hi:.4f}" in row, row
    legend = next(x for x in lines if x.startswith("share_pct:"))
    assert legend.endswith("; '-': the ring holds no candidate"), legend


def test_a_lift_of_dash_beside_a_conversion_is_explained(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A film whose calibrated p is 0 at every rank (its group's curve, as a per-film
    calibration may hold one) has a base conversion of 0: each tier's lift is '-' beside its
    conversion of 0, and the legend says why (it said nothing of those '-' cells)."""
    model = synthetic_model(n_users=200, n_films=6, seed=2)
    calibration = {**model.calibration, "users": model.n_users,
                   "interactions": int(model.seen.nnz), "recent_interactions": 0,
                   "film_viewers": np.diff(model.seen_by_film.indptr).tolist(),
                   "model": {"kind": "isotonic_groups", "groups": 1, "pop_edges": [],
                             "mom_edges": [], "curves": [[0.0] * 10], "momentum": False}}
    path = artifact.save(dataclasses.replace(model, calibration=calibration), tmp_path / "m")
    film = str(model.films.ids[0])
    body = json.loads(run(capsys, "summary", path, film, "--json")[1])
    assert body["base_conversion"] == 0  # the oracle: the body's figures
    assert all(t["expected_conversion"] == 0 and t["conversion_lift"] is None
               for t in body["tiers"] if t["rank_range"] is not None)
    code, out, err = run(capsys, "summary", path, film)
    assert code == 0, err
    assert "lift '-': a random candidate's conversion is 0" in out
    # a film with a conversion to compare with has lifts and no such line
    plain = artifact.save(model, tmp_path / "plain")
    code, out, err = run(capsys, "summary", plain, film)
    assert code == 0 and "lift '-'" not in out, out
