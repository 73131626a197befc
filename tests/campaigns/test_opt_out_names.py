"""Opt-outs that name no user of the model are named in the plan's summary (the first 100),
not only counted: the CLI warned of them on stderr, while an HTTP caller read a count and
could not tell which person it meant stayed in the plan (a case, a space, a JSON number)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.campaigns.plan import SHOWN_UNKNOWN_OPT_OUTS, plan_slate
from recommender.campaigns.slate import SlateFilm
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("opt-out-names") / "model")


@pytest.fixture()
def client(model_dir: Path, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "store.db"),
                        warm_cache=False)
    with TestClient(create_app(settings)) as c:
        yield c


def test_unknown_opt_outs_are_named_over_http_first_plan_and_next(client: TestClient) -> None:
    r = client.post("/campaigns/plan", json={
        "films": [{"film_id": "00003", "budget": 20}], "waves": 2,
        "exclude_user_ids": ["u0", " u2", "U3", 987654, "u0"]})
    assert r.status_code == 200, r.text
    params = r.json()["summary"]["parameters"]
    assert params["excluded_unknown_users"] == 3
    assert params["excluded_unknown_user_ids"] == [" u2", "U3", "987654"]
    shown = client.get(f"/campaigns/{r.json()['plan_id']}").json()["summary"]["parameters"]
    assert shown["excluded_unknown_user_ids"] == [" u2", "U3", "987654"]
    nxt = client.post(f"/campaigns/{r.json()['plan_id']}/next",
                      json={"sent_waves": 1, "exclude_user_ids": ["u4", "u 5"]})
    assert nxt.status_code == 200, nxt.text
    params = nxt.json()["summary"]["parameters"]
    assert params["excluded_unknown_users"] == 4
    assert sorted(params["excluded_unknown_user_ids"]) == [" u2", "987654", "U3", "u 5"]


def test_the_names_stop_at_the_shown_limit(model_dir: Path) -> None:
    model = artifact.load(model_dir)
    many = [f"nobody-{i}" for i in range(SHOWN_UNKNOWN_OPT_OUTS + 5)]
    plan = plan_slate(model, [SlateFilm("00003", 5)], exclude=["u0", *many], progress=False)
    params = plan.summary["parameters"]
    assert params["excluded_unknown_users"] == len(many)
    assert params["excluded_unknown_user_ids"] == many[:SHOWN_UNKNOWN_OPT_OUTS]
