"""``ATTRIBUTE=(no value)``: the users without a value of an attribute (an empty cell of
users.csv, or no row there at all), on the CLI's ``--filter`` and HTTP's ``filter=`` alike;
``region=`` stays an error that names the spelling.

Oracle: pandas over the users.csv the model was trained with (the model's users whose row has
no region, or who have no row), not the library's attribute arrays.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from helpers import make_demo, run_cli, synthetic_model
from service_fixtures import trained_model_and_client

from recommender.model.model import Model
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = make_demo(tmp_path_factory.mktemp("novalue") / "data", n_users=300, n_films=60,
                     n_interactions=4_000)
    users = pd.read_csv(data / "users.csv", dtype=str, keep_default_na=False)
    users.loc[users.index % 7 == 3, "region"] = ""  # an empty cell
    users = users[users.index % 11 != 5]  # no row at all
    users.to_csv(data / "users.csv", index=False)
    return data


model_dir, model, client = trained_model_and_client("novalue")


def _oracle(folder: Path, model: Model) -> set[str]:
    """The model's users without a region by pandas over users.csv."""
    users = pd.read_csv(folder / "users.csv", dtype=str)  # an empty cell is NaN
    with_region = set(users.loc[users["region"].notna(), "user_id"])
    return {u for u in model.users.ids.tolist() if u not in with_region}


def test_no_value_selects_the_users_without_one_on_both_surfaces(
        folder: Path, model: Model, model_dir: Path, client: TestClient,
        capsys: pytest.CaptureFixture[str]) -> None:
    want = _oracle(folder, model)
    assert 0 < len(want) < model.n_users
    film = str(model.films.ids[0])
    k = model.n_users
    for spelling in ("(no value)", " (No Value) "):
        code, out, err = run_cli(capsys, "audience", model_dir, film, "--k", k, "--json",
                                 "--include-seen", "--filter", f"region={spelling}")
        assert code == 0, err
        cli = json.loads(out)
        r = client.get(f"/films/{film}/audience", params={
            "k": k, "exclude_seen": "false", "filter": f"REGION={spelling}"})
        assert r.status_code == 200, r.text
        for body in (cli, r.json()):
            assert {u["user_id"] for u in body["users"]} == want
            assert body["total"] == len(want)
    # the download names its cut as the filter is spelt, not as 'region='
    r = client.get(f"/films/{film}/audience.csv", params={"filter": "region=(no value)"})
    assert r.status_code == 200 and "_region_no_value_" in r.headers["content-disposition"]
    # alternatives: the users without a region or of one region
    north = set(pd.read_csv(folder / "users.csv", dtype=str).query("region == 'North'")
                ["user_id"]) & set(model.users.ids.tolist())
    r = client.get(f"/films/{film}/audience", params=[
        ("k", k), ("exclude_seen", "false"), ("filter", "region=north"),
        ("filter", "region=(no value)")])
    assert {u["user_id"] for u in r.json()["users"]} == want | north and north


def test_an_empty_value_is_refused_naming_the_spelling(
        model: Model, model_dir: Path, client: TestClient,
        capsys: pytest.CaptureFixture[str]) -> None:
    film = str(model.films.ids[0])
    code, _, err = run_cli(capsys, "audience", model_dir, film, "--filter", "region=")
    r = client.get(f"/films/{film}/audience", params={"filter": "region="})
    assert code == 2 and r.status_code == 422
    for said, option in ((err, "--filter"), (r.json()["detail"], "filter")):
        assert f"{option} expects ATTRIBUTE=VALUE, got 'region='" in said
        assert "give region=(no value)" in said
    # a misspelt value lists (no value) beside the values
    r = client.get(f"/films/{film}/audience", params={"filter": "region=Nrth"})
    assert r.status_code == 422
    assert re.search(r"valid values of 'region' are: .*North.*; and \(no value\) for the "
                     "users without one", r.json()["detail"])


def test_no_value_where_every_user_has_one_is_refused() -> None:
    from recommender.errors import InvalidParameterError
    from recommender.query.filters import resolve_filters

    full = synthetic_model(n_users=60, n_films=10, seed=2)  # every user has a region
    assert (np.asarray(full.user_table.attributes["region"]) != "").all()
    with pytest.raises(InvalidParameterError, match=re.escape(
            "every user has a value of 'region', so region=(no value) selects nobody; valid "
            "values of 'region' are: ")):
        resolve_filters(full, {"region": "(no value)"})


def test_a_value_spelt_no_value_is_ambiguous(model: Model) -> None:
    from recommender.errors import InvalidParameterError
    from recommender.query.filters import resolve_filters

    region = np.asarray(model.user_table.attributes["region"]).copy()
    old = model.user_table.attributes["region"]
    model.user_table.attributes["region"] = np.where(region == "North", "(No value)", region)
    try:
        with pytest.raises(InvalidParameterError, match="'\\(no value\\)' for user attribute "
                                                         "'region' is ambiguous"):
            resolve_filters(model, {"region": ["(no value)"]})
    finally:
        model.user_table.attributes["region"] = old


def test_the_schema_pattern_takes_no_value(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    params = schema["paths"]["/films/{film_id}/audience"]["get"]["parameters"]
    pattern = next(p for p in params if p["name"] == "filter")["schema"]["items"]["pattern"]
    assert re.fullmatch(pattern, "region=(no value)") and re.fullmatch(pattern,
                                                                         "Region=(No Value)")


@pytest.mark.parametrize("min_cell", [1, 10_000])
def test_no_value_beside_pseudonyms_passes_the_privacy_check(
        folder: Path, model: Model, model_dir: Path, min_cell: int) -> None:
    """A pseudonymised page cut by region=(no value) is checked as any cut is: the filter's
    class is the users without a region (the privacy check resolved the resolved cut again,
    and its "" was an unknown value: every such page was refused, at any minimum cell)."""
    from recommender.errors import InvalidParameterError
    from recommender.query.filters import candidate_mask, resolve_filters
    from recommender.query.linkable import check_filtered

    want = _oracle(folder, model)
    cut = resolve_filters(model, {"region": "(no value)"})
    assert resolve_filters(model, cut) == cut
    mask = candidate_mask(model, None, cut)
    assert mask is not None and set(model.users.ids[mask].tolist()) == want
    users = np.flatnonzero(mask)
    if min_cell <= len(want):
        check_filtered(model, cut, (), users, min_cell)
    else:
        with pytest.raises(InvalidParameterError, match="share the region the rows are "
                                                        "filtered by with fewer than 10000"):
            check_filtered(model, cut, (), users, min_cell)
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False,
                                        pseudonym_key="k" * 32, min_cell=min_cell))) as c:
        r = c.get(f"/films/{model.films.ids[0]}/audience", params={
            "k": model.n_users, "exclude_seen": "false", "filter": "region=(no value)",
            "pseudonymize": "true"})
    if min_cell <= len(want):
        assert r.status_code == 200, r.text
        assert r.json()["total"] == len(want)
    else:
        assert r.status_code == 422 and "fewer than 10000 users" in r.json()["detail"]


def _without(folder: Path, model: Model, attribute: str) -> set[str]:
    """The model's users without a value of ``attribute`` by pandas over users.csv."""
    users = pd.read_csv(folder / "users.csv", dtype=str)
    having = set(users.loc[users[attribute].notna(), "user_id"])
    return {u for u in model.users.ids.tolist() if u not in having}


def test_the_attributes_answer_counts_the_users_without_a_value(
        folder: Path, model: Model, model_dir: Path, client: TestClient,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """``GET /users/attributes`` (and ``attributes``) say how many users each attribute
    leaves without a value: the users ``ATTRIBUTE=(no value)`` lists (it listed the values
    alone, so no reader, the Studio's filter menu included, could tell that such users
    exist). Its existing fields are unchanged."""
    body = client.get("/users/attributes").json()
    # users.csv's columns (the model derives age_band from age besides)
    attributes = sorted(pd.read_csv(folder / "users.csv", dtype=str).columns.drop("user_id"))
    assert list(body["attributes"]) == list(body["without_value"])
    assert set(attributes) < set(body["attributes"])
    assert body["min_cell"] == 10
    film = str(model.films.ids[0])
    for name in attributes:
        want = _without(folder, model, name)
        assert 10 <= len(want) <= model.n_users - 10, name  # shown at the default min cell
        assert body["without_value"][name] == len(want), name
        r = client.get(f"/films/{film}/audience", params={
            "k": 1, "exclude_seen": "false", "filter": f"{name}=(no value)"})
        assert r.status_code == 200 and r.json()["total"] == len(want), r.text
        assert "" not in body["attributes"][name]
    # the CLI: --json is the body byte for byte; its table has a column of the counts
    code, out, err = run_cli(capsys, "attributes", model_dir, "--json")
    assert code == 0 and out == client.get("/users/attributes").content.decode() + "\n", err
    code, out, err = run_cli(capsys, "attributes", model_dir)
    assert code == 0, err
    assert "users without a value" in out.splitlines()[0]
    for name in attributes:
        row = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert row.rstrip().endswith(f"{len(_without(folder, model, name)):,} users"), row
    assert "--filter 'ATTRIBUTE=(no value)' lists them" in out
    # a count under the minimum cell is hidden
    region = len(_without(folder, model, "region"))
    for cell, hidden in ((region, False), (region + 1, True)):
        with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False,
                                            min_cell=cell))) as c:
            got = c.get("/users/attributes").json()
        assert got["min_cell"] == cell
        assert got["without_value"]["region"] == (None if hidden else region), cell
        monkeypatch.setenv("RECOMMENDER_MIN_CELL", str(cell))
        code, out, err = run_cli(capsys, "attributes", model_dir)
        row = next(line for line in out.splitlines() if line.startswith("region "))
        assert row.rstrip().endswith("hidden" if hidden else f"{region:,} users"), row
        assert (f"hidden: fewer than {cell:,} users have no value, or fewer than {cell:,} "
                "have one" in out) == (None in got["without_value"].values())


def test_every_user_with_a_value_counts_zero() -> None:
    """0 users without a value is shown at any minimum cell: an empty cell names nobody, and
    every user with a value is the model's published user count."""
    from recommender.query.attribute_values import user_attributes

    full = synthetic_model(n_users=60, n_films=10, seed=2)
    columns = full.user_table.attributes
    assert all((np.asarray(v) != "").all() for v in columns.values())
    body = user_attributes(full, min_cell=1_000)
    assert body["without_value"] == dict.fromkeys(sorted(columns), 0)
    assert body["min_cell"] == 1_000


@pytest.mark.parametrize("min_cell", [1, 2, 3, 4, 5, 6, 7, 9])
def test_few_users_with_a_value_hide_the_count_too(min_cell: int) -> None:
    """The model's user count is published (``/health``): a count without a value that
    leaves 1 to min_cell - 1 users with one gives their number away, and is hidden too.
    A count of 0 or of every user is shown (the user count is published). Oracle: the
    columns as written here."""
    from recommender.query.attribute_values import user_attributes

    model = synthetic_model(n_users=8, n_films=5, seed=4)
    columns = {"few": np.array(["", "", "a", "", "", "", "", "b"]),      # 6 without, 2 with
               "many": np.array(["a", "", "b", "a", "c", "", "a", "b"]),  # 2 without, 6 with
               "none": np.array([""] * 8)}                                # 8 without, 0 with
    model.user_table.attributes = columns
    got = user_attributes(model, min_cell=min_cell)["without_value"]
    for name, column in columns.items():
        without = int((column == "").sum())
        small = [n for n in (without, len(column) - without) if 0 < n < min_cell]
        assert got[name] == (None if small and 0 < without < len(column) else without), \
            (name, min_cell)
    assert got["none"] == 8


@pytest.mark.parametrize("trained", [0, 3, 9, 10, 30])
def test_trained_users_without_a_value_stay_hidden_beside_new_users(trained: int) -> None:
    """Users new from campaign events have no value, and their number is published (GET
    /health's ``store_events.new_users``): 12 of them beside 3 trained users without a region
    showed 15, so 3 to anyone who reads /health. Hidden while the trained users without a
    value are some but fewer than min_cell, as ``users_without_place`` hides their viewers;
    shown when they are none or enough. Oracle: the region column as written here and the
    12 ids applied."""
    from recommender.query.attribute_values import user_attributes
    from recommender.serving.overlay import Overlay

    model = synthetic_model(n_users=120, n_films=8, seed=4)
    region = np.where(np.arange(120) < 60, "North", "South")
    region[:trained] = ""
    model.user_table.attributes = {"region": region}
    overlay = Overlay(model)
    film = str(model.films.ids[0])
    overlay.apply(np.array([f"new{i}" for i in range(12)]), np.full(12, film), np.ones(12), 1)
    served = overlay.model()
    assert served.n_users == 132
    got = user_attributes(served, min_cell=10)["without_value"]["region"]
    assert got == (None if 0 < trained < 10 else trained + 12), trained
