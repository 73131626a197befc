"""A service on a campaign store drops a user ``recommender forget`` erased at its next poll:
their audience rows go, their recommendations answer 404 saying so. Oracle: the audience the
service answered before, less that user. The poller is driven by hand (``events_poll=0``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from recommender.cli import main
from recommender.io import demo
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("forget-served")
    folder = demo.generate(tmp / "data", seed=5, n_users=150, n_films=40, n_interactions=1200)
    assert main(["train", "--data", str(folder), "--out", str(tmp / "m"), "--no-tune",
                 "--factors", "8", "--iterations", "3"]) == 0
    return tmp / "m"


def test_the_served_model_drops_an_erased_user_at_the_next_poll(model: Path,
                                                                tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    settings = Settings(model_path=str(model), store=str(store), events_poll=0,
                        warm_cache=False, watch_interval=0)
    with TestClient(create_app(settings)) as client:
        film = client.get("/films?limit=1").json()["films"][0]["film_id"]

        def audience() -> list[tuple[str, float]]:
            got = client.get(f"/films/{film}/audience?k=150")
            assert got.status_code == 200, got.text
            return [(u["user_id"], u["score"]) for u in got.json()["users"]]

        before = audience()
        user = before[0][0]
        assert client.get(f"/users/{user}/recommendations").status_code == 200
        assert main(["forget", "--store", str(store), "--user", user]) == 0
        sync = client.app.state.events_sync  # type: ignore[attr-defined]
        assert sync.poll() is True
        assert audience() == [(u, s) for u, s in before if u != user]
        gone = client.get(f"/users/{user}/recommendations")
        assert gone.status_code == 404 and "erased" in gone.text
        assert sync.poll() is False  # nothing new: the engine stays


def test_admin_forget_takes_the_admin_key_and_erases(model: Path, tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    key = "k" * 32
    settings = Settings(model_path=str(model), store=str(store), events_poll=0,
                        warm_cache=False, watch_interval=0, admin_key=key)
    with TestClient(create_app(settings)) as client:
        film = client.get("/films?limit=1").json()["films"][0]["film_id"]
        user = client.get(f"/films/{film}/audience?k=1").json()["users"][0]["user_id"]
        body = {"user_ids": [user, "nobody"]}
        assert client.post("/admin/forget", json=body).status_code == 401
        auth = {"Authorization": f"Bearer {key}"}
        assert client.post("/admin/forget", json={"user_ids": ["  "]},
                           headers=auth).status_code == 422
        assert client.post("/admin/forget", json={"user_ids": []}, headers=auth
                           ).status_code == 422
        assert client.post("/admin/forget", content=b'{"user_ids": ["x"]}', headers={
            **auth, "content-type": "text/plain"}).status_code == 415
        got = client.post("/admin/forget", json=body, headers=auth)
        assert got.status_code == 200, got.text
        assert got.json()["users"] == [
            {"user_id": user, "events": 0, "plan_rows": 0, "opt_outs": 0, "already": False},
            {"user_id": "nobody", "events": 0, "plan_rows": 0, "opt_outs": 0,
             "already": False}]
        # no poll between (events_poll=0: none runs): the answering worker rebuilt already
        left = client.get(f"/films/{film}/audience?k=150").json()["users"]
        assert user not in {u["user_id"] for u in left}
        assert "left them out before this answer" in got.json()["note"]
        again = client.post("/admin/forget", json=body, headers=auth).json()["users"]
        assert [u["already"] for u in again] == [True, True]
