"""``screens_by=new`` (``--screens-by new``): screens follow each place's expected_new, the
film's new audience, instead of expected_total, by the same largest remainder, tie rule, caps
and pool guards (a pool part that is a small group weighs nothing, or leaves the whole pool's
figure). The oracle recomputes each user's probability and Hamilton's method here; the CLI's
``--json`` is the HTTP body byte for byte."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import brute_audience, dense_seen, run_cli, synthetic_model, tie_mean_p
from service_fixtures import GENRES, model_and_client

from recommender.distribution.demand import demand_by_place
from recommender.errors import InvalidParameterError
from recommender.io.places import Cinemas
from recommender.model.model import Model

BIG = {"Lyon": 90, "Nice": 60}  # city -> users, each with a cinema of 12 screens
MIN_CELL = 10


def city_model(small_with: list[int], small_without: list[int], seed: int = 3) -> Model:
    """Two big cities and small ones (pooled): the ``s<i>`` have a cinema, the ``n<i>``
    none."""
    names = [*BIG, *(f"s{i}" for i in range(len(small_with))),
             *(f"n{i}" for i in range(len(small_without)))]
    sizes = [*BIG.values(), *small_with, *small_without]
    m = synthetic_model(n_users=sum(sizes), n_films=12, seed=seed)
    city = np.random.default_rng(seed).permutation(np.repeat(names, sizes))
    m.user_table.attributes["city"] = city
    m.user_table.attributes["cinema"] = np.char.add("C-", city)
    m.user_table.attributes["region"] = np.full(len(city), "East")
    return m


def table(cities: list[str]) -> Cinemas:
    n = len(cities)
    return Cinemas(np.array([f"C-{c}" for c in cities]), np.array(cities), np.full(n, "East"),
                   np.full(n, 12, np.int64), np.full(n, 100, np.int64), "cinemas.csv")


def place_figures(model: Model, f: int, by: str) -> tuple[dict[str, float], dict[str, float]]:
    """Each place's expected new viewers and expected total, user by user."""
    order, desc = brute_audience(model, f)
    p = np.zeros(model.n_users)
    p[order] = tie_mean_p(model, f, desc)
    seen = dense_seen(model)[:, f]
    new: dict[str, float] = {}
    total: dict[str, float] = {}
    for u, place in enumerate(model.user_table.attributes[by].tolist()):
        new[place] = new.get(place, 0.0) + float(p[u])
        total[place] = total.get(place, 0.0) + float(p[u] + seen[u])
    return new, total


def hamilton(weights: list[float], n: int, caps: list[float]) -> list[int]:
    """Largest remainder with caps (a place whose quota reaches its cap takes it, the rest
    is shared again); remainders equal to 9 decimals: larger weight, then the earlier place."""
    alloc = [0] * len(weights)
    free = [c > 0 for c in caps]
    left = n
    while True:
        base = [w if ok else 0.0 for w, ok in zip(weights, free, strict=True)]
        if sum(base) <= 0:
            base = [c if ok else 0.0 for c, ok in zip(caps, free, strict=True)]
        quota = [left * b / sum(base) if ok else 0.0 for b, ok in zip(base, free, strict=True)]
        over = [ok and q >= c for q, c, ok in zip(quota, caps, free, strict=True)]
        if not any(over):
            break
        for i in np.flatnonzero(over).tolist():
            alloc[i] = int(caps[i])
            left -= int(caps[i])
            free[i] = False
    floors = [int(np.floor(q)) if ok else 0 for q, ok in zip(quota, free, strict=True)]
    alloc = [a + fl for a, fl in zip(alloc, floors, strict=True)]
    rest = left - sum(floors)
    ranked = sorted((i for i in range(len(weights)) if free[i]),
                    key=lambda i: (-round(quota[i] - floors[i], 9), -weights[i], i))
    for i in ranked[:rest]:
        alloc[i] += 1
    return alloc


def allocation(body: dict[str, Any]) -> dict[str, int]:
    return {r["place"]: r["screens"] for r in body["places"]}


@pytest.mark.parametrize(("small_with", "small_without", "pool"), [
    ([5] * 4, [6] * 40, "with"),  # the pool weighs its places with a cinema alone
    ([4], [6] * 30, "none"),  # those hold 4 users: they weigh nothing
    ([6] * 30, [4], "all"),  # its places without one hold 4: the whole pool's weighs
])
def test_screens_follow_expected_new_with_the_pool_guards(
        small_with: list[int], small_without: list[int], pool: str) -> None:
    model = city_model(small_with, small_without)
    withs = [f"s{i}" for i in range(len(small_with))]
    cinemas = table([*BIG, *withs])
    for f in (1, 4, 7):
        film = str(model.films.ids[f])
        body = demand_by_place(model, film, "city", screens=20, cinemas=cinemas,
                               min_cell=MIN_CELL, screens_by="new")
        new, total = place_figures(model, f, "city")
        weight = {"with": sum(new[c] for c in withs), "none": 0.0,
                  "all": sum(v for c, v in new.items() if c not in BIG)}[pool]
        # the rows in the order of their names, the pool last (the tie rule's order)
        got = hamilton([new[c] for c in sorted(BIG)] + [weight], 20,
                       [12, 12, 12 * len(withs)])
        assert allocation(body) == dict(zip([*sorted(BIG), "other"], got, strict=True))
        # the rows still show both figures; only what the screens follow changed
        for r in body["places"][:2]:
            assert r["expected_new"] == pytest.approx(new[r["place"]], abs=2e-3)
            assert r["expected_total"] == pytest.approx(total[r["place"]], abs=2e-3)
        said = body["units"]["screens"]
        assert said.startswith("screens (or showtimes) allocated in proportion to each "
                               "place's expected new viewers")
        assert "equal remainders go to the larger expected new viewers first" in said
        note = body["screens"]["note"]
        assert (note is None) == (allocation(body)["other"] == 0)
        if note is not None:
            assert note.endswith("every row's screens follow its expected new viewers")
            if pool == "with":
                assert ("shared out beside the rows above by those cities' expected new "
                        "viewers alone") in note
            if pool == "all":
                assert "by the whole pool's expected new viewers, as its cities" in note


def test_new_differs_from_total_and_ties_follow_expected_new() -> None:
    """Uncapped, by region: the allocation by expected_new is Hamilton's over expected_new,
    and by default (total) over expected_total (both recomputed), on films where they part."""
    model = city_model([], [])
    model.user_table.attributes["region"] = np.where(
        np.arange(model.n_users) % 3 == 0, "North", "South")
    parted = 0
    for f in range(12):
        film = str(model.films.ids[f])
        new, total = place_figures(model, f, "region")
        places = sorted(new)
        for by, figures in (("new", new), (None, total)):
            body = demand_by_place(model, film, "region", screens=7, min_cell=MIN_CELL,
                                   screens_by=by)
            got = hamilton([figures[c] for c in places], 7, [np.inf] * len(places))
            assert allocation(body) == dict(zip(places, got, strict=True))
        parted += hamilton([new[c] for c in places], 7, [np.inf] * 2) != hamilton(
            [total[c] for c in places], 7, [np.inf] * 2)
    assert parted  # the option changes something on this model


def test_a_bad_screens_by_is_refused() -> None:
    model = city_model([], [])
    film = str(model.films.ids[0])
    with pytest.raises(InvalidParameterError, match=r"^screens_by must be one of total, new "
                                                    r"\(the column screens follow\), got 'old'"):
        demand_by_place(model, film, "city", screens=5, screens_by="old")
    with pytest.raises(InvalidParameterError, match="got 'old'"):  # without screens too
        demand_by_place(model, film, "city", screens_by="old")
    # without screens it changes no figure, and the body says it was not read
    assert demand_by_place(model, film, "city", screens_by="new") == {
        **demand_by_place(model, film, "city"),
        "screens_by_note": "screens_by is not read without screens: it says what the screens "
                           "follow"}
    # any case, surrounding blanks ignored, as by is
    assert demand_by_place(model, film, "city", screens=5, screens_by=" NEW ")["units"] == \
        demand_by_place(model, film, "city", screens=5, screens_by="new")["units"]


model_dir, client = model_and_client("screens_by")


def test_cli_equals_http_with_screens_by(client: TestClient, model_dir: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    http = client.get("/films/00007/distribution",
                      params={"by": "region", "screens": 9, "screens_by": "new"})
    assert http.status_code == 200, http.text
    assert "proportion to each place's expected new viewers" in http.json()["units"]["screens"]
    code, out, err = run_cli(capsys, "distribution", model_dir, "00007", "--by", "region",
                             "--screens", 9, "--screens-by", "new", "--json")
    assert code == 0, err
    assert out == http.content.decode() + "\n"
    http = client.post("/distribution/cold-start", json={
        "comparable_film_ids": ["00004"], "genres": [GENRES[0]], "by": "region", "screens": 5,
        "screens_by": "new"})
    assert http.status_code == 200, http.text
    code, out, err = run_cli(capsys, "distribution", model_dir, "--like", "00004", "--genre",
                             GENRES[0], "--screens", 5, "--screens-by", "new", "--json")
    assert code == 0, err
    assert out == http.content.decode() + "\n"
    code, out, err = run_cli(capsys, "distribution", model_dir, "00007", "--by", "region",
                             "--screens", 9, "--screens-by", "new")
    assert code == 0, err
    assert "9 screens shared out by expected_new (largest remainder: equal remainders go to " \
           "the larger expected new viewers first" in out
    # the same refusal on both surfaces
    for params, argv in (({"screens": 9}, ["--screens", 9]), ({}, [])):
        http = client.get("/films/00007/distribution",
                          params={"by": "region", "screens_by": "old", **params})
        assert http.status_code == 422
        code, out, err = run_cli(capsys, "distribution", model_dir, "00007", *argv,
                                 "--screens-by", "old")
        assert code == 2
        assert http.json()["detail"] in err
    # without screens: the figures unchanged, and a note saying screens_by was not read, on
    # both surfaces (HTTP answered 200 with no word of it, while the CLI said so on stderr)
    http = client.get("/films/00007/distribution", params={"by": "region", "screens_by": "new"})
    code, out, err = run_cli(capsys, "distribution", model_dir, "00007", "--screens-by", "new",
                             "--json")
    assert code == 0 and out == http.content.decode() + "\n"
    said = "screens_by is not read without screens: it says what the screens follow"
    plain = client.get("/films/00007/distribution").json()
    assert plain["screens_by_note"] is None
    assert http.json() == {**plain, "screens_by_note": said}
    assert "note: --screens-by is not read without --screens" in err
    cold = {"comparable_film_ids": ["00004"], "genres": [GENRES[0]], "by": "region"}
    http = client.post("/distribution/cold-start", json={**cold, "screens_by": "new"})
    assert http.status_code == 200, http.text
    plain = client.post("/distribution/cold-start", json=cold).json()
    assert http.json() == {**plain, "screens_by_note": said}
    with_screens = client.post("/distribution/cold-start",
                               json={**cold, "screens": 5, "screens_by": "new"}).json()
    assert with_screens["screens_by_note"] is None
