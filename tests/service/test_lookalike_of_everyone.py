"""A lookalike of nobody says why in ``empty``, as a film's audience does (it answered total 0
with ``empty: null``): every user the model knows is a seed, or the ring asked for is empty.
Oracle: the model's own user ids and the tier bounds of the candidates left."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.model import artifact
from recommender.query.audience import tier_bounds
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def client_and_users(tmp_path_factory: pytest.TempPathFactory
                     ) -> Iterator[tuple[TestClient, list[str]]]:
    path = save_model(tmp_path_factory.mktemp("everyone") / "model", seed=5)
    users = [str(u) for u in artifact.load(path).users.ids.tolist()]
    settings = Settings(model_path=str(path), warm_cache=False, watch_interval=0)
    with TestClient(create_app(settings)) as c:
        yield c, users


def test_every_user_a_seed_says_so(client_and_users: tuple[TestClient, list[str]]) -> None:
    client, users = client_and_users
    body = client.post("/audiences/lookalike", json={"seed_user_ids": users}).json()
    assert body["total"] == 0 and body["users"] == []
    assert body["empty"] == ("no candidate: every user the model knows is a seed (the seeds "
                             "are left out)")


def test_an_empty_ring_says_so(client_and_users: tuple[TestClient, list[str]]) -> None:
    client, users = client_and_users
    empty = [name for name, first, last in tier_bounds(1) if last < first]
    assert empty  # one candidate: the core ring holds it, a wider one nobody
    body = client.post("/audiences/lookalike", json={"seed_user_ids": users[1:],
                                                     "tier": empty[0]}).json()
    assert body["total"] == 0
    assert body["empty"] == f"the {empty[0]} ring is empty (the ranking has 1 candidate)"
    whole = client.post("/audiences/lookalike", json={"seed_user_ids": users[1:]}).json()
    assert whole["total"] == 1 and whole["empty"] is None
    assert [u["user_id"] for u in whole["users"]] == users[:1]
