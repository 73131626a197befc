"""A users file's email column (one user each) and a region of 3 users: ``GET /users/attributes``
(``recommender attributes``), the schema's filter pattern and a filter's refusals name no value
held by fewer than the minimum cell size, and say how many they leave out; a filter still takes
such a value typed exactly. They listed every email in full (a walkthrough's 563 of them).

Oracle: pandas over the users.csv the model was trained with (each value's users counted there),
not the library's attribute arrays.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from helpers import make_demo, run_cli
from service_fixtures import trained_model_and_client

from recommender.model.model import Model
from service.app import create_app
from service.settings import Settings

MIN_CELL = 10


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = make_demo(tmp_path_factory.mktemp("emails") / "data", n_users=300, n_films=60,
                     n_interactions=4_000)
    users = pd.read_csv(data / "users.csv", dtype=str, keep_default_na=False)
    users["email"] = [f"viewer{i}@example.com" for i in range(len(users))]
    users.loc[users.index[:3], "region"] = "Islands"  # 3 users: under the minimum cell
    users.loc[users.index[3:5], "region"] = "Fjords"  # 2 users
    users.to_csv(data / "users.csv", index=False)
    return data


model_dir, model, client = trained_model_and_client("emails", min_cell=MIN_CELL)


def _counts(folder: Path, model: Model, column: str) -> pd.Series:
    """Each value's users among the model's users, by pandas over users.csv."""
    users = pd.read_csv(folder / "users.csv", dtype=str, keep_default_na=False)
    users = users[users["user_id"].isin(set(model.users.ids.tolist())) & (users[column] != "")]
    return users[column].value_counts()


def test_attributes_list_only_values_of_the_minimum_cell_and_count_the_rest(
        folder: Path, model: Model, model_dir: Path, client: TestClient,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", str(MIN_CELL))
    http = client.get("/users/attributes").json()
    code, out, err = run_cli(capsys, "attributes", model_dir, "--json")
    assert code == 0, err
    cli = json.loads(out)
    for body in (http, cli):
        for column in ("email", "region", "gender", "occupation"):
            counts = _counts(folder, model, column)
            big, rare = counts[counts >= MIN_CELL], counts[counts < MIN_CELL]
            assert sorted(body["attributes"][column]) == sorted(big.index), column
            # always the count: a null for fewer than the minimum cell guarded nothing,
            # as the listed values' filtered totals give it (below)
            assert body["hidden_values"][column] == {
                "values": len(rare), "users": int(rare.sum())}, column
        assert body["attributes"]["email"] == []
        assert body["hidden_values"]["region"] == {"values": 2, "users": 5}  # 3 + 2 users
    # what a read-key holder works out anyway: the users less those without a value and the
    # listed values' filtered totals (exclude_seen=false counts every user)
    film = str(model.films.ids[0])
    for column in ("region", "gender", "occupation"):
        listed = sum(client.get(f"/films/{film}/audience", params={
            "k": 1, "exclude_seen": "false", "filter": f"{column}={value}"}).json()["total"]
            for value in http["attributes"][column])
        blank = http["without_value"][column]
        assert blank is not None, column
        assert model.n_users - blank - listed == http["hidden_values"][column]["users"], column
    code, out, err = run_cli(capsys, "attributes", model_dir)
    assert code == 0, err
    assert "example.com" not in out and "Islands" not in out and "Fjords" not in out
    assert f"hidden: {model.n_users} email values ({model.n_users} users in all), each of " \
           f"fewer than {MIN_CELL} users" in out
    assert "hidden: 2 region values (5 users in all)" in out


def test_filters_take_a_hidden_value_typed_exactly_and_name_none(
        model: Model, model_dir: Path, client: TestClient, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", str(MIN_CELL))
    film = str(model.films.ids[0])
    base = {"k": model.n_users, "exclude_seen": "false"}
    # typed exactly: the cut of its users, as before (a key holder lists them anyway)
    for value, users in (("email=viewer7@example.com", 1), ("region=Islands", 3)):
        r = client.get(f"/films/{film}/audience", params={**base, "filter": value})
        assert r.status_code == 200, r.text
        assert r.json()["total"] == users
    # a near miss, another case, or (no value) where every user has one: refused, naming none
    for value in ("email=viewer7@example.con", "email=VIEWER7@example.com", "region=islands",
                  "region=Island", "email=(no value)"):
        r = client.get(f"/films/{film}/audience", params={**base, "filter": value})
        assert r.status_code == 422, value
        said = r.json()["detail"]
        code, _, err = run_cli(capsys, "audience", model_dir, film, "--filter", value)
        assert code == 2 and said in err, (value, err)
        assert not re.search(r"viewer\d+@example\.com|Islands|Fjords", said), said
        assert "held by fewer than 10 users each are not listed" in said, said
    # the schema's filter pattern lists the shown values only
    patterns = set(re.findall(r'"pattern": ("(?:[^"\\]|\\.)*")',
                              json.dumps(client.get("/openapi.json").json())))
    found = [p for p in map(json.loads, patterns)  # the filter's: it knows the values
             if re.fullmatch(p, "region=North") and not re.fullmatch(p, "region=Nowhere")]
    assert found
    for pattern in found:
        for value in ("region=Islands", "region=Fjords", "email=viewer7@example.com"):
            assert not re.fullmatch(pattern, value), value


def test_filters_read_the_servers_minimum_cell_not_the_environment(
        model: Model, model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server's min_cell (Settings, 3) with RECOMMENDER_MIN_CELL unset (10): GET
    /users/attributes listed the region of 3 users, while a filter read 10 from the
    environment and refused that region in another case and left it out of the valid ones."""
    monkeypatch.delenv("RECOMMENDER_MIN_CELL", raising=False)
    settings = Settings(model_path=str(model_dir), warm_cache=False, min_cell=3)
    film = str(model.films.ids[0])
    base = {"k": model.n_users, "exclude_seen": "false"}
    with TestClient(create_app(settings)) as c:
        assert "Islands" in c.get("/users/attributes").json()["attributes"]["region"]
        for path in (f"/films/{film}/audience", f"/films/{film}/audience.csv"):
            r = c.get(path, params={**base, "filter": "region=islands"})  # listed: any case
            assert r.status_code == 200, r.text
        assert c.get(f"/films/{film}/audience", params={
            **base, "filter": "REGION=islands"}).json()["total"] == 3
        said = c.get(f"/films/{film}/audience", params={
            **base, "filter": "region=Nowhere"}).json()["detail"]
        assert "Islands" in said and "Fjords" not in said, said
        assert "1 value held by fewer than 3 users each is not listed (2 users in all" in said
