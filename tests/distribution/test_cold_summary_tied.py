"""A new film's summary says which note it carries as its cold-start audience does: the tie's
when every candidate scores the same (``tied`` true), else the comparable films left out of
the mean taste of a ranked audience (``tied`` false); the summary named the films left out
even when everything tied. The library, HTTP and ``--json`` alike, and the summary's schema
describes a new film's fields (a borrowed p, no interval), not a known film's.

Oracles: the planted ratings of ``test_nothing_fitted`` (``ONLY_LOW`` films have nothing
fitted), the whole ranking's scores (all equal, or not), and the cold-start audience's page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli

from recommender.distribution import cold_summary
from recommender.distribution.cold_summary import cold_start_summary
from recommender.model import artifact
from recommender.model.model import Model
from recommender.model.training import train
from recommender.query import audience
from recommender.query.audience import cold_start_page
from recommender.query.pages import UNRANKED_QUERY
from service.app import create_app
from service.cold_start_schemas import ColdStartSummary
from service.settings import Settings
from tests.query.test_nothing_fitted import CONFIG, ONLY_LOW, log
from tests.service_fixtures import build_model


@pytest.fixture(scope="module")
def plain() -> Model:
    return train(log(), CONFIG, progress=False)


def _cases(model: Model) -> dict[str, list[str]]:
    known = str(model.films.ids[0])
    return {"tied": list(ONLY_LOW), "left out": [ONLY_LOW[0], known], "ranked": [known]}


def _both(model: Model, like: list[str]) -> tuple[dict[str, Any], Any]:
    """The summary and the cold-start audience's whole page, for the same films."""
    page, _ = cold_start_page(model, like, k=model.n_users)
    return cold_start_summary(model, like), page


def test_the_summary_says_the_audience_note_and_tied(plain: Model) -> None:
    for name, like in _cases(plain).items():
        body, page = _both(plain, like)
        scores = np.asarray(page.score, np.float64)
        tied = bool(np.ptp(scores) == 0)  # the oracle: the whole ranking's scores
        assert tied is (name == "tied"), name
        assert body["tied"] is tied and page.to_json()["tied"] is tied, name
        assert body["note"] == page.note, name
        assert (body["note"] is None) is (name == "ranked"), name


def test_a_tie_beside_a_left_out_film_says_the_tie(plain: Model, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Every candidate tied (a ranking the test ties) while a comparable film is left out:
    the summary's note is the tie's and ``tied`` true, as the cold-start audience's, on the
    library, HTTP and ``--json`` (it named the film left out, so a client read a ranking)."""
    monkeypatch.setattr(audience, "tie_note", lambda *a, **kw: UNRANKED_QUERY)
    monkeypatch.setattr(cold_summary, "tie_note", lambda *a, **kw: UNRANKED_QUERY)
    like = _cases(plain)["left out"]
    body, page = _both(plain, like)
    assert page.note == UNRANKED_QUERY and page.to_json()["tied"] is True
    assert body["note"] == UNRANKED_QUERY and body["tied"] is True
    assert body["cold_start"]["unfitted_film_ids"] == [ONLY_LOW[0]]  # still named there
    folder = artifact.save(plain, tmp_path / "m")
    with TestClient(create_app(Settings(model_path=str(folder), warm_cache=False))) as client:
        r = client.post("/audiences/cold-start/summary", json={"comparable_film_ids": like})
    assert r.status_code == 200, r.text
    assert r.json()["note"] == UNRANKED_QUERY and r.json()["tied"] is True
    code, out, err = run_cli(capsys, "cold-start", folder, "--like", *like, "--summary",
                             "--json")
    assert code == 0, err
    assert json.loads(out) == r.json()


def _described(schema: dict[str, Any], name: str) -> dict[str, str]:
    props = schema["components"]["schemas"][name]["properties"]
    return {k: v.get("description", "") for k, v in props.items()}


def test_the_schema_describes_a_new_films_fields(tmp_path: Path) -> None:
    model = build_model()
    folder = artifact.save(model, tmp_path / "m")
    with TestClient(create_app(Settings(model_path=str(folder), warm_cache=False))) as client:
        schema = client.get("/openapi.json").json()
        body = client.post("/audiences/cold-start/summary",
                           json={"comparable_film_ids": {"00002": 2, "00007": 1},
                                 "genres": ["G1"]}).json()
    ColdStartSummary.model_validate(body)
    top = _described(schema, "ColdStartSummary")
    assert "tied" in schema["components"]["schemas"]["ColdStartSummary"]["required"]
    assert "cannot be ranked" not in top["note"] and "left out" in top["note"]
    assert "tied" in top["note"] and "same" in top["tied"]
    assert "trained before" not in top["conversion_interval_note"]
    assert "borrowed" in top["conversion_interval_note"]
    tier_name = schema["components"]["schemas"]["ColdStartSummary"]["properties"]["tiers"][
        "items"]["$ref"].rsplit("/", 1)[-1]
    tier = _described(schema, tier_name)
    assert "held-out" not in tier["expected_conversion"]
    assert "borrowed" in tier["expected_conversion"]
    assert "trained before" not in tier["expected_conversion_interval"]
    assert tier["expected_conversion_interval"].startswith("always null")
    # what the descriptions say, the body does: no interval, p borrowed, shares to rounding
    assert body["conversion_interval_note"] and "borrowed" in body["conversion_interval_note"]
    assert all(t["expected_conversion_interval"] is None for t in body["tiers"])
    assert all(t["conversion_lift_interval"] is None for t in body["tiers"])
    inputs = _described(schema, "ColdStartInput")
    assert "summing to 1 to rounding" in inputs["calibrated_from"]
    shares = body["cold_start"]["calibrated_from"]
    assert len(shares) > 1 and abs(sum(shares.values()) - 1) <= 1e-6 * len(shares)
