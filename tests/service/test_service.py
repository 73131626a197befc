"""The HTTP service through ``TestClient`` with the lifespan running: every endpoint against
an independent oracle (brute-force numpy rankings, the planted taste groups), every error
path, metrics, the version header, and reload (including reload while requests run)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pytest
from fastapi.testclient import TestClient
from service_fixtures import (
    GENRES,
    N_GROUPS,
    ODD_FILM_ID,
    ODD_USER_ID,
    group_of_film,
    group_of_user,
    save_model,
)

from recommender.model import artifact, layout
from recommender.model.model import Model
from recommender.query.audience import tier_bounds
from recommender.query.recommend import recommend_user
from service.app import create_app
from service.settings import Settings

KEY = "s3cret-key"
MAX_K = 150


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("svc") / "model", seed=0)


@pytest.fixture(scope="module")
def other_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("svc") / "model-b", seed=1)


@pytest.fixture(scope="module")
def model(model_dir: Path) -> Model:
    return artifact.load(model_dir)


def make_client(path: Path, **kw: Any) -> TestClient:
    # reloads here may name any folder (tests/service/test_security.py tests the models root)
    settings = Settings(model_path=str(path), api_key=KEY, max_k=MAX_K, models_root="/", **kw)
    return TestClient(create_app(settings))


@pytest.fixture(scope="module")
def client(model_dir: Path) -> Iterator[TestClient]:
    with make_client(model_dir) as c:
        yield c


def url_id(external_id: str) -> str:
    return quote(external_id, safe="")


def oracle_audience(model: Model, film_id: str, exclude_seen: bool = True
                    ) -> tuple[list[str], np.ndarray, int]:
    """Brute force: every user's score in float64, viewers dropped, full lexsort."""
    f = int(np.flatnonzero(model.films.ids == film_id)[0])
    scores = np.asarray(model.user_factors, np.float64) @ np.asarray(model.film_factors[f],
                                                                      np.float64)
    users = np.arange(model.n_users)
    if exclude_seen:
        seen = model.seen.toarray()[:, f] > 0
        users = users[~seen]
    order = users[np.lexsort((users, -scores[users]))]
    return [str(model.users.ids[u]) for u in order], scores[order], len(users)


# ------------------------------------------------------------------ health, catalog


def test_health_names_the_model_version(client: TestClient, model: Model) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["model"]["model_version"] == model.meta["model_version"]
    assert r.headers["X-Model-Version"] == model.meta["model_version"]
    assert body["model"]["users"] == model.n_users and body["model"]["films"] == model.n_films
    assert body["model"]["interactions"] == model.seen.nnz
    assert body["model"]["segments"] == N_GROUPS
    assert body["model"]["has_calibration"] is True


def test_every_response_carries_the_version_header(client: TestClient, model: Model) -> None:
    for path in ("/films", "/segments", "/films/nope", "/no/such/route", "/metrics"):
        assert client.get(path).headers["X-Model-Version"] == model.version


def test_search_by_title_substring_any_case(client: TestClient) -> None:
    r = client.get("/films", params={"query": "mATRIX"})
    assert r.status_code == 200
    assert [f["title"] for f in r.json()["films"]] == ["The Matrix"]
    r = client.get("/films", params={"query": "amÉlie"})
    assert [f["film_id"] for f in r.json()["films"]] == ["00002"]
    # an exact film id also matches, kept byte for byte
    assert [f["film_id"] for f in client.get("/films", params={"query": "00005"}).json()[
        "films"]] == ["00005"]


def test_search_results_say_how_they_matched_in_the_schema_too(client: TestClient) -> None:
    """Each result's ``match`` is in the OpenAPI schema, described, with its kinds listed."""
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    result = schemas["FilmSearch"]["properties"]["films"]["items"]["$ref"].split("/")[-1]
    fields = schemas[result]["properties"]
    assert set(fields) == {"film_id", "title", "year", "genres", "viewers", "match"}
    assert fields["match"]["description"] and fields["match"]["$ref"].endswith("/SearchMatch")
    match = schemas["SearchMatch"]["properties"]
    assert list(match) == ["kind", "words", "corrected", "unmatched", "year", "year_matched",
                           "exact_id"]
    assert all(f.get("description") for f in match.values())
    assert match["kind"]["enum"] == ["title", "title_start", "words", "inside", "typo",
                                     "similar", "year", "film_id", "all"]
    assert list(schemas["TypoFix"]["properties"]) == ["typed", "title_word", "edits"]
    body = client.get("/films", params={"query": "the matrix 1991"}).json()
    assert body["films"][0]["match"] == {"kind": "title", "words": ["the", "matrix"],
                                         "corrected": [], "unmatched": [], "year": 1991,
                                         "year_matched": False, "exact_id": False}


def test_search_orders_by_viewers_and_paginates(client: TestClient, model: Model) -> None:
    counts = model.film_counts()
    expected = [str(model.films.ids[i]) for i in np.lexsort((np.arange(model.n_films),
                                                             -counts))]
    first = client.get("/films", params={"limit": 25}).json()
    second = client.get("/films", params={"limit": 25, "offset": 25}).json()
    assert first["total"] == model.n_films
    assert [f["film_id"] for f in first["films"] + second["films"]] == expected[:50]
    assert all(f["viewers"] == counts[model.film_index(f["film_id"])] for f in first["films"])


def test_search_limit_beyond_the_setting_is_refused(client: TestClient) -> None:
    """The bound `search --limit` shares (tests/cli/test_cli_refusals.py), with its message."""
    most = Settings().max_search_limit
    assert client.get("/films", params={"limit": most}).status_code == 200
    r = client.get("/films", params={"limit": most + 1})
    assert r.status_code == 422
    assert r.json()["detail"] == (f"query parameter 'limit': should be at most {most} (the "
                                  "largest search page, RECOMMENDER_MAX_SEARCH_LIMIT), got "
                                  f"{most + 1}")


def test_search_by_genre(client: TestClient, model: Model) -> None:
    body = client.get("/films", params={"genre": "g3", "limit": 100}).json()
    assert body["total"] == sum(group_of_film(f) == 3 for f in model.films.ids.tolist())
    assert all(f["genres"] == ["G3"] for f in body["films"])
    r = client.get("/films", params={"genre": "Western"})
    assert r.status_code == 422
    assert "Western" in r.json()["detail"] and "G0" in r.json()["detail"]


def test_film_detail_with_audience_statistics(client: TestClient, model: Model) -> None:
    counts = model.film_counts()
    f = model.film_index("00004")
    r = client.get("/films/00004")
    assert r.status_code == 200
    body = r.json()
    assert body["title"] == "Film 4 of G0" and body["genres"] == ["G0"]
    assert body["viewers"] == counts[f]
    assert body["candidates"] == model.n_users - counts[f]
    assert body["popularity_rank"] == 1 + int(np.sum(counts > counts[f]))
    # small segments are left out (RECOMMENDER_MIN_CELL): the shown ones are not small
    assert sum(s["count"] for s in body["viewer_segments"]) <= counts[f]
    assert all(s["count"] >= 10 or s["count"] == 0 for s in body["viewer_segments"])


def test_film_ids_with_slashes_and_unicode(client: TestClient) -> None:
    for path in (f"/films/{url_id(ODD_FILM_ID)}", f"/films/{ODD_FILM_ID}"):
        r = client.get(path)
        assert r.status_code == 200, r.text
        assert r.json()["film_id"] == ODD_FILM_ID
    r = client.get(f"/films/{url_id(ODD_FILM_ID)}/audience", params={"k": 3})
    assert r.status_code == 200 and r.json()["film_id"] == ODD_FILM_ID
    r = client.get(f"/users/{url_id(ODD_USER_ID)}/recommendations")
    assert r.status_code == 200 and r.json()["user_id"] == ODD_USER_ID


# ------------------------------------------------------------------ audiences


@pytest.mark.parametrize("film_id", ["00000", "00007", ODD_FILM_ID])
def test_audience_equals_brute_force(client: TestClient, model: Model, film_id: str) -> None:
    users, scores, total = oracle_audience(model, film_id)
    r = client.get(f"/films/{url_id(film_id)}/audience", params={"k": 40})
    assert r.status_code == 200
    body = r.json()
    assert body["film_id"] == film_id and body["total"] == total and body["k"] == 40
    assert [u["user_id"] for u in body["users"]] == users[:40]
    np.testing.assert_allclose([u["score"] for u in body["users"]], scores[:40], atol=2e-6)
    assert [u["rank"] for u in body["users"]] == list(range(1, 41))
    np.testing.assert_allclose([u["percentile"] for u in body["users"]],
                               [round(100 * (total - r + 1) / total, 4) for r in range(1, 41)])
    bounds = tier_bounds(total)
    tier = {rank: name for name, a, b in bounds for rank in range(a, b + 1)}
    assert [u["tier"] for u in body["users"]] == [tier.get(r) for r in range(1, 41)]
    labels = np.asarray(model.segments.labels)
    assert [u["segment"] for u in body["users"]] == [
        int(labels[model.user_index(u)]) for u in users[:40]]


def test_audience_pages_walk_the_ranking_and_cache_is_exact(client: TestClient,
                                                           model: Model) -> None:
    users, _, total = oracle_audience(model, "00011")
    pages = []
    for offset in range(0, total, MAX_K):
        body = client.get("/films/00011/audience", params={"k": MAX_K, "offset": offset}).json()
        pages += [u["user_id"] for u in body["users"]]
    assert pages == users
    again = [client.get("/films/00011/audience", params={"k": 7, "offset": 3}).json()
             for _ in range(2)]
    assert again[0] == again[1]
    assert [u["user_id"] for u in again[0]["users"]] == users[3:10]
    past_end = client.get("/films/00011/audience", params={"k": 5, "offset": total}).json()
    assert past_end["users"] == [] and past_end["total"] == total


def test_audience_include_seen_ranks_everyone(client: TestClient, model: Model) -> None:
    users, _, total = oracle_audience(model, "00003", exclude_seen=False)
    body = client.get("/films/00003/audience",
                      params={"k": 20, "exclude_seen": "false"}).json()
    assert total == model.n_users == body["total"]
    assert [u["user_id"] for u in body["users"]] == users[:20]


def test_audience_finds_the_planted_taste_group(client: TestClient, model: Model) -> None:
    for film in ("00004", "00005", "00006", "00007"):
        body = client.get(f"/films/{film}/audience", params={"k": 10}).json()
        planted = [group_of_user(u["user_id"]) == group_of_film(film) for u in body["users"]]
        assert np.mean(planted) >= 0.8


def test_audience_segment_and_attribute_filters(client: TestClient, model: Model) -> None:
    users, _, total = oracle_audience(model, "00008")
    labels = np.asarray(model.segments.labels)
    body = client.get("/films/00008/audience", params={"k": 10, "segment": 1}).json()
    in_seg = [u for u in users if labels[model.user_index(u)] == 1]
    assert [u["user_id"] for u in body["users"]] == in_seg[:10]
    assert [u["rank"] for u in body["users"]] == [users.index(u) + 1 for u in in_seg[:10]]
    region = np.asarray(model.user_table.attributes["region"])
    body = client.get("/films/00008/audience", params={"k": 10, "filter": "region=R0"}).json()
    assert [u["user_id"] for u in body["users"]] == [
        u for u in users if region[model.user_index(u)] == "R0"][:10]
    assert client.get("/films/00008/audience", params={"filter": "region"}).status_code == 422
    assert client.get("/films/00008/audience", params={"filter": "shoe=9"}).status_code == 422
    assert client.get("/films/00008/audience", params={"segment": 99}).status_code == 422


def test_audience_csv_download(client: TestClient, model: Model) -> None:
    r = client.get(f"/films/{url_id(ODD_FILM_ID)}/audience.csv", params={"k": 25})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    # the ASCII name, and the name with its é (filename*, which browsers prefer), each with
    # the tag of the id's bytes its safe forms changed (SHA-256's first 8 hex digits)
    tag = hashlib.sha256(ODD_FILM_ID.encode()).hexdigest()[:8]
    assert r.headers["content-disposition"] == (
        f'attachment; filename="audience_tt_0042_-{tag}.csv"; '
        f"filename*=UTF-8''audience_tt_0042_%C3%A9-{tag}.csv")
    # a cut says which it is in its file name, as the Studio names it (every cut was
    # audience_<film>.csv)
    cut = client.get("/films/00008/audience.csv", params={
        "k": 5, "offset": 5, "tier": "broad", "segment": 1, "filter": "region=R0"})
    assert cut.status_code == 200, cut.text
    assert cut.headers["content-disposition"] == (
        'attachment; filename="audience_00008_broad_segment1_region_R0_from6.csv"')
    # viewers ranked in: another ranking, which had the default download's name
    seen = client.get("/films/00008/audience.csv", params={"k": 5, "exclude_seen": "false"})
    assert seen.status_code == 200, seen.text
    assert seen.headers["content-disposition"] == (
        'attachment; filename="audience_00008_with_viewers.csv"')
    rows = list(csv.DictReader(io.StringIO(r.text)))
    js = client.get(f"/films/{url_id(ODD_FILM_ID)}/audience", params={"k": 25}).json()
    assert list(rows[0]) == ["film_id", "user_id", "rank", "score", "percentile", "tier",
                             "segment"]
    assert [r["user_id"] for r in rows] == [u["user_id"] for u in js["users"]]
    assert {r["film_id"] for r in rows} == {ODD_FILM_ID}
    assert [int(r["rank"]) for r in rows] == list(range(1, 26))
    assert [float(r["score"]) for r in rows] == [u["score"] for u in js["users"]]


def test_audience_summary_tiers_segments_portrait(client: TestClient, model: Model) -> None:
    _, _, total = oracle_audience(model, "00004", exclude_seen=False)
    # with viewers ranked in: on this 240-user model (a core of 2 or 3 users), the portraits
    # of both versions hidden together leave R0's cell shown in this version only
    r = client.get("/films/00004/audience/summary",
                   params={"tier": "core,extended,broad", "exclude_seen": "false"})
    assert r.status_code == 200
    body = r.json()
    assert body["candidates"] == total
    assert [t["tier"] for t in body["tiers"]] == ["core", "extended", "broad"]
    for t, (name, a, b) in zip(body["tiers"], tier_bounds(total), strict=True):
        assert t["tier"] == name and t["size"] == b - a + 1
        assert t["rank_range"] == [a, b]
        assert t["expected_conversion"] is None or 0 <= t["expected_conversion"] <= 1
    assert set(body["portrait"]) == {"age_band", "gender", "region"}
    # film 4 is a G0 film: the planted group 0 mostly lives in region R0
    r0 = next(v for v in body["portrait"]["region"] if v["value"] == "R0")
    assert r0["lift"] > 1.5
    # cells of fewer than min_cell users are left out (and counted)
    assert all(s["count"] == 0 or s["count"] >= body["min_cell"] for s in body["segments"])
    assert sum(s["count"] for s in body["segments"]) <= sum(t["size"] for t in body["tiers"])


def test_similar_films(client: TestClient, model: Model) -> None:
    body = client.get("/films/00004/similar", params={"k": 5}).json()
    ids = [f["film_id"] for f in body["films"]]
    assert len(ids) == 5 and "00004" not in ids
    scores = [f["score"] for f in body["films"]]
    assert scores == sorted(scores, reverse=True)
    assert sum(group_of_film(i) == 0 for i in ids) >= 4


def test_user_recommendations(client: TestClient, model: Model) -> None:
    r = client.get("/users/u8/recommendations", params={"k": 6})
    assert r.status_code == 200
    body = r.json()
    assert body["user_id"] == "u8" and len(body["films"]) == 6
    watched = {str(model.films.ids[f]) for f in model.user_films(model.user_index("u8"))}
    assert not watched & {f["film_id"] for f in body["films"]}
    assert sum(g == ["G0"] for g in (f["genres"] for f in body["films"])) >= 5
    assert all(isinstance(f["because"], list) for f in body["films"])
    include = client.get("/users/u8/recommendations",
                         params={"k": 6, "exclude_seen": "false"}).json()
    assert {f["film_id"] for f in include["films"]} & watched


def test_lookalikes_of_a_seed_list(client: TestClient, model: Model) -> None:
    seeds = [f"u{i}" for i in range(2, 80) if group_of_user(f"u{i}") == 2][:10]
    r = client.post("/audiences/lookalike", json={"seed_user_ids": seeds + ["ghost"], "k": 30})
    assert r.status_code == 200
    body = r.json()
    found = [u["user_id"] for u in body["users"]]
    assert not set(found) & set(seeds)
    assert body["unknown_seed_ids"] == ["ghost"]
    assert body["total"] == model.n_users - len(seeds)
    assert np.mean([group_of_user(u) == 2 for u in found]) >= 0.8


def test_cold_start_from_genres_and_comparables(client: TestClient, model: Model) -> None:
    body = client.post("/audiences/cold-start", json={"genres": ["g2"], "k": 30}).json()
    assert body["total"] == model.n_users
    assert np.mean([group_of_user(u["user_id"]) == 2 for u in body["users"]]) >= 0.8
    comparable = ["00005", "00009", "00013"]  # all G1
    for spec in (comparable, dict.fromkeys(comparable, 2.0)):
        r = client.post("/audiences/cold-start", json={"comparable_film_ids": spec, "k": 30})
        assert r.status_code == 200, r.text
        users = [u["user_id"] for u in r.json()["users"]]
        assert np.mean([group_of_user(u) == 1 for u in users]) >= 0.8
    seg = client.post("/audiences/cold-start",
                      json={"genres": ["G3"], "k": 10, "segment": 0}).json()
    labels = np.asarray(model.segments.labels)
    assert all(labels[model.user_index(u["user_id"])] == 0 for u in seg["users"])


def test_segments(client: TestClient, model: Model) -> None:
    body = client.get("/segments").json()
    assert [s["segment"] for s in body["segments"]] == list(range(N_GROUPS))
    assert sum(s["size"] for s in body["segments"]) == model.n_users
    labels = np.asarray(model.segments.labels)
    assert [s["size"] for s in body["segments"]] == np.bincount(labels).tolist()
    assert all(s["label"] for s in body["segments"])
    genres = {g["genre"] for s in body["segments"] for g in s["top_genres"]}
    assert genres <= set(GENRES) and genres


def test_metrics_by_route_template(client: TestClient, model: Model) -> None:
    client.get("/films/00004/audience")
    client.get("/films/00004/audience")
    client.get("/not/a/route")
    text = client.get("/metrics").text
    assert 'route="/films/{film_id:path}/audience"' in text
    assert "recommender_http_requests_total{" in text
    assert "recommender_http_request_duration_seconds_bucket{" in text
    assert f'recommender_model_info{{model_version="{model.version}"}} 1.0' in text
    assert 'route="<unmatched>"' in text and "/films/00004" not in text
    assert 'recommender_audience_cache_total{result="hit"}' in text


def test_metrics_do_not_grow_with_methods_clients_make_up(client: TestClient) -> None:
    """The method label was the request's method as sent: h11 takes any token, up to the
    request head's size, so anyone (no key is checked before the count) could add series
    without bound, each request a new method, and every scrape grew with them."""
    before = client.get("/metrics").text.count("\n")
    for i in range(50):
        method = f"M{i}" + "X" * 500
        assert client.request(method, "/health").status_code == 405
        assert client.request(method, "/no/such/route").status_code in (404, 405)
    text = client.get("/metrics").text
    assert "XXXX" not in text and 'method="other"' in text
    assert text.count("\n") < before + 200
    assert 'method="GET"' in text


def test_openapi_describes_every_endpoint(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path, method in [
        ("/health", "get"), ("/films", "get"), ("/films/{film_id}", "get"),
        ("/films/{film_id}/audience", "get"), ("/films/{film_id}/audience.csv", "get"),
        ("/films/{film_id}/audience/summary", "get"), ("/films/{film_id}/similar", "get"),
        ("/users/{user_id}/recommendations", "get"), ("/audiences/lookalike", "post"),
        ("/audiences/cold-start", "post"), ("/segments", "get"), ("/metrics", "get"),
        ("/admin/reload", "post"),
    ]:
        assert method in paths[path], path
    audience_user = spec["components"]["schemas"]["AudienceUser"]["properties"]
    assert set(audience_user) == {"user_id", "rank", "score", "percentile", "tier", "segment"}
    assert client.get("/docs").status_code == 200


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("path", [
    "/films/99999", "/films/99999/audience", "/films/99999/audience.csv",
    "/films/99999/audience/summary", "/films/99999/similar",
])
def test_unknown_film_is_404_naming_it(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert "99999" in r.json()["detail"] and "film_id" in r.json()["detail"]


def test_unknown_user_is_404_naming_it(client: TestClient) -> None:
    r = client.get("/users/nobody-42/recommendations")
    assert r.status_code == 404 and "nobody-42" in r.json()["detail"]
    r = client.post("/audiences/lookalike", json={"seed_user_ids": ["x1", "x2"]})
    assert r.status_code == 404 and "x1" in r.json()["detail"]
    r = client.post("/audiences/cold-start", json={"comparable_film_ids": ["nope"]})
    assert r.status_code == 404 and "nope" in r.json()["detail"]


@pytest.mark.parametrize("params, words", [
    ({"k": 0}, ["'k'", "greater than or equal to 1", "got '0'"]),
    ({"k": -5}, ["'k'"]),
    ({"k": MAX_K + 1}, ["'k': should be at most 150", "RECOMMENDER_MAX_K", str(MAX_K + 1)]),
    ({"k": 10**30}, ["'k': should be at most 150"]),
    ({"k": "ten"}, ["'k'", "integer", "'ten'"]),
    ({"offset": -1}, ["'offset'"]),
    ({"exclude_seen": "maybe"}, ["'exclude_seen'", "boolean"]),
])
def test_bad_parameters_are_422_in_words(client: TestClient, params: dict[str, Any],
                                         words: list[str]) -> None:
    for path in ("/films/00004/audience", "/films/00004/audience.csv"):
        r = client.get(path, params=params)
        assert r.status_code == 422, r.text
        for w in words:
            assert w in r.json()["detail"], (w, r.json()["detail"])


def test_bad_k_on_every_k_endpoint(client: TestClient) -> None:
    for path in ("/films/00004/similar", "/users/u3/recommendations"):
        assert client.get(path, params={"k": 0}).status_code == 422
        assert client.get(path, params={"k": MAX_K + 1}).status_code == 422
    assert client.get("/films", params={"limit": 0}).status_code == 422
    assert client.get("/films", params={"limit": 5000}).status_code == 422
    for body in ({"seed_user_ids": ["u2"], "k": 0}, {"seed_user_ids": ["u2"], "k": MAX_K + 1}):
        assert client.post("/audiences/lookalike", json=body).status_code == 422
    assert client.post("/audiences/cold-start", json={"genres": ["G1"], "k": -1}
                       ).status_code == 422


def test_bad_bodies_are_422_in_words(client: TestClient) -> None:
    cases: list[tuple[str, Any, str]] = [
        ("/audiences/lookalike", {"seed_user_ids": []}, "seed_user_ids"),
        ("/audiences/lookalike", {"k": 3}, "body field 'seed_user_ids' is required"),
        ("/audiences/lookalike", {"seed_user_ids": ["u2"], "kk": 3}, "'kk' is not a known"),
        ("/audiences/lookalike", [1, 2], "should be a valid dictionary"),
        ("/audiences/cold-start", {}, "at least one comparable film id or one genre"),
        ("/audiences/cold-start", {"genres": ["Western"]}, "unknown genre 'Western'"),
        ("/audiences/cold-start", {"comparable_film_ids": {"00001": -1}}, "positive"),
        ("/audiences/cold-start", {"genres": "G1"}, "'genres'"),
    ]
    for path, body, words in cases:
        r = client.post(path, json=body)
        assert r.status_code == 422, (path, body, r.text)
        assert words in r.json()["detail"], (words, r.json()["detail"])


@pytest.mark.parametrize("raw", [b"{not json", b"", b'{"seed_user_ids": ["u2"]',
                                 b"\xff\xfe\x00", b'{"seed_user_ids": ["u2"], "k": NaN}'])
def test_malformed_json_is_422(client: TestClient, raw: bytes) -> None:
    r = client.post("/audiences/lookalike", content=raw,
                    headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"]


def test_huge_and_tiny_weights_are_relative(client: TestClient) -> None:
    plain = client.post("/audiences/cold-start",
                        json={"comparable_film_ids": ["00005", "00009"], "k": 20}).json()
    for w in (1e308, 5e-324):
        r = client.post("/audiences/cold-start",
                        json={"comparable_film_ids": {"00005": w, "00009": w}, "k": 20})
        assert r.status_code == 200
        assert [u["user_id"] for u in r.json()["users"]] == [u["user_id"] for u in
                                                              plain["users"]]


def test_nan_and_infinite_weights_are_422(client: TestClient) -> None:
    for w in (b"NaN", b"Infinity", b"-Infinity", b"1e999"):
        r = client.post("/audiences/cold-start",
                        content=b'{"comparable_film_ids": {"00001": ' + w + b"}}",
                        headers={"content-type": "application/json"})
        assert r.status_code == 422, (w, r.text)


# ------------------------------------------------------------------ admin and reload


@pytest.fixture()
def reload_client(model_dir: Path, tmp_path: Path) -> Iterator[TestClient]:
    served = tmp_path / "served"
    shutil.copytree(model_dir, served)
    with make_client(served) as c:
        yield c


def auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_reload_needs_the_api_key(reload_client: TestClient) -> None:
    for headers in ({}, auth("wrong"), {"Authorization": KEY}, {"Authorization": "Basic x"}):
        r = reload_client.post("/admin/reload", headers=headers)
        assert r.status_code == 401, headers
        assert "API key" in r.json()["detail"]
    # the key is checked before the body is even parsed
    assert reload_client.post("/admin/reload", content=b"{oops").status_code == 401


def test_reload_without_configured_key_is_closed(model_dir: Path) -> None:
    with TestClient(create_app(Settings(model_path=str(model_dir), api_key=None))) as c:
        r = c.post("/admin/reload")
        assert r.status_code == 403 and "RECOMMENDER_ADMIN_KEY" in r.json()["detail"]


def test_reload_swaps_in_a_new_model(reload_client: TestClient, model: Model,
                                     other_model_dir: Path) -> None:
    other = artifact.load(other_model_dir)
    assert other.version != model.version
    before = reload_client.get("/films/00004/audience", params={"k": 10}).json()
    recs_before = reload_client.get("/users/u3/recommendations", params={"k": 4}).json()
    r = reload_client.post("/admin/reload", headers=auth(),
                           json={"model_path": str(other_model_dir)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["previous_version"] == model.version
    assert body["model_version"] == other.version == r.headers["X-Model-Version"]
    assert reload_client.get("/health").json()["model"]["model_version"] == other.version
    after = reload_client.get("/films/00004/audience", params={"k": 10})
    assert after.headers["X-Model-Version"] == other.version
    users, _, _ = oracle_audience(other, "00004")
    assert [u["user_id"] for u in after.json()["users"]] == users[:10]  # not the cached one
    assert after.json() != before
    recs = reload_client.get("/users/u3/recommendations", params={"k": 4})
    assert recs.headers["X-Model-Version"] == other.version
    want = recommend_user(other, "u3", 4)  # the new model's list, not the cached body
    assert [f["film_id"] for f in recs.json()["films"]] == other.films.to_ids(
        want.film_idx).tolist()
    assert recs.json() != recs_before
    metrics = reload_client.get("/metrics").text
    assert f'recommender_model_info{{model_version="{other.version}"}} 1.0' in metrics
    assert model.version not in metrics.split("recommender_model_info")[-1]
    # a reload without a path reloads the folder now being served
    again = reload_client.post("/admin/reload", headers=auth())
    assert again.status_code == 200 and again.json()["model_version"] == other.version


def test_reload_of_a_missing_or_corrupt_folder_keeps_serving(
        reload_client: TestClient, model: Model, model_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(model_dir, broken)
    # the files of a copied model sit in its current version (recommender/model/layout.py)
    (layout.resolve(broken) / "film_factors.npy").write_bytes(b"not numpy")
    truncated = tmp_path / "truncated"
    shutil.copytree(model_dir, truncated)
    (layout.resolve(truncated) / "user_ids.npy").unlink()
    weird_meta = tmp_path / "weird-meta"
    shutil.copytree(model_dir, weird_meta)
    meta_path = layout.resolve(weird_meta) / "meta.json"
    meta = meta_path.read_text().replace('"user_attributes": [', '"x": [')
    meta_path.write_text(meta.replace('"format_version": ', '"user_attributes": 7, '
                                                            '"format_version": ', 1))
    edited = json.loads(meta_path.read_text())  # as written before meta.json's seal
    edited.pop("meta_sha256", None)
    meta_path.write_text(json.dumps(edited))
    nan = tmp_path / "nan"
    shutil.copytree(model_dir, nan)
    uf = np.load(layout.resolve(nan) / "user_factors.npy")
    uf[3, 1] = np.nan
    np.save(layout.resolve(nan) / "user_factors.npy", uf)  # caught by its checksum first
    cases = [(tmp_path / "nowhere", "no such model folder"), (broken, "film_factors"),
             (truncated, "user_ids.npy"), (weird_meta, "could not load"),
             (nan, "user_factors.npy: altered")]
    for path, why in cases:
        r = reload_client.post("/admin/reload", headers=auth(), json={"model_path": str(path)})
        assert r.status_code == 409, (path, r.text)
        detail = r.json()["detail"]
        assert why in detail and f"still serving model {model.version}" in detail, detail
        health = reload_client.get("/health")
        assert health.json()["model"]["model_version"] == model.version
        assert reload_client.get("/films/00004/audience").status_code == 200
    assert 'recommender_model_reloads_total{result="error"} 5.0' in reload_client.get(
        "/metrics").text
    bad = reload_client.post("/admin/reload", headers=auth(), json={"model_dir": "x"})
    assert bad.status_code == 422 and "model_dir" in bad.json()["detail"]


def test_requests_in_flight_finish_on_the_old_model(reload_client: TestClient,
                                                    other_model_dir: Path) -> None:
    service = reload_client.app.state.service  # type: ignore[attr-defined]
    old = service.engine
    page = old.audience("00004", k=5)
    service.reload(str(other_model_dir))
    assert service.engine is not old and old.closed
    assert old.audience("00004", k=5).user_ids.tolist() == page.user_ids.tolist()
    assert old.version != service.engine.version


def test_reload_while_requests_are_running(reload_client: TestClient, model: Model,
                                           model_dir: Path, other_model_dir: Path) -> None:
    other = artifact.load(other_model_dir)
    expected = {}
    for m in (model, other):
        expected[m.version] = {f: oracle_audience(m, f)[0][:15] for f in ("00004", "00013")}
    failures: list[str] = []
    seen_versions: set[str] = set()
    stop = threading.Event()

    def hammer(film: str) -> None:
        while not stop.is_set():
            r = reload_client.get(f"/films/{film}/audience", params={"k": 15})
            version = r.headers.get("X-Model-Version", "")
            if r.status_code != 200:
                failures.append(f"{r.status_code} {r.text}")
                continue
            seen_versions.add(version)
            if [u["user_id"] for u in r.json()["users"]] != expected[version][film]:
                failures.append(f"answer of {film} does not match model {version}")

    threads = [threading.Thread(target=hammer, args=(f,)) for f in ("00004", "00013") * 2]
    for t in threads:
        t.start()
    try:
        for i in range(6):
            target = other_model_dir if i % 2 == 0 else model_dir
            r = reload_client.post("/admin/reload", headers=auth(),
                                   json={"model_path": str(target)})
            assert r.status_code == 200, r.text
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not failures, failures[:3]
    assert seen_versions == {model.version, other.version}
