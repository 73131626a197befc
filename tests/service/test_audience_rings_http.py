"""Rings, segment labels, ``with=`` columns and portrait scope over HTTP: ``?tier=`` pages within
a ring (never from the fast lane, which only serves its own parameters), ``?segment=`` takes a
label, ``audience.csv?with=`` adds columns, the summary pictures the chosen ring and leaves out
cells under ``RECOMMENDER_MIN_CELL``.

Oracles: the library's own pages (``film_audience``), which tests/query/test_audience_rings.py
checks against brute force, and the app built with the fast path off.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.errors import InvalidParameterError
from recommender.model import artifact
from recommender.model.model import Model
from recommender.query.audience import film_audience, lookalikes
from recommender.query.portrait_scope import portrait_scope
from service.app import create_app
from service.fastpath import plain_page
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("rings") / "model")


@pytest.fixture(scope="module")
def model(model_dir: Path) -> Model:
    return artifact.load(model_dir)


def _client(path: Path, fast: bool, **kw: Any) -> TestClient:
    return TestClient(create_app(Settings(model_path=str(path), fast_path=fast,
                                          warm_cache=False, **kw)))


@pytest.fixture(scope="module")
def clients(model_dir: Path) -> Iterator[tuple[TestClient, TestClient]]:
    with _client(model_dir, True) as fast, _client(model_dir, False) as slow:
        yield fast, slow


def test_fast_lane_leaves_new_parameters_to_the_route() -> None:
    for query in (b"tier=core", b"k=5&tier=extended", b"segment=G0%20fans", b"with=title"):
        assert plain_page(query) is None, query


@pytest.mark.parametrize("tier", ["core", "extended", "BROAD"])
def test_tier_pages_within_the_ring(clients: tuple[TestClient, TestClient], model: Model,
                                    monkeypatch: pytest.MonkeyPatch, tier: str) -> None:
    import service.routes.films as films

    calls: list[str | None] = []
    real = films.ring_page

    def counted(*args: Any) -> Any:
        calls.append(args[-1])  # tier (the engine holds the minimum cell)
        return real(*args)

    monkeypatch.setattr(films, "ring_page", counted)
    fast, slow = clients
    params = {"k": 5, "offset": 1, "tier": tier}
    a, b = fast.get("/films/00004/audience", params=params), slow.get(
        "/films/00004/audience", params=params)
    assert a.status_code == 200, a.text
    assert (a.content, a.headers) == (b.content, b.headers)
    assert calls == [tier, tier]  # both answered by the route, the fast app's too
    want = film_audience(model, "00004", k=5, offset=1, tier=tier).to_json()
    assert a.json() == want
    ring = a.json()["ring"]
    assert ring["tier"] == tier.lower() and a.json()["total"] == ring["size"]
    assert all(u["tier"] == tier.lower() for u in a.json()["users"])
    assert a.json()["users"][0]["rank"] == ring["rank_range"][0] + 1  # offset 1 in the ring
    # the plain page is unchanged and says it is the whole ranking
    assert fast.get("/films/00004/audience", params={"k": 3}).json()["ring"] is None


def test_bad_tier_and_segment_are_422_listing_the_valid_ones(
        clients: tuple[TestClient, TestClient], model: Model) -> None:
    fast, _ = clients
    r = fast.get("/films/00004/audience", params={"tier": "outer"})
    assert r.status_code == 422 and "core, extended, broad" in r.json()["detail"]
    # several rings: the same text as the CLI's (the library's), no 'did you mean extended'
    r = fast.get("/films/00004/audience", params={"tier": "core,extended"})
    with pytest.raises(InvalidParameterError) as refused:
        film_audience(model, "00004", tier="core,extended")
    assert r.status_code == 422 and r.json()["detail"] == str(refused.value)
    assert "names several rings" in r.json()["detail"] and "did you mean" not in r.text
    r = fast.get("/films/00004/audience", params={"segment": "romance fans"})
    detail = r.json()["detail"]
    assert r.status_code == 422 and "unknown segment 'romance fans'" in detail
    assert all(str(i["label"]) in detail for i in model.segments.info)
    r = fast.get("/films/00004/audience.csv", params={"with": "title,shoe"})
    assert r.status_code == 422 and "valid columns are: title, segment_label" in r.text


def test_segment_by_label_or_number(clients: tuple[TestClient, TestClient],
                                    model: Model) -> None:
    fast, slow = clients
    label = str(model.segments.info[2]["label"])
    by_label = fast.get("/films/00005/audience", params={"segment": label.lower(), "k": 6})
    by_number = slow.get("/films/00005/audience", params={"segment": "2", "k": 6})
    assert by_label.status_code == 200 and by_label.content == by_number.content
    assert by_label.json() == film_audience(model, "00005", k=6, segment=2).to_json()
    assert {u["segment"] for u in by_label.json()["users"]} == {2}


def test_csv_with_columns_and_ring(clients: tuple[TestClient, TestClient],
                                   model: Model) -> None:
    fast, _ = clients
    r = fast.get("/films/00006/audience.csv",
                 params={"k": 50, "tier": "extended", "with": ["title", "segment_label,gender"]})
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert list(rows[0]) == ["film_id", "user_id", "rank", "score", "percentile", "tier",
                             "segment", "title", "segment_label", "gender"]
    page = film_audience(model, "00006", k=50, tier="extended")
    assert [row["user_id"] for row in rows] == page.user_ids.tolist()
    assert {row["tier"] for row in rows} == {"extended"}
    gender = model.user_table.attributes["gender"]
    assert all(row["gender"] == gender[model.user_index(row["user_id"])] for row in rows)


def test_lookalike_and_cold_start_take_a_tier(clients: tuple[TestClient, TestClient],
                                              model: Model) -> None:
    fast, _ = clients
    r = fast.post("/audiences/lookalike", json={"seed_user_ids": ["u3", "u7"], "k": 4,
                                                "tier": "extended"})
    assert r.status_code == 200, r.text
    page, _ = lookalikes(model, ["u3", "u7"], k=4, tier="extended")
    assert r.json()["users"] == page.to_json()["users"] and r.json()["ring"] == page.ring
    r = fast.post("/audiences/cold-start", json={"genres": ["G1"], "k": 3, "tier": "core"})
    assert r.status_code == 200 and r.json()["ring"]["tier"] == "core"
    r = fast.post("/audiences/cold-start", json={"genres": ["G1"], "tier": "nope"})
    assert r.status_code == 422


def test_summary_pictures_the_chosen_ring(clients: tuple[TestClient, TestClient],
                                          model_dir: Path) -> None:
    fast, _ = clients
    default = fast.get("/films/00004/audience/summary").json()
    scope = default["portrait_scope"]
    assert scope["tiers"] == ["core", "extended"] and scope["default"]
    assert "the default" in scope["note"] and default["min_cell"] == 10
    for name in ("core", "broad", "all"):
        body = fast.get("/films/00004/audience/summary", params={"tier": name}).json()
        assert body["portrait_scope"]["tiers"] == [name] and not body["portrait_scope"]["default"]
        for rows in body["portrait"].values():
            assert all(r["count"] == 0 or r["count"] >= 10 for r in rows)
    r = fast.get("/films/00004/audience/summary", params={"tier": "outer"})
    assert r.status_code == 422
    # RECOMMENDER_MIN_CELL=1 (the setting): nothing is left out, counts add up to the ring
    with _client(model_dir, True, min_cell=1) as open_client:
        body = open_client.get("/films/00004/audience/summary",
                               params={"tier": "core"}).json()
    assert body["min_cell"] == 1 and body["suppressed_cells"] == 0
    core = body["tiers"][0]["size"]
    for rows in body["portrait"].values():
        assert sum(r["count"] for r in rows) == core


def test_min_cell_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "25")
    assert Settings(model_path="unused").min_cell == 25


def test_the_schemas_tier_pattern_accepts_what_the_summary_accepts(
        clients: tuple[TestClient, TestClient]) -> None:
    """The ``tier`` pattern in /openapi.json against ``portrait_scope`` itself, over every
    join of up to three pieces: a client validating against the schema sends exactly what the
    server takes (the pattern let "core," through after the server began refusing it)."""
    fast, _ = clients
    spec = fast.get("/openapi.json").json()
    params = spec["paths"]["/films/{film_id}/audience/summary"]["get"]["parameters"]
    pattern = next(p for p in params if p["name"] == "tier")["schema"]["pattern"]
    pieces = ["core", "EXTENDED", " broad ", "all", "inner", ""]
    texts = {""} | {a + s + b + t + c for a in pieces for b in pieces for c in pieces
                    for s in (",", "+") for t in (",", "+", "")}
    assert len(texts) > 400
    for text in sorted(texts):
        try:
            portrait_scope(text, 1000)
            takes = True
        except InvalidParameterError:
            takes = False
        assert (re.fullmatch(pattern, text) is not None) == takes, repr(text)


def test_a_plus_read_as_a_space_is_said_to_be_one(clients: tuple[TestClient, TestClient]
                                                 ) -> None:
    """``?tier=core+extended`` reaches the server as "core extended" (a '+' in a query string
    is a space): the refusal says so, where it read "unknown tier 'core extended'" beside a
    note that writes the scope "core + extended"."""
    fast, _ = clients
    r = fast.get("/films/00004/audience/summary?tier=core+extended")
    assert r.status_code == 422
    assert "a '+' in a URL's query string reads as a space: write ',' or %2B" in \
        r.json()["detail"], r.text
    ok = fast.get("/films/00004/audience/summary?tier=core%2Bextended")
    assert ok.status_code == 200 and ok.json()["portrait_scope"]["tiers"] == ["core", "extended"]
    assert "unknown tier 'inner core'" in fast.get(
        "/films/00004/audience/summary", params={"tier": "inner core"}).json()["detail"]


def test_the_schema_says_an_empty_ring_and_a_portrait_of_nobody_have_no_rows() -> None:
    """Since 9c79e47 a tier of no user has no segment rows and a portrait of nobody no cells
    (each read a share and lift of 0); /openapi.json described both lists as left out under
    min_cell only, so an empty list read as every cell hidden by the privacy rule."""
    from service.summary_schemas import AudienceSummary, TierSummary

    tier = TierSummary.model_fields["segments"].description or ""
    portrait = AudienceSummary.model_fields["portrait"].description or ""
    assert "none for a tier of no user" in tier
    assert "portrait_scope.users is 0" in portrait
