"""The cap's scope: with ``store``, each user's films in the store's other live plans count
against the cap. Oracles: brute force over every assignment of tiny cases under the caps the
stored rows leave (counted here from the rows, not by the store's query); the users of two
plans read back with ``sqlite3``; a withdrawn plan's sent and unsent waves, read from its rows.
The default (``plan``) is unchanged: the same two plans share users."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli, synthetic_model

from recommender.campaigns.controls import plan_beside
from recommender.campaigns.next_wave import plan_next_wave
from recommender.campaigns.plan import plan_slate
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import open_store
from recommender.campaigns.withdraw import withdraw
from recommender.errors import InvalidParameterError, NothingToPlanError, PlansClashError
from recommender.model import artifact
from recommender.model.model import Model
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def model() -> Model:
    return synthetic_model(n_users=300, n_films=10, seed=4)


def users_of(rows: pa.Table, wave: int | None = None) -> set[str]:
    d = rows.to_pydict()
    return {u for u, w in zip(d["user_id"], d["wave"], strict=True) if wave in (None, w)}


def stored_users(db: Path, plan_id: str) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT user_id FROM campaign_plan_rows WHERE "
                                           "plan_id = ?", (plan_id,))}


def films_per_user(rows: pa.Table) -> dict[str, int]:
    d = rows.to_pydict()
    pairs = set(zip(d["user_id"], d["film_id"], strict=True))
    out: dict[str, int] = {}
    for u, _ in pairs:
        out[u] = out.get(u, 0) + 1
    return out


def brute_best(f: np.ndarray, u: np.ndarray, w: np.ndarray, budgets: np.ndarray,
               caps: np.ndarray) -> float:
    """The best total of ``w`` over every subset of the pairs (``f``, ``u``) within the films'
    ``budgets`` and the users' ``caps``."""
    k = len(f)
    masks = ((np.arange(2 ** k)[:, None] >> np.arange(k)[None, :]) & 1).astype(np.int64)
    per_film = masks @ (f[:, None] == np.arange(len(budgets))[None, :])
    per_user = masks @ (u[:, None] == np.arange(len(caps))[None, :])
    ok = (per_film <= budgets).all(axis=1) & (per_user <= caps).all(axis=1)
    return float((masks[ok] * w).sum(axis=1).max())


@pytest.mark.parametrize("seed", range(8))
def test_store_scope_is_optimal_under_the_caps_left(model: Model, tmp_path: Path,
                                                    seed: int) -> None:
    rng = np.random.default_rng(50 + seed)
    ids = model.users.ids
    few = [str(x) for x in rng.choice(ids, 5, replace=False)]
    others = sorted(set(ids.tolist()) - set(few))  # opt-outs: only `few` can be planned
    films = [str(x) for x in rng.choice(model.films.ids, 5, replace=False)]
    earlier, slate_films = films[:2], films[2:]
    store = open_store(str(tmp_path / "store.db"))
    first = plan_beside(model, [SlateFilm(f, int(rng.integers(1, 4))) for f in earlier], store,
                        cap=2, holdout=0.0, waves=1, exclude=others)
    store.save_plan(first.plan_id, first.summary, first.rows)
    cap = int(rng.integers(1, 3))
    budgets = rng.integers(1, 5, size=len(slate_films))
    slate = [SlateFilm(f, int(b), float(rng.choice([1.0, 2.5]))) for f, b in
             zip(slate_films, budgets, strict=True)]
    used = films_per_user(first.rows)
    left = np.array([max(cap - used.get(x, 0), 0) for x in few], np.int64)
    if not left.any():  # every user at the cap: a plan of nobody, refused
        with pytest.raises(NothingToPlanError, match="5 users are at the cap across the "
                                                     "store's plans"):
            plan_beside(model, slate, store, cap=cap, holdout=0.0, waves=1, exclude=others,
                        cap_scope="store")
        return
    plan = plan_beside(model, slate, store, cap=cap, holdout=0.0, waves=1, exclude=others,
                       cap_scope="store")
    # every allowed pair with its worth: the slate planned with room for all of them
    full = plan_slate(model, [SlateFilm(s.film_id, 5, s.value) for s in slate],
                      cap=len(slate), holdout=0.0, waves=1, exclude=others).rows.to_pydict()
    pos = {s.film_id: i for i, s in enumerate(slate)}
    who = {u: i for i, u in enumerate(few)}
    f = np.array([pos[x] for x in full["film_id"]], np.int64)
    u = np.array([who[x] for x in full["user_id"]], np.int64)
    w = np.array(full["expected_value"], np.float64)
    assert len(f) <= 15  # the brute force stays small
    best = brute_best(f, u, w, budgets, left)
    got = plan.rows.to_pydict()
    assert sum(got["expected_value"]) == pytest.approx(best, rel=1e-9, abs=1e-12)
    mine = films_per_user(plan.rows)
    assert all(mine[x] <= left[who[x]] for x in mine)  # within the caps left
    info = plan.summary["cap_scope"]
    assert info["scope"] == "store" and plan.summary["parameters"]["cap_scope"] == "store"
    assert info["plans"] == 1
    assert info["users_excluded"] == sum(1 for x in few if used.get(x, 0) >= cap)
    assert info["users_limited"] == sum(1 for x in few if 0 < used.get(x, 0) < cap)
    # the plan scope would have planned more where the earlier plan used up caps
    alone = brute_best(f, u, w, budgets, np.full(len(few), cap))
    assert alone > best + 1e-9  # the caps left bind: the oracle tells the scopes apart
    bare = plan_beside(model, slate, store, cap=cap, holdout=0.0, waves=1, exclude=others)
    assert sum(bare.rows.column("expected_value").to_pylist()) == pytest.approx(alone, rel=1e-9)
    assert bare.summary["cap_scope"]["users_excluded"] == 0
    store.close()


def test_two_plans_at_cap_1_share_no_user(model: Model, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    folder = artifact.save(model, tmp_path / "model")
    films = model.films.ids
    for name, part in (("a", films[:3]), ("b", films[3:6])):
        (tmp_path / f"{name}.csv").write_text("film_id,budget\n" + "".join(
            f"{f},40\n" for f in part))

    def plan(db: Path, name: str, *scope: str) -> dict[str, object]:
        code, out, err = run_cli(capsys, "plan", folder, "--slate", tmp_path / f"{name}.csv",
                                 "--out", tmp_path / f"{name}-{db.stem}.csv", "--store", db,
                                 "--cap", 1, "--json", *scope)
        assert code == 0, err
        return json.loads(out)  # type: ignore[no-any-return]

    # the default: each plan's cap is its own, and they share users
    a, b = plan(tmp_path / "plain.db", "a"), plan(tmp_path / "plain.db", "b")
    shared = stored_users(tmp_path / "plain.db", str(a["plan_id"])) & stored_users(
        tmp_path / "plain.db", str(b["plan_id"]))
    assert len(shared) > 5
    assert b["summary"]["cap_scope"]["scope"] == "plan"  # type: ignore[index]
    db = tmp_path / "scoped.db"
    a = plan(db, "a", "--cap-scope", "store")
    code, _, err = run_cli(capsys, "plan", folder, "--slate", tmp_path / "b.csv", "--out",
                           tmp_path / "b-scoped.csv", "--store", db, "--cap", 1,
                           "--cap-scope", "store")
    assert code == 0, err
    first = stored_users(db, str(a["plan_id"]))
    with sqlite3.connect(db) as conn:
        (second_id, text), = conn.execute("SELECT plan_id, summary FROM campaign_plans WHERE "
                                          "plan_id != ?", (a["plan_id"],)).fetchall()
    second = stored_users(db, second_id)
    assert len(second) > 50 and not first & second
    stored = json.loads(text)  # the stored record says the scope and whom it kept out
    assert stored["parameters"]["cap_scope"] == "store"
    assert stored["cap_scope"]["users_excluded"] == len(first)
    assert stored["cap_scope"]["plans"] == 1 and stored["cap_scope"]["users_limited"] == 0
    assert f"{len(first):,} none (not planned)" in err
    # over HTTP: a third plan of the first films shares no user with either
    with TestClient(create_app(Settings(model_path=str(folder), store=str(db)))) as client:
        r = client.post("/campaigns/plan", json={
            "films": [{"film_id": str(f), "budget": 5} for f in films[6:9]], "cap": 1,
            "cap_scope": "store"})
        assert r.status_code == 200, r.text
        third = r.json()
        assert third["summary"]["cap_scope"]["users_excluded"] == len(first | second)
        got = client.get(f"/campaigns/{third['plan_id']}").json()["summary"]
        assert got["parameters"]["cap_scope"] == "store"
        assert client.post("/campaigns/plan", json={
            "films": [{"film_id": str(films[0]), "budget": 1}], "cap_scope": "all"}
        ).status_code == 422
    assert not stored_users(db, third["plan_id"]) & (first | second)


def test_a_withdrawn_plans_unsent_waves_do_not_count(model: Model, store_target: str) -> None:
    films = [str(f) for f in model.films.ids]
    store = open_store(store_target)  # SQLite and PostgreSQL
    gone = plan_beside(model, [SlateFilm(f, 60) for f in films[:3]], store, cap=1, waves=3)
    store.save_plan(gone.plan_id, gone.summary, gone.rows)
    half = plan_beside(model, [SlateFilm(f, 60) for f in films[3:6]], store, cap=1, waves=3)
    store.save_plan(half.plan_id, half.summary, half.rows)
    withdraw(store, gone.plan_id, 0)  # never sent: none of its rows count
    withdraw(store, half.plan_id, 1)  # wave 1 went out: its rows count, the others' not
    sent = users_of(half.rows, 1)
    unsent = users_of(half.rows) - sent
    plan = plan_beside(model, [SlateFilm(f, 80) for f in films[6:9]], store, cap=1,
                       cap_scope="store")
    mine = users_of(plan.rows)
    assert not mine & sent
    assert mine & users_of(gone.rows) and mine & unsent  # planned again: they count no more
    info = plan.summary["cap_scope"]
    assert info["users_excluded"] == len(sent) and info["plans"] == 1
    assert sent and unsent  # the oracle reads what it should
    store.close()


def test_a_plan_stored_meanwhile_is_counted_again(model: Model, store_target: str) -> None:
    films = [str(f) for f in model.films.ids]
    store = open_store(store_target)
    first = plan_beside(model, [SlateFilm(f, 60) for f in films[:3]], store, cap=1,
                        cap_scope="store")
    second = plan_beside(model, [SlateFilm(f, 60) for f in films[3:6]], store, cap=1,
                         cap_scope="store")  # made before the first is stored
    assert users_of(first.rows) & users_of(second.rows)
    store.save_plan(first.plan_id, first.summary, first.rows)
    with pytest.raises(PlansClashError, match="more than the cap of 1 film across the store"):
        store.save_plan(second.plan_id, second.summary, second.rows)
    again = plan_beside(model, [SlateFilm(f, 60) for f in films[3:6]], store, cap=1,
                        cap_scope="store")
    store.save_plan(again.plan_id, again.summary, again.rows)
    assert not users_of(first.rows) & users_of(again.rows)
    # a plan of plan scope is not checked: its cap is its own
    plain = plan_beside(model, [SlateFilm(f, 60) for f in films[6:9]], store, cap=1)
    store.save_plan(plain.plan_id, plain.summary, plain.rows)
    store.close()


def test_a_next_wave_keeps_its_plans_scope(model: Model, store_target: str) -> None:
    films = [str(f) for f in model.films.ids]
    store = open_store(store_target)
    first = plan_beside(model, [SlateFilm(f, 60) for f in films[:3]], store, cap=1, waves=3,
                        cap_scope="store")
    store.save_plan(first.plan_id, first.summary, first.rows)
    other = plan_beside(model, [SlateFilm(f, 60) for f in films[3:6]], store, cap=1)
    store.save_plan(other.plan_id, other.summary, other.rows)  # plan scope: it shares users
    nxt = plan_next_wave(model, store, first.plan_id, sent_waves=1)
    assert nxt.summary["parameters"]["cap_scope"] == "store"
    assert nxt.summary["cap_scope"]["plans"] == 1  # the other plan; not its own chain
    assert not users_of(nxt.rows) & users_of(other.rows)
    assert not users_of(nxt.rows) & users_of(first.rows, 1)  # its chain's sent wave
    store.close()


def test_store_scope_needs_a_store(model: Model, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    folder = artifact.save(model, tmp_path / "model")
    (tmp_path / "s.csv").write_text(f"film_id,budget\n{model.films.ids[0]},5\n")
    code, _, err = run_cli(capsys, "plan", folder, "--slate", tmp_path / "s.csv", "--out",
                           tmp_path / "p.csv", "--cap-scope", "store")
    assert code == 2 and "--cap-scope store counts the campaign store's other plans: it " \
                          "needs a store" in err
    assert not (tmp_path / "p.csv").exists()
    code, _, err = run_cli(capsys, "plan", folder, "--after", "plan-x", "--out",
                           tmp_path / "p.csv", "--store", tmp_path / "s.db", "--cap-scope",
                           "plan")
    assert code == 2 and "--cap-scope does not apply (the campaign's cap scope is the " \
                          "stored plan's)" in err
    with pytest.raises(InvalidParameterError, match="cap scope"):
        plan_beside(model, [SlateFilm(str(model.films.ids[0]), 5)], None, cap_scope="store")
    # an unknown scope is refused in the same words by the planner and the store's count
    # (they were worded twice: "one of plan, store" and "'plan' or 'store'")
    for call in (lambda: plan_slate(model, [SlateFilm(str(model.films.ids[0]), 5)],
                                    cap_scope="stor"),
                 lambda: plan_beside(model, [SlateFilm(str(model.films.ids[0]), 5)], None,
                                     cap_scope="stor")):
        with pytest.raises(InvalidParameterError) as refused:
            call()
        assert str(refused.value) == "cap scope must be 'plan' or 'store', got 'stor'"


def test_a_request_at_the_default_scope_keeps_its_idempotency_hash() -> None:
    """A key stored before the option hashed its request without ``cap_scope``: the same
    request at the default scope hashes alike (a retry across the upgrade is the same
    request), one of store scope does not."""
    import argparse
    import hashlib

    from recommender.cli.plan_keys import REQUEST_OPTIONS
    from recommender.cli.plan_keys import request_key as cli_key
    from service.idempotency import request_key
    from service.routes.campaigns import PlanRequest

    body = {"films": [{"film_id": "0001000", "budget": 5}], "cap": 2}
    before = {k: v for k, v in PlanRequest(**body).model_dump(mode="json").items()
              if k != "cap_scope"}
    payload = json.dumps({"route": "POST /campaigns/plan", "path": {}, "body": before},
                         sort_keys=True, ensure_ascii=False)
    old = hashlib.sha256(payload.encode()).hexdigest()
    assert request_key("k", "POST /campaigns/plan", {}, PlanRequest(**body)) == ("k", old)
    scoped = request_key("k", "POST /campaigns/plan", {}, PlanRequest(**body,
                                                                      cap_scope="store"))
    assert scoped is not None and scoped[1] != old
    args = argparse.Namespace(idempotency_key="k", store="s.db", exclude=None, cap=2,
                              cap_scope="plan")
    slate = [SlateFilm("0001000", 5)]
    kept = cli_key(args, slate)
    was = {"route": "recommender plan", "films": [["0001000", 5, 1.0]], "exclude_sha256": None,
           "options": {n: getattr(args, n, None) for n in REQUEST_OPTIONS if n != "cap_scope"}}
    assert kept == ("k", hashlib.sha256(json.dumps(was, sort_keys=True, ensure_ascii=False)
                                        .encode()).hexdigest())
    args.cap_scope = "store"
    assert kept != cli_key(args, slate)
