"""A refusal for a configured bound names the variable that sets it, as the 413 names
RECOMMENDER_MAX_BODY_BYTES: a ``k`` over RECOMMENDER_MAX_K (every page route), a search
``limit`` over RECOMMENDER_MAX_SEARCH_LIMIT and a seed list over RECOMMENDER_MAX_SEED_USERS are
422s in the shape of every other (``detail`` and ``errors``, the parameter's place named); a
busy 503 names RECOMMENDER_MAX_IN_FLIGHT and a body's 408 RECOMMENDER_TIMEOUT_REQUEST_BODY."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, MutableMapping
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model
from starlette.types import Receive, Scope, Send

from service.app import create_app
from service.limits import Limits
from service.settings import Settings

MAX_K, MAX_LIMIT, MAX_SEEDS = 7, 9, 3


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path = save_model(tmp_path_factory.mktemp("bounds") / "model", seed=4)
    settings = Settings(model_path=str(path), warm_cache=False, watch_interval=0,
                        max_k=MAX_K, max_search_limit=MAX_LIMIT, max_seed_users=MAX_SEEDS)
    with TestClient(create_app(settings)) as c:
        yield c


def _said(r: Any, where: str, name: str, sentence: str) -> None:
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["detail"] == f"{where} '{name}': {sentence}"
    assert [e["loc"] for e in body["errors"]] == [[where.split()[0], name]]
    assert body["errors"][0]["msg"] == body["detail"]


@pytest.mark.parametrize("path", ["/films/00004/audience", "/films/00004/audience.csv",
                                  "/films/00004/similar", "/users/u3/recommendations"])
def test_a_page_over_max_k_names_the_variable(client: TestClient, path: str) -> None:
    assert client.get(path, params={"k": MAX_K}).status_code == 200
    _said(client.get(path, params={"k": MAX_K + 1}), "query parameter", "k",
          f"should be at most {MAX_K} (the largest page, RECOMMENDER_MAX_K), got {MAX_K + 1}")


def test_a_body_k_over_max_k_names_the_variable(client: TestClient) -> None:
    r = client.post("/audiences/lookalike", json={"seed_user_ids": ["u2"], "k": MAX_K + 1})
    _said(r, "body field", "k",
          f"should be at most {MAX_K} (the largest page, RECOMMENDER_MAX_K), got {MAX_K + 1}")
    r = client.post("/audiences/cold-start", json={"genres": ["G1"], "k": MAX_K + 1})
    _said(r, "body field", "k",
          f"should be at most {MAX_K} (the largest page, RECOMMENDER_MAX_K), got {MAX_K + 1}")


def test_a_search_limit_over_the_setting_names_the_variable(client: TestClient) -> None:
    assert client.get("/films", params={"limit": MAX_LIMIT}).status_code == 200
    _said(client.get("/films", params={"limit": MAX_LIMIT + 1}), "query parameter", "limit",
          f"should be at most {MAX_LIMIT} (the largest search page, "
          f"RECOMMENDER_MAX_SEARCH_LIMIT), got {MAX_LIMIT + 1}")


def test_too_many_seeds_names_the_variable(client: TestClient) -> None:
    seeds = ["u1", "u2", "u3", "u4"]
    assert client.post("/audiences/lookalike", json={"seed_user_ids": seeds[:3], "k": 5}
                       ).status_code == 200
    r = client.post("/audiences/lookalike", json={"seed_user_ids": seeds, "k": 5})
    _said(r, "body field", "seed_user_ids",
          f"should hold at most {MAX_SEEDS} ids (the longest seed list, "
          "RECOMMENDER_MAX_SEED_USERS), got 4")


async def _app(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()  # reads the body, as a route does
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def _call(limits: Limits, receive: Receive) -> bytes:
    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/audiences/lookalike",
             "root_path": "", "query_string": b"", "headers": []}

    async def run() -> None:
        try:
            await limits(scope, receive, send)
        except Exception as e:  # the 408, which the app's handler would answer
            sent.append({"type": "error", "body": str(getattr(e, "detail", e)).encode()})

    asyncio.run(run())
    return b"".join(m.get("body", b"") for m in sent)


def test_the_busy_503_names_its_variable() -> None:
    limits = Limits(_app, max_in_flight=2, max_body_bytes=100, body_timeout=5)
    limits.in_flight = 2

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    assert (b"(2 requests in flight, the limit is 2, RECOMMENDER_MAX_IN_FLIGHT)"
            in _call(limits, receive))


def test_the_body_408_names_its_variable() -> None:
    limits = Limits(_app, max_in_flight=0, max_body_bytes=100, body_timeout=0.05)

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)  # a body that never arrives
        return {}

    said = _call(limits, receive)
    assert b"did not arrive within 0.05 s" in said and b"RECOMMENDER_TIMEOUT_REQUEST_BODY" in said
