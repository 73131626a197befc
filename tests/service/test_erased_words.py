"""An erased id is told apart from a never-known one by the admin key alone: any other caller
(a read key, a write key, no key on an open server) gets the 404 and the lookalike's
``unknown_seed_hints`` of an id the model never held, byte for byte once the id is swapped.
Oracle: the server's own answer for a never-known id, asked in the same request's way."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from recommender.cli import main
from recommender.io import demo
from service.app import create_app
from service.settings import Settings

NEVER = "zz-never-known"
READ, WRITE, ADMIN = "r" * 32, "w" * 32, "a" * 32


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("erased-words")
    folder = demo.generate(tmp / "data", seed=3, n_users=120, n_films=30, n_interactions=900)
    assert main(["train", "--data", str(folder), "--out", str(tmp / "m"), "--no-tune",
                 "--factors", "8", "--iterations", "3"]) == 0
    return tmp / "m"


def _erased_client(model: Path, tmp_path: Path, **keys: str) -> tuple[TestClient, str, str]:
    """A started client on a store where one served user was erased (polled in), that user
    and a live one."""
    store = tmp_path / "s.db"
    client = TestClient(create_app(Settings(model_path=str(model), store=str(store),
                                            events_poll=0, warm_cache=False, watch_interval=0,
                                            **keys)))
    client.__enter__()
    auth = {"X-API-Key": READ} if keys else {}
    film = client.get("/films?limit=1", headers=auth).json()["films"][0]["film_id"]
    users = [u["user_id"] for u in client.get(f"/films/{film}/audience?k=2",
                                              headers=auth).json()["users"]]
    assert main(["forget", "--store", str(store), "--user", users[0]]) == 0
    assert client.app.state.events_sync.poll() is True  # type: ignore[attr-defined]
    return client, users[0], users[1]


def _as_never(body: bytes, user: str) -> bytes:
    return body.replace(user.encode(), NEVER.encode())


def _same_as_never(client: TestClient, headers: dict[str, str], gone: str, live: str) -> None:
    erased = client.get(f"/users/{gone}/recommendations", headers=headers)
    never = client.get(f"/users/{NEVER}/recommendations", headers=headers)
    assert (erased.status_code, never.status_code) == (404, 404)
    assert _as_never(erased.content, gone) == never.content
    assert b"erased" not in erased.content and b"forgotten" not in erased.content
    assert erased.headers["content-type"] == never.headers["content-type"]
    seeds = client.post("/audiences/lookalike", headers=headers,
                        json={"seed_user_ids": [live, gone, NEVER], "k": 5})
    assert seeds.status_code == 200, seeds.text
    hints = seeds.json()["unknown_seed_hints"]
    assert seeds.json()["unknown_seed_ids"] == [gone, NEVER]
    assert hints[0].replace(gone, NEVER) == hints[1] and "erased" not in hints[0]


def test_a_read_or_write_key_cannot_tell_an_erased_id(model: Path, tmp_path: Path) -> None:
    client, gone, live = _erased_client(model, tmp_path, read_keys=READ, write_keys=WRITE,
                                        admin_key=ADMIN)
    try:
        for key in (READ, WRITE):
            _same_as_never(client, {"X-API-Key": key}, gone, live)
        # the admin key (the operator) is told, as the CLI tells it
        said = client.get(f"/users/{gone}/recommendations",
                          headers={"Authorization": f"Bearer {ADMIN}"})
        assert said.status_code == 404 and "erased (right to be forgotten" in said.json()[
            "detail"]
        hint = client.post("/audiences/lookalike", headers={"X-API-Key": ADMIN},
                           json={"seed_user_ids": [live, gone], "k": 5}).json()
        assert "erased" in hint["unknown_seed_hints"][0]
        # a read key beside the admin key is the admin's caller
        both = client.get(f"/users/{gone}/recommendations",
                          headers={"X-API-Key": READ, "Authorization": f"Bearer {ADMIN}"})
        assert both.status_code == 404 and "erased" in both.text
    finally:
        client.__exit__(None, None, None)


def test_an_open_server_says_no_more_than_of_a_never_known_id(model: Path,
                                                               tmp_path: Path) -> None:
    client, gone, live = _erased_client(model, tmp_path)
    try:
        _same_as_never(client, {}, gone, live)
    finally:
        client.__exit__(None, None, None)
