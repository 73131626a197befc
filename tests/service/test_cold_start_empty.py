"""A new film's audience of nobody says why in ``empty``, as a film's audience does:
``cold-start --like F --tier core --segment S`` where segment S has nobody in the core ring
gave an empty page saying "no candidate of the core ring matches the filter" (no filter was
given; neither the segment nor the count outside the ring named) and ``"empty": null`` in the
JSON, CLI and HTTP alike.

Oracle: with one comparable film the new film's taste is that film's vector, so the ranking
is numpy's order of the users' scores against it (nobody excluded: nobody has watched a new
film); the core ring is its first 1% (rounded up); the segment's size counted from the
planted labels.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli, synthetic_model

from recommender.model import artifact
from service.app import create_app
from service.settings import Settings


def test_a_cold_start_of_nobody_says_why(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    model = synthetic_model(n_users=200, n_films=6, seed=6)
    path = artifact.save(model, tmp_path / "m")
    film = str(model.films.ids[2])
    scores = model.user_factors @ model.film_factors[2]
    order = np.argsort(-scores, kind="stable")
    core = set(order[:int(np.ceil(model.n_users / 100))].tolist())
    labels = np.asarray(model.segments.labels)
    outside = [s for s in np.unique(labels).tolist()
               if not core & set(np.flatnonzero(labels == s).tolist())]
    assert outside  # a segment with nobody in the core ring
    seg = outside[0]
    size = int((labels == seg).sum())
    want = re.compile(rf"the filter \(segment {seg}( \([^)]*\))?\) matches nobody in the core "
                      rf"ring \({size} candidates? outside it do(es)?\)")
    code, out, err = run_cli(capsys, "cold-start", path, "--like", film, "--tier", "core",
                             "--segment", seg, "--json")
    assert code == 0, err
    body = json.loads(out)
    assert body["total"] == 0 and want.fullmatch(body["empty"] or ""), body["empty"]
    code, out, err = run_cli(capsys, "cold-start", path, "--like", film, "--tier", "core",
                             "--segment", seg)
    assert code == 0, err
    assert body["empty"] in out and "matches the filter" not in out, out
    settings = Settings(model_path=str(path), warm_cache=False, watch_interval=0)
    with TestClient(create_app(settings)) as client:
        r = client.post("/audiences/cold-start", json={
            "comparable_film_ids": [film], "tier": "core", "segment": seg})
        assert r.status_code == 200, r.text
        assert r.json()["total"] == 0 and r.json()["empty"] == body["empty"]
        # a film's audience words it alike (its viewers aside: the count may differ)
        audience = client.get(f"/films/{film}/audience", params={
            "tier": "core", "segment": seg, "exclude_seen": "false"}).json()
        assert audience["empty"] == body["empty"]
