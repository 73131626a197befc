"""A service on a campaign store drops a user ``recommender forget`` erased at its next poll:
their audience rows go, their recommendations answer 404 as for an id never known. Oracle:
the audience the service answered before, less that user. The poller is driven by hand
(``events_poll=0``)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.store import open_store
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
        # as of an id never known: only the admin key is told it was erased (the server has
        # none: tests/service/test_erased_words.py)
        assert gone.status_code == 404 and gone.json() == {"detail": f"unknown user_id {user!r}"}
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
        none = {"events": 0, "plan_rows": 0, "opt_outs": 0, "plan_summaries": 0,
                "idempotency_keys": 0, "already": False, "did_you_mean": []}
        assert got.json()["users"] == [{"user_id": user, **none}, {"user_id": "nobody", **none}]
        # no poll between (events_poll=0: none runs): the answering worker rebuilt already
        left = client.get(f"/films/{film}/audience?k=150").json()["users"]
        assert user not in {u["user_id"] for u in left}
        assert "left them out before this answer" in got.json()["note"]
        again = client.post("/admin/forget", json=body, headers=auth).json()["users"]
        assert [u["already"] for u in again] == [True, True]


def test_admin_forget_counts_the_summaries_and_keys_rewritten(model: Path,
                                                             tmp_path: Path) -> None:
    """Oracle: the store's plan summary and key read back with ``sqlite3``."""
    store = tmp_path / "s.db"
    st = open_store(str(store))
    st.save_plan("plan-x", {"created": "2024-01-01T00:00:00Z", "model_version": "m",
                            "films": [], "parameters": {"excluded_unknown_user_ids": ["gone-1"]}},
                 PLAN_SCHEMA.empty_table(), excluded=["gone-1"],
                 key=("key-gone-1", "0" * 64))
    st.close()
    key = "k" * 32
    settings = Settings(model_path=str(model), store=str(store), events_poll=0,
                        warm_cache=False, watch_interval=0, admin_key=key)
    with TestClient(create_app(settings)) as client:
        got = client.post("/admin/forget", json={"user_ids": ["gone-1"]},
                          headers={"Authorization": f"Bearer {key}"})
        assert got.status_code == 200, got.text
        [user] = got.json()["users"]
    con = sqlite3.connect(store)
    try:
        keys = [k for (k,) in con.execute("SELECT key FROM campaign_idempotency")]
        [(text,)] = list(con.execute("SELECT summary FROM campaign_plans"))
    finally:
        con.close()
    assert "key-gone-1" not in keys and keys[0].startswith("erased-") and "gone-1" not in text
    assert (user["plan_summaries"], user["idempotency_keys"], user["opt_outs"]) == (1, 1, 1)


def test_post_events_stores_nothing_of_an_erased_user(model: Path, tmp_path: Path) -> None:
    """A batch naming a user ``recommender forget`` erased: their events are counted in
    erased_events, stored nowhere (oracle: ``sqlite3``, and the digest computed here from the
    store's salt), the others stored; the same batch again answers the same."""
    store = tmp_path / "s.db"
    gone = "person-7"
    open_store(str(store)).close()
    assert main(["forget", "--store", str(store), "--user", gone]) == 0
    con = sqlite3.connect(store)
    try:
        salt = bytes.fromhex(con.execute("SELECT value FROM campaign_store_info WHERE key = "
                                         "'erasure_salt'").fetchone()[0])
        digests = [d for (d,) in con.execute("SELECT digest FROM campaign_erasures")]
    finally:
        con.close()
    assert digests == [hashlib.sha256(salt + gone.encode()).hexdigest()]
    settings = Settings(model_path=str(model), store=str(store), events_poll=0,
                        warm_cache=False, watch_interval=0)
    with TestClient(create_app(settings)) as client:
        film = client.get("/films?limit=1").json()["films"][0]["film_id"]
        events = [{"event_id": f"e{n}", "user_id": u, "film_id": film,
                   "timestamp": 1_700_000_000 + n} for n, u in
                  enumerate([gone, "new-person", gone, gone + "x"])]
        answers = [client.post("/events", json={"events": events}) for _ in range(2)]
    assert answers[0].status_code == 200, answers[0].text
    con = sqlite3.connect(store)
    try:
        users = sorted(u for (u,) in con.execute("SELECT user_id FROM campaign_events"))
        seq = con.execute("SELECT MAX(seq) FROM campaign_events").fetchone()[0]
    finally:
        con.close()
    assert users == sorted(["new-person", gone + "x"])  # a substring is not the person
    first, again = (a.json() for a in answers)
    assert (first["stored"], first["duplicates"], first["erased_events"]) == (2, 0, 2)
    assert (again["stored"], again["duplicates"], again["erased_events"]) == (0, 2, 2)
    assert seq == again["sequence"] == 2  # no sequence number drawn for them
    assert gone + '"' not in answers[0].text and gone + '"' not in answers[1].text
