"""Smart distribution's rules across surfaces and at the edges: one rule for a count of screens
on the CLI and over HTTP, out-of-range slate bounds refused before the solver, slate errors
naming ``films[i]``, the objective of a minimum no finite factor meets, the exact optimum of a
slate that favours the top films, and the note on the screens of a pooled "other" row (one
screen in the singular)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from helpers import synthetic_model
from service_fixtures import save_model
from test_slate import absolute_value_milp

from recommender.distribution.demand import demand_by_place
from recommender.distribution.slate import SlateFilm, _targets, _weights, plan_slate, solve
from recommender.errors import InvalidParameterError
from recommender.io.places import Cinemas
from service.app import create_app
from service.settings import Settings

CINEMAS = {"c1": 3, "c2": 4, "c3": 2}
RULE = "must be a whole number from 1 to 10000000"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("rules") / "model", cinemas=list(CINEMAS))


@pytest.fixture(scope="module")
def client(model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=str(model_dir)))) as c:
        yield c


def test_screens_take_one_rule_on_the_cli_and_over_http(
        client: TestClient, model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """HTTP took ``screens=1.0`` where the CLI refused ``--screens 1.0``: a number with a zero
    fraction is that whole number on both (JSON Schema's ``integer`` takes 1.0), and what one
    refuses the other refuses with the same words."""
    plain = client.get("/films/00003/distribution", params={"screens": "4"})
    assert plain.status_code == 200, plain.text
    for good in ("4.0", "4.00", "0.4e1"):
        http = client.get("/films/00003/distribution", params={"screens": good})
        assert http.content == plain.content, good
        code, out, err = run(capsys, "distribution", model_dir, "00003", "--screens", good,
                             "--json")
        assert code == 0, err
        assert out == plain.content.decode() + "\n"
    for bad in ("1.5", "0", "+1", "1_0", " 4", "1e300", "\u0664", "nan"):
        http = client.get("/films/00003/distribution", params={"screens": bad})
        assert http.status_code == 422 and RULE in http.json()["detail"], (bad, http.text)
        code, _, err = run(capsys, "distribution", model_dir, "00003", "--screens", bad)
        assert code == 2 and f"screens {RULE}" in err, (bad, err)
    body = {"comparable_film_ids": ["00003"], "by": "region"}
    one = client.post("/distribution/cold-start", json={**body, "screens": 4})
    assert client.post("/distribution/cold-start", json={**body, "screens": 4.0}).content \
        == one.content
    for bad_number in (1.5, 1e300, 0, True, "4"):
        r = client.post("/distribution/cold-start", json={**body, "screens": bad_number})
        assert r.status_code == 422 and "screens" in r.json()["detail"], bad_number
    with pytest.raises(InvalidParameterError, match=RULE):  # the library holds the rule
        demand_by_place(client.app.state.service.engine.model, "00003", "region", 1.5)


def _post(client: TestClient, text: str) -> Any:
    return client.post("/distribution/slate", content=text,
                       headers={"Content-Type": "application/json"})


def test_out_of_range_bounds_are_refused_naming_the_film_and_the_limit(
        client: TestClient) -> None:
    """A max_screens of 1e300 was "Unable to parse input string as an integer": the body's
    bounds and screens name the field, the film's position and the limit, and the library
    refuses them before the solver for any other caller."""
    for field, value in (("max_screens", "1e300"), ("min_screens", "1e300"),
                         ("max_screens", "2147483648.0"), ("min_screens", "2.5")):
        r = _post(client, '{"films": [{"film_id": "00003"}, {"film_id": "00002", '
                  f'"{field}": {value}}}]}}')
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert f"'films[1].{field}'" in detail and "from 0 to 2147483647" in detail, detail
        assert "parse" not in detail
    r = _post(client, '{"films": [{"film_id": "00003"}], '
                      '"cinemas": [{"cinema_id": "c1", "screens": 1e300}]}')
    assert r.status_code == 422 and "'cinemas[0].screens'" in r.json()["detail"]
    assert "from 1 to 2147483647" in r.json()["detail"]
    ok = _post(client, '{"films": [{"film_id": "00003", "max_screens": 9.0}], '
                       '"cinemas": [{"cinema_id": "c1", "screens": 9.0}]}')
    assert ok.status_code == 200 and ok.json()["films"][0]["max_screens"] == 9
    model = client.app.state.service.engine.model
    cinemas = Cinemas(np.array(["c1"]), np.array([""]), np.array([""]), np.array([3]),
                      np.array([0]), "given")
    for bad in (10**300, 1e300, -1, 2.5, True):
        films = [SlateFilm("00003"), SlateFilm("00002", 0, bad)]  # type: ignore[arg-type]
        with pytest.raises(InvalidParameterError,
                           match=r"films\[1\] \('00002'\): max_screens must be a whole number "
                                 r"from 0 to 2147483647"):
            plan_slate(model, films, cinemas)


def test_slate_errors_name_the_films_position_and_id(client: TestClient) -> None:
    """The 409s and the 404 named the film id alone, where the 422s name ``films[i]``; the
    CLI names the slate file's lines (tests/cli/test_slate_titles.py)."""
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"films": [{"film_id": "00003"}, {"film_id": "nope"}]}, 404,
         "unknown film_id 'nope' (films[1])"),
        ({"films": [{"film_id": "00003"}, {"film_id": "00002"}, {"film_id": "00003"}]}, 409,
         "film_id '00003' appears twice in the slate (films[0] and films[2])"),
        ({"films": [{"film_id": "00002"}, {"film_id": "00003", "min_screens": 4,
                                           "max_screens": 2}]}, 409,
         "films[1] ('00003'): max_screens 2 is below min_screens 4"),
        ({"films": [{"film_id": "00002"}, {"film_id": "00003", "min_screens": 99}]}, 409,
         "more than the 9 screens available (min_screens: films[1] ('00003'): 99)"),
        ({"films": [{"film_id": "00002", "max_screens": 1}, {"film_id": "00003",
                                                             "max_screens": 2}]}, 409,
         "(max_screens: films[0] ('00002'): 1, films[1] ('00003'): 2)"),
        ({"films": [{"film_id": "00003"}], "cinemas": [
            {"cinema_id": "c1", "screens": 1}, {"cinema_id": "c2", "screens": 1},
            {"cinema_id": "c1", "screens": 2}]}, 409,
         "cinema_id 'c1' appears twice in the body (cinemas[0] and cinemas[2])"),
    ]
    given = [{"cinema_id": c, "screens": n} for c, n in CINEMAS.items()]
    for body, status, words in cases:
        r = _post(client, json.dumps({"cinemas": given, **body}))
        assert r.status_code == status, r.text
        assert words in r.json()["detail"], r.json()["detail"]


def test_a_new_film_in_a_slate_is_told_where_its_breakdown_is(
        client: TestClient, model_dir: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A film with no history (the usual case for films opening together) was refused as an
    unknown id alone, on the CLI and over HTTP, with nothing pointing to the new film's own
    breakdown by place (``--like``/``--genre``, ``POST /distribution/cold-start``)."""
    slate = tmp_path / "newf.csv"
    slate.write_text("film_id\n00003\nmy-new-film\n")
    screens = tmp_path / "screens.csv"
    screens.write_text("cinema_id,screens\n" + "".join(f"{c},{n}\n" for c, n in CINEMAS.items()))
    code, out, err = run(capsys, "distribution", model_dir, "--slate", slate,
                         "--screens-per-cinema", screens)
    assert code == 2 and out == ""
    assert err.startswith(f"error: {slate}, line 3: unknown film_id 'my-new-film'"), err
    told = ("a slate takes films the model knows (viewers in its training log); for a new "
            "film, its breakdown by place from comparable films or genres: distribution MODEL "
            "--like FILM_ID --genre GENRE --by cinema, or POST /distribution/cold-start")
    assert told in err, err
    r = _post(client, json.dumps({"films": [{"film_id": "00003"}, {"film_id": "my-new-film"}],
                                  "cinemas": [{"cinema_id": c, "screens": n}
                                              for c, n in CINEMAS.items()]}))
    assert r.status_code == 404, r.text
    assert r.json()["detail"].startswith("unknown film_id 'my-new-film' (films[1])")
    assert told in r.json()["detail"]
    # what it points to answers for that film: its breakdown by cinema from a comparable one
    code, out, err = run(capsys, "distribution", model_dir, "--like", "00003", "--by", "cinema",
                         "--json")
    assert code == 0, err
    assert json.loads(out)["by"] == "cinema"
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    words = schema["SlateScreensRequest"]["properties"]["films"]["description"]
    assert "a film the model knows" in words and "/distribution/cold-start" in words


def test_a_minimum_no_finite_factor_meets_has_its_true_objective() -> None:
    """A film whose minimum is every screen where it has demand needs an infinite demand
    factor: the fitting stopped short of it (the objective read 1.26 for a true 0 on the
    demo), and near it (a minimum one screen short read 0.26 off its bound)."""
    rng = np.random.default_rng(7)
    demand = rng.gamma(1.0, 3.0, size=(30, 3)) + 0.01
    screens = rng.integers(1, 8, size=30)
    total = int(screens.sum())
    hi = np.full(3, np.inf)
    for lo0 in (total, total - 1, total - 3):
        lo = np.array([lo0, 0, 0], np.int64)
        w = _weights(demand, screens, lo, hi)
        target = _targets(demand, screens, w)
        assert target.sum(axis=0)[0] == pytest.approx(lo0, abs=1e-8)  # the bound, met
        assert np.allclose(target.sum(axis=1), screens)
        x = solve(demand, screens, lo, hi, w)
        objective = float(np.abs(x - target).sum())
        assert objective == pytest.approx(absolute_value_milp(target, screens, lo, hi),
                                          abs=1e-6)
        if lo0 == total:  # plan_slate's objective, rounded to 6 digits, reads 0
            assert round(objective, 6) == 0.0


def test_a_slate_favouring_the_top_films_is_the_exact_optimum() -> None:
    """With few screens per cinema and films ranked alike everywhere, each cinema's screens
    go to its largest targets: the top films take more than their proportional totals and a
    film in demand everywhere can get none. That is the least total deviation (the README's
    objective scores each cinema and film), checked against the textbook integer programme."""
    rng = np.random.default_rng(3)
    rank = np.linspace(3.0, 1.0, 10)
    demand = rank[None, :] * rng.uniform(0.9, 1.1, size=(40, 10))
    screens = np.full(40, 3)
    lo, hi = np.zeros(10, np.int64), np.full(10, np.inf)
    x = solve(demand, screens, lo, hi)
    target = _targets(demand, screens)
    assert float(np.abs(x - target).sum()) == pytest.approx(
        absolute_value_milp(target, screens, lo, hi), abs=1e-6)
    proportional = target.sum(axis=0)
    assert x[:, 0].sum() > proportional[0] + 10  # the top film: a screen nearly everywhere
    assert x[:, -1].sum() == 0 and proportional[-1] > 5  # in demand, and none


def test_the_pooled_rows_screens_are_said_to_be_one_block() -> None:
    m = synthetic_model(n_users=400, n_films=20, seed=3)
    sizes = [150, 150, 40, 30, 20, 10]
    m.user_table.attributes["cinema"] = np.repeat(
        [f"c{i}" for i in range(len(sizes))], sizes).astype(str)
    body = demand_by_place(m, str(m.films.ids[0]), "cinema", 40, min_cell=120)
    other = next(r for r in body["places"] if r["place"] == "other")
    assert other["screens"] > 0 and body["merged_places"] > 1
    assert body["screens"]["note"] == (
        f"the {other['screens']} screens of 'other' are for the {body['merged_places']} "
        "cinemas it pools together, "
        "one block: the breakdown does not share them among those places (by each one's "
        "demand they would show what the pool hides)")
    assert demand_by_place(m, str(m.films.ids[0]), "cinema", 40, min_cell=1)["screens"][
        "note"] is None


def test_one_screen_of_the_pooled_row_is_said_in_the_singular() -> None:
    """"the 1 screen of 'other' are for the 3 cities": one screen is for them."""
    m = synthetic_model(n_users=400, n_films=20, seed=3)
    sizes = [150, 150, 40, 30, 20, 10]
    m.user_table.attributes["cinema"] = np.repeat(
        [f"c{i}" for i in range(len(sizes))], sizes).astype(str)
    notes = [demand_by_place(m, str(m.films.ids[0]), "cinema", n, min_cell=120)["screens"]
             for n in range(1, 12)]
    one = [s["note"] for s in notes if s["note"] and s["note"].startswith("the 1 screen ")]
    assert one and all(n.startswith("the 1 screen of 'other' is for the ") for n in one)
