"""The campaign endpoints: plan, list, summary and the streamed CSV, against the library."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient
from service_fixtures import ODD_FILM_ID, ODD_USER_ID, save_model

from recommender.campaigns.export import write_plan
from recommender.campaigns.plan import plan_slate
from recommender.campaigns.slate import SlateFilm
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("campaigns") / "model")


@pytest.fixture(scope="module")
def client(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    store = tmp_path_factory.mktemp("store") / "campaigns.db"
    with TestClient(create_app(Settings(model_path=str(model_dir), store=str(store)))) as c:
        yield c


@pytest.fixture
def own(model_dir: Path, tmp_path: Path) -> Iterator[TestClient]:
    """A client on a store of its own: a test's plans take no pair from another's."""
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "campaigns.db"))
    with TestClient(create_app(settings)) as c:
        yield c


FILMS: list[dict[str, Any]] = [{"film_id": "00000", "budget": 30, "value": 2},
                               {"film_id": ODD_FILM_ID, "budget": 25},
                               {"film_id": "00002", "budget": 1000}]
EXCLUDE = [ODD_USER_ID, "u3", "never-seen"]
BODY: dict[str, Any] = {"films": FILMS, "cap": 2, "holdout": 0.2, "waves": 2, "seed": 3,
                        "exclude_user_ids": EXCLUDE}


def test_plan_list_summary_and_csv(client: TestClient, model_dir: Path, tmp_path: Path) -> None:
    r = client.post("/campaigns/plan", json=BODY)
    assert r.status_code == 200, r.text
    plan_id, summary = r.json()["plan_id"], r.json()["summary"]
    assert summary["plan_id"] == plan_id
    assert summary["totals"]["flagged_films"] == ["00002"]  # planned in full and flagged
    f2 = next(f for f in summary["films"] if f["film_id"] == "00002")
    assert f2["selected"] == f2["eligible_users"] < 1000
    listed = client.get("/campaigns").json()
    assert listed["total"] >= 1 and plan_id in [p["plan_id"] for p in listed["plans"]]
    mine = next(p for p in listed["plans"] if p["plan_id"] == plan_id)
    assert mine["titles"] == {f["film_id"]: client.get(
        f"/films/{quote(f['film_id'], safe='')}").json()["title"] for f in FILMS}
    # the stored summary, with the plan's next waves (none yet)
    assert client.get(f"/campaigns/{plan_id}").json() == {
        "plan_id": plan_id, "summary": {**summary, "next_waves": [], "chain": [],
                                        "chain_cut": False, "wave_sends": []}}
    csv = client.get(f"/campaigns/{plan_id}/plan.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    # the library's plan for the same request, with the same id: the same bytes
    model = artifact.load(model_dir)
    again = plan_slate(model, [SlateFilm(f["film_id"], f["budget"], f.get("value", 1.0))
                               for f in FILMS],
                       cap=2, holdout=0.2, waves=2, seed=3, exclude=EXCLUDE, plan_id=plan_id)
    write_plan(again.rows, tmp_path / "plan.csv")
    assert csv.content == (tmp_path / "plan.csv").read_bytes()
    lines = csv.content.decode().splitlines()
    assert lines[0] == "plan_id,film_id,user_id,wave,group,rank,p,expected_value"
    assert len(lines) - 1 == summary["totals"]["selected"]
    assert ODD_USER_ID not in csv.text and '"u3"' not in csv.text


def test_errors(client: TestClient) -> None:
    r = client.post("/campaigns/plan", json={**BODY, "films": [
        {"film_id": "nope-a", "budget": 3}, {"film_id": "00000", "budget": 3},
        {"film_id": "nope-b", "budget": 3}]})
    assert r.status_code == 404 and "nope-a" in r.json()["detail"] \
        and "nope-b" in r.json()["detail"]
    bads: list[dict[str, Any]] = [
                {"cap": 0}, {"holdout": 1.0}, {"waves": 0}, {"films": []}, {"seed": -1},
                {"films": [{"film_id": "00000", "budget": -1}]},
                {"films": [{"film_id": "00000", "budget": 1, "value": 0}]},
                # a worth past the bounds: 1e308 overflowed the objective to null, 1e-300
                # lost to the rank tie-break
                {"films": [{"film_id": "00000", "budget": 1, "value": 1e308}]},
                {"films": [{"film_id": "00000", "budget": 1, "value": 1e-300}]},
                {"surprise": 1},
                # numbers written as text (or true) are not JSON numbers, as the schema says
                {"films": [{"film_id": "00000", "budget": "5"}]},
                {"films": [{"film_id": "00000", "budget": 5, "value": "2"}]},
                {"cap": "2"}, {"holdout": "0.1"}, {"waves": True}, {"seed": "1"}]
    for bad in bads:
        r = client.post("/campaigns/plan", json={**BODY, **bad})
        assert r.status_code == 422, (bad, r.text)
        assert isinstance(r.json()["detail"], str)
    # valid by the schema (which cannot say "each film once"): a 409 naming both places (a
    # 422 would refuse a body valid by the schema, test_schema_contract)
    r = client.post("/campaigns/plan", json={**BODY, "films": [
        {"film_id": "00000", "budget": 1}, {"film_id": "00002", "budget": 2},
        {"film_id": "00000", "budget": 2}, {"film_id": "00000", "budget": 3}]})
    assert r.status_code == 409 and "'00000' appears twice" in r.json()["detail"], r.text
    assert "films[0] and films[2]" in r.json()["detail"]
    for path in ("/campaigns/plan-missing", "/campaigns/plan-missing/plan.csv"):
        r = client.get(path)
        assert r.status_code == 404 and "plan-missing" in r.json()["detail"], (path, r.text)
    assert client.get(f"/campaigns/{quote('a b/é', safe='')}").status_code == 404
    assert client.get("/campaigns?limit=0").status_code == 422


def test_a_retried_request_with_its_key_gets_the_stored_plan(client: TestClient) -> None:
    """A client that timed out sends the same request with the same ``Idempotency-Key``: it
    gets the plan its first try stored (same id, same summary), and the store holds one plan;
    the key on another request is a 409; a malformed key is a 422. The same for next waves."""
    before = client.get("/campaigns").json()["total"]
    key = {"Idempotency-Key": "slate-2026-12-01/a"}
    first = client.post("/campaigns/plan", json=BODY, headers=key)
    again = client.post("/campaigns/plan", json=BODY, headers=key)
    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json()
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert client.get("/campaigns").json()["total"] == before + 1
    other = client.post("/campaigns/plan", json={**BODY, "seed": 4}, headers=key)
    assert other.status_code == 409 and first.json()["plan_id"] in other.json()["detail"]
    bad = client.post("/campaigns/plan", json=BODY, headers={"Idempotency-Key": "has space"})
    assert bad.status_code == 422
    # without a key, two requests are two plans
    plain = [client.post("/campaigns/plan", json=BODY).json()["plan_id"] for _ in range(2)]
    assert plain[0] != plain[1]
    # a next wave: once per key, and the key is scoped to the request it came with
    parent = first.json()["plan_id"]
    nkey = {"Idempotency-Key": "next-1"}
    n1 = client.post(f"/campaigns/{parent}/next", json={"sent_waves": 1}, headers=nkey)
    n2 = client.post(f"/campaigns/{parent}/next", json={"sent_waves": 1}, headers=nkey)
    assert n1.status_code == 200, n1.text
    assert n2.json() == n1.json() and n1.json()["plan_id"] != parent
    assert n2.headers["idempotent-replayed"] == "true"
    assert client.post(f"/campaigns/{plain[0]}/next", json={"sent_waves": 1},
                       headers=nkey).status_code == 409
    assert client.post("/campaigns/plan", json=BODY, headers=nkey).status_code == 409


def test_an_idempotency_key_sent_twice_is_a_422(client: TestClient) -> None:
    """Two ``Idempotency-Key`` headers: the first was read and the second dropped, so the
    same retry with its headers in another order planned a second time. Now a 422 naming
    the header, as a query parameter given twice is, and nothing is planned."""
    before = client.get("/campaigns").json()["total"]
    twice = [("Idempotency-Key", "twice-a"), ("Idempotency-Key", "twice-b")]
    r = client.post("/campaigns/plan", json=BODY, headers=twice)
    assert r.status_code == 422, r.text
    assert "header 'Idempotency-Key'" in r.json()["detail"] and "2" in r.json()["detail"]
    parent = client.post("/campaigns/plan", json=BODY).json()["plan_id"]
    r = client.post(f"/campaigns/{parent}/next", json={"sent_waves": 1}, headers=twice)
    assert r.status_code == 422 and "Idempotency-Key" in r.json()["detail"], r.text
    assert client.get("/campaigns").json()["total"] == before + 1  # the keyless plan only


def test_twins_racing_with_one_key_store_one_plan(tmp_path: Path) -> None:
    """Two copies of a request both plan; the second to commit finds the key taken, stores
    nothing, and answers the first's plan (the key is written in the plan's transaction)."""
    import pyarrow as pa
    from fastapi import Response

    from recommender.campaigns.plan import PLAN_SCHEMA
    from recommender.campaigns.store import UnknownPlanError, open_store
    from service.idempotency import REPLAYED, plan_once

    store = open_store(str(tmp_path / "s.db"))
    empty = pa.Table.from_pylist([], schema=PLAN_SCHEMA)
    key = ("twin", "0" * 64)
    store.save_plan("plan-a", {"created": "now", "model_version": "m"}, empty, key=key)

    def second() -> dict[str, Any]:
        store.save_plan("plan-b", {"created": "now", "model_version": "m"}, empty, key=key)
        return {"plan_id": "plan-b"}

    response = Response()
    assert plan_once(store, key, response, second)["plan_id"] == "plan-a"
    assert response.headers[REPLAYED] == "true"
    with pytest.raises(UnknownPlanError):
        store.summary("plan-b")
    store.close()


def test_a_slate_of_zero_budgets_is_a_422_at_its_budgets(client: TestClient) -> None:
    """A slate whose budgets are all 0 is a bad body, not a clash with the store's state: a
    422 naming the rule (it was a 409), each budget listed in errors; the schema states it and
    its 422 says it."""
    r = client.post("/campaigns/plan", json={"films": [{"film_id": "00002", "budget": 0},
                                                       {"film_id": "00000", "budget": 0}]})
    assert r.status_code == 422 and "every film's budget is 0" in r.json()["detail"], r.text
    assert [e["loc"] for e in r.json()["errors"]] == [["body", "films", 0, "budget"],
                                                      ["body", "films", 1, "budget"]]
    spec = client.get("/openapi.json").json()
    said = spec["paths"]["/campaigns/plan"]["post"]["responses"]
    assert "budget is 0" in said["422"]["description"]
    assert "budget is 0" not in said["409"]["description"]
    # the schema states it: the body is invalid by it (the oracle: a JSON Schema validator)
    validator = jsonschema_rs.validator_for({"$ref": "#/components/schemas/PlanRequest",
                                             "components": spec["components"]})
    films = [{"film_id": "00002", "budget": 0}, {"film_id": "00000", "budget": 0}]
    assert not validator.is_valid({"films": films})
    assert validator.is_valid({"films": [films[0], {"film_id": "00000", "budget": 1}]})


def test_a_plan_on_a_model_reloaded_under_the_request_names_it(tmp_path: Path) -> None:
    """A plan reads the store first (``caught_up``) and plans on the engine serving then;
    when a reload swapped the model after the request took its engine, the answer's
    X-Model-Version names the model the plan was made on, as its summary does (it named the
    request's first model: a body of one version under the header of another)."""
    served = save_model(tmp_path / "model")
    newer = artifact.load(save_model(tmp_path / "newer", seed=1))
    settings = Settings(model_path=str(served), store=str(tmp_path / "s.db"), watch_interval=0,
                        events_poll=0, warm_cache=False)
    with TestClient(create_app(settings)) as c:
        service, sync = c.app.state.service, c.app.state.events_sync  # type: ignore[attr-defined]
        first, poll = service.engine.version, sync.poll

        def reload_then_poll() -> bool:  # a train swaps the folder; this worker follows it
            sync.poll = poll
            artifact.save(newer, served)
            assert service.check()
            return bool(poll())

        sync.poll = reload_then_poll
        r = c.post("/campaigns/plan", json={"films": [{"film_id": "00000", "budget": 5}]})
    assert r.status_code == 200, r.text
    assert r.json()["summary"]["model_version"] == newer.version != first
    assert r.headers["X-Model-Version"] == newer.version


def test_a_plans_download_names_the_model_it_was_made_with(model_dir: Path,
                                                           tmp_path: Path) -> None:
    """A plan made on one model and downloaded from a server now serving another carried
    only X-Model-Version, the served model's: the file read as the newer model's plan.
    ``X-Plan-Model-Version`` names the plan's. Oracle: the summary stored with the plan."""
    store = str(tmp_path / "s.db")
    other = save_model(tmp_path / "other", seed=1)
    first = artifact.load(model_dir).version
    with TestClient(create_app(Settings(model_path=str(model_dir), store=store,
                                        warm_cache=False))) as client:
        plan_id = client.post("/campaigns/plan", json={
            "films": [{"film_id": "00003", "budget": 5}]}).json()["plan_id"]
    with TestClient(create_app(Settings(model_path=str(other), store=store,
                                        warm_cache=False))) as client:
        r = client.get(f"/campaigns/{plan_id}/plan.csv")
        assert r.status_code == 200
        assert r.headers["X-Model-Version"] == artifact.load(other).version != first
        assert r.headers["X-Plan-Model-Version"] == first == \
            client.get(f"/campaigns/{plan_id}").json()["summary"]["model_version"]


def test_a_plan_that_a_plan_stored_meanwhile_clashes_with_is_made_again(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan stored while the request's plan was made selects some of its pairs: the store
    refuses it (controls.refuse_held_out) and the route plans again around them, rather than
    answer 409 to a request a second try serves (oracle: the controls read back)."""
    from service.routes import campaigns as route

    real = route.plan_beside
    rival: list[str] = []

    def plan_then_rival(engine: Any, slate: Any, store: Any, **options: Any) -> Any:
        mine = real(engine, slate, store, **options)
        if not rival:  # another request's plan of the same film, stored meanwhile
            other = real(engine, slate, store, **{**options, "seed": 99})
            store.save_plan(other.plan_id, other.summary, other.rows)
            rival.append(other.plan_id)
        return mine

    monkeypatch.setattr(route, "plan_beside", plan_then_rival)
    # a film no plan of this module's store selects (every plan leaves out the pairs others
    # select, and BODY selects every user of 00002)
    body = {"films": [{"film_id": "00005", "budget": 40}], "holdout": 0.5, "seed": 4}
    r = client.post("/campaigns/plan", json=body)
    assert r.status_code == 200, r.text
    plan_id = r.json()["plan_id"]
    assert rival and plan_id != rival[0]
    held = r.json()["summary"]["held_out_elsewhere"]
    assert rival[0] in str(held) and held["pairs"] > 0

    def pairs(pid: str, group: str | None = None) -> set[tuple[str, str]]:
        import csv
        import io

        rows = csv.DictReader(io.StringIO(client.get(f"/campaigns/{pid}/plan.csv").text))
        return {(r["film_id"], r["user_id"]) for r in rows
                if group is None or r["group"] == group}

    assert pairs(rival[0], "control") and not pairs(rival[0]) & pairs(plan_id)


def test_a_clash_with_a_twin_request_under_the_same_key_replays_its_plan(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan refused as a clash while a twin request (same Idempotency-Key) stored its plan:
    the twin's plan is the answer, as when the key's insert fails, not another plan or, after
    the last attempt, a 409 for a request whose plan is stored."""
    from recommender.errors import PlansClashError

    store = client.app.state.campaign_store  # type: ignore[attr-defined]
    real = store.save_plan
    calls: list[str] = []

    def twin_then_clash(plan_id: str, summary: Any, rows: Any, **kw: Any) -> Any:
        if not calls:  # the twin's plan, under this request's key
            real(plan_id, summary, rows, **kw)
        calls.append(plan_id)
        raise PlansClashError("planted clash")

    monkeypatch.setattr(store, "save_plan", twin_then_clash)
    body = {"films": [{"film_id": "00006", "budget": 10}], "seed": 8}
    r = client.post("/campaigns/plan", json=body, headers={"Idempotency-Key": "twin-key-1"})
    assert r.status_code == 200, r.text
    assert r.headers.get("idempotent-replayed") == "true" and r.json()["plan_id"] == calls[0]
    assert len(calls) == 1


def test_an_existing_store_is_kept_on_a_disk_that_cannot_be_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store beside the served folder, on a read-only disk, was replaced by an empty one
    in memory: its plans and events were gone from every answer, ``/health`` said "ok", and
    ``POST /events`` acknowledged events as stored that the next restart lost."""
    from service.routes import campaigns

    store = tmp_path / "model.campaigns.db"
    store.write_bytes(b"")
    monkeypatch.setattr(campaigns.os, "access", lambda *_a, **_kw: False)  # read-only
    settings = Settings.model_construct(store=None, model_path=str(tmp_path / "model"))
    assert campaigns.store_target(settings) == str(store)
    store.unlink()  # none yet, and none can be made: in memory, as before
    assert campaigns.store_target(settings) == campaigns.DEFAULT_STORE


def test_the_store_is_beside_the_served_link_not_its_target(tmp_path: Path) -> None:
    """``serve LIVE`` (a link to a model folder, swapped at each deploy) keeps the link, so the
    store beside it is ``LIVE.campaigns.db`` for every worker: resolved, a worker started after
    the swap opened the store beside the new target while the others kept the old one's."""
    from service.routes import campaigns

    (tmp_path / "a0").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "LIVE").symlink_to("a0")
    settings = Settings.model_construct(store=None, model_path=str(tmp_path / "LIVE"))
    before = campaigns.store_target(settings)
    (tmp_path / "LIVE").unlink()
    (tmp_path / "LIVE").symlink_to("b")
    assert campaigns.store_target(settings) == before == str(tmp_path / "LIVE.campaigns.db")


def test_the_store_of_a_model_served_as_dot_dot_is_beside_it(tmp_path: Path) -> None:
    """``serve ..`` (from inside the model folder) kept the path as given, ``MODEL/x/..``,
    whose last name is ``..``: the store became ``MODEL/x/...campaigns.db``, a file inside
    the model's own sub-folder, not ``MODEL.campaigns.db`` beside the folder as documented."""
    from service.routes import campaigns

    (tmp_path / "model" / "versions").mkdir(parents=True)
    settings = Settings.model_construct(
        store=None, model_path=str(tmp_path / "model" / "versions" / ".."))
    assert campaigns.store_target(settings) == str(tmp_path / "model.campaigns.db")


def test_serve_refuses_a_link_whose_store_is_beside_its_target_only(tmp_path: Path) -> None:
    """A server before links were kept opened ``a0.campaigns.db`` for ``serve LIVE`` (LIVE ->
    a0); now the store is ``LIVE.campaigns.db``, and an empty one there hid every plan and
    event with a warning in the log only: ``serve`` refuses to start, naming both files."""
    from recommender.errors import InvalidParameterError
    from service.server import check_at_start

    (tmp_path / "a0").mkdir()
    (tmp_path / "LIVE").symlink_to("a0")
    (tmp_path / "a0.campaigns.db").write_bytes(b"")
    settings = Settings.model_construct(store=None, model_path=str(tmp_path / "LIVE"),
                                        access_log=None, pseudonym_key=None, cinemas=None)
    with pytest.raises(InvalidParameterError, match="RECOMMENDER_STORE") as refused:
        check_at_start(settings)
    assert str(tmp_path / "a0.campaigns.db") in str(refused.value)
    assert str(tmp_path / "LIVE.campaigns.db") in str(refused.value)
    (tmp_path / "a0.campaigns.db").rename(tmp_path / "LIVE.campaigns.db")  # moved: it starts
    check_at_start(settings)


def test_a_replayed_plan_names_the_model_it_was_planned_on(tmp_path: Path) -> None:
    """A plan replayed for its ``Idempotency-Key`` after a reload is the store's record of the
    first answer: its ``X-Model-Version`` names the model it was planned on, as its summary
    does (it named the model serving now, beside a body planned on the other one)."""
    served = save_model(tmp_path / "served")
    other = save_model(tmp_path / "other", seed=1)
    settings = Settings(model_path=str(served), store=str(tmp_path / "campaigns.db"))
    with TestClient(create_app(settings)) as c:
        key = {"Idempotency-Key": "replay-after-reload"}
        first = c.post("/campaigns/plan", json=BODY, headers=key)
        planned_on = first.json()["summary"]["model_version"]
        assert first.headers["x-model-version"] == planned_on
        c.app.state.service.reload(str(other))  # type: ignore[attr-defined]
        now = c.get("/health").headers["x-model-version"]
        assert now != planned_on
        again = c.post("/campaigns/plan", json=BODY, headers=key)
        assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
        assert again.headers["x-model-version"] == planned_on
        nkey = {"Idempotency-Key": "next-after-reload"}
        parent = first.json()["plan_id"]
        n1 = c.post(f"/campaigns/{parent}/next", json={"sent_waves": 1}, headers=nkey)
        assert n1.status_code == 200 and n1.headers["x-model-version"] == now
        c.app.state.service.reload(str(served / "versions" / sorted(
            p.name for p in (served / "versions").iterdir())[0]))  # type: ignore[attr-defined]
        n2 = c.post(f"/campaigns/{parent}/next", json={"sent_waves": 1}, headers=nkey)
        assert n2.headers["idempotent-replayed"] == "true" and n2.json() == n1.json()
        assert n2.headers["x-model-version"] == now != c.get("/health").headers[
            "x-model-version"]


def test_a_seed_that_draws_nothing_is_refused(own: TestClient) -> None:
    """A seed with a holdout of 0 drew no control group and changed nothing, and the plan
    recorded it (`plan --seed` with `--holdout 0` is refused too): a seed other than the
    default is refused then; the default, or any seed with a holdout, is planned."""
    body = {**BODY, "holdout": 0, "seed": 5}
    r = own.post("/campaigns/plan", json=body)
    assert r.status_code == 422, r.text
    assert "the seed changes nothing" in r.text and "holdout above 0" in r.text
    assert own.post("/campaigns/plan", json={**body, "seed": 0}).status_code == 200
    without = {k: v for k, v in body.items() if k != "seed"}
    assert own.post("/campaigns/plan", json=without).status_code == 200
    assert own.post("/campaigns/plan", json={**body, "holdout": 0.1}).status_code == 200
    # a next wave given a holdout of 0 refuses a seed as a first plan does (it planned it)
    plan_id = own.post("/campaigns/plan", json={**BODY, "cap": 1000}).json()["plan_id"]
    r = own.post(f"/campaigns/{plan_id}/next", json={"sent_waves": 1, "holdout": 0, "seed": 5})
    assert r.status_code == 422 and "the seed changes nothing" in r.text, r.text
    assert own.post(f"/campaigns/{plan_id}/next", json={"sent_waves": 1, "holdout": 0}
                    ).status_code == 200
    # a next wave keeping its plan's holdout of 0 too (it planned it, silently)
    first = {k: v for k, v in BODY.items() if k != "seed"}
    kept = own.post("/campaigns/plan", json={**first, "cap": 1000, "holdout": 0, "waves": 3}
                    ).json()["plan_id"]
    r = own.post(f"/campaigns/{kept}/next", json={"sent_waves": 1, "seed": 5})
    assert r.status_code == 422 and "the seed changes nothing" in r.text, r.text
    assert kept in r.text and "keeps" in r.text
    for body in ({"sent_waves": 1, "seed": 1}, {"sent_waves": 1, "seed": 5, "holdout": 0.2}):
        assert own.post(f"/campaigns/{kept}/next", json=body).status_code == 200, body


def test_a_withdrawn_plans_next_wave_is_a_409_its_schema_names(own: TestClient) -> None:
    """A next wave of a withdrawn plan is a 409 (its campaign is over); the 409's description
    named a spent budget, a reused Idempotency-Key and a moved store, not this (nor a plan
    stored meanwhile holding some of its pairs, the same 409 as a first plan's)."""
    plan_id = own.post("/campaigns/plan", json={**BODY, "cap": 1000}).json()["plan_id"]
    assert own.post(f"/campaigns/{plan_id}/withdraw", json={"sent_waves": 1}
                       ).status_code == 200
    r = own.post(f"/campaigns/{plan_id}/next", json={"sent_waves": 1})
    assert r.status_code == 409 and "was withdrawn" in r.json()["detail"], r.text
    said = own.get("/openapi.json").json()["paths"]["/campaigns/{plan_id}/next"]["post"][
        "responses"]["409"]["description"]
    assert "withdrawn" in said and "a plan stored meanwhile" in said


def test_an_opt_outs_length_bound_is_the_schemas(own: TestClient) -> None:
    """An opt-out longer than a user id may be is refused (422): the schema now states the
    bound (maxLength) on the plan's and the next wave's opt-outs, which it left unbounded,
    so a request valid by the schema was refused. At the bound it is planned."""
    spec = own.get("/openapi.json").json()["components"]["schemas"]
    plan_id = own.post("/campaigns/plan", json={**BODY, "cap": 1000}).json()["plan_id"]
    for name, url, body in (("PlanRequest", "/campaigns/plan", {**BODY, "cap": 1000}),
                            ("NextWaveRequest", f"/campaigns/{plan_id}/next",
                             {"sent_waves": 1})):
        bound = spec[name]["properties"]["exclude_user_ids"]["items"]["maxLength"]
        r = own.post(url, json={**body, "exclude_user_ids": ["u" * bound]})
        assert r.status_code == 200, (name, r.text)
        r = own.post(url, json={**body, "exclude_user_ids": ["u" * (bound + 1)]})
        assert r.status_code == 422 and "bytes in UTF-8" in r.text, (name, r.text)


def test_sent_waves_past_the_plans_waves_is_a_422_its_field_names(own: TestClient) -> None:
    """sent_waves above the plan's waves (within the schema's maximum, 1000) is a 422 on the
    report, the next wave and the withdrawal: each field's description now says so (the
    schema alone made every value up to 1000 look valid; a generated client met 422s)."""
    plan_id = own.post("/campaigns/plan", json={**BODY, "cap": 1000}).json()["plan_id"]
    waves = BODY["waves"]
    spec = own.get("/openapi.json").json()
    report = own.get(f"/campaigns/{plan_id}/report", params={"sent_waves": waves + 1})
    nxt = own.post(f"/campaigns/{plan_id}/next", json={"sent_waves": waves + 1})
    gone = own.post(f"/campaigns/{plan_id}/withdraw", json={"sent_waves": waves + 1})
    for r in (report, nxt, gone):
        assert r.status_code == 422 and f"waves of plan {plan_id}" in r.text, r.text
    said = [next(p["description"] for p in spec["paths"]["/campaigns/{plan_id}/report"][
                "get"]["parameters"] if p["name"] == "sent_waves"),
            spec["components"]["schemas"]["NextWaveRequest"]["properties"]["sent_waves"][
                "description"],
            spec["components"]["schemas"]["WithdrawRequest"]["properties"]["sent_waves"][
                "description"]]
    assert all("at most the plan's waves" in text for text in said), said


def test_the_schema_states_the_seed_rule(own: TestClient) -> None:
    """A seed other than 0 with a holdout of 0 is refused (422): the plan request's schema
    states it, so each body below is valid by the schema exactly when the server plans it
    (it was valid by the schema and refused, which Schemathesis' positive-data check met)."""
    spec = own.get("/openapi.json").json()
    validator = jsonschema_rs.validator_for({"$ref": "#/components/schemas/PlanRequest",
                                             "components": spec["components"]})
    for extra in ({"holdout": 0, "seed": 5}, {"holdout": 0.0, "seed": 1},
                  {"holdout": 0, "seed": 0}, {"holdout": 0}, {"seed": 5},
                  {"holdout": 0.2, "seed": 5}):
        body = {"films": FILMS, "cap": 1000, **extra}
        accepted = own.post("/campaigns/plan", json=body).status_code == 200
        assert validator.is_valid(body) == accepted, extra



def test_a_report_of_a_plan_withdrawn_before_any_wave_is_a_documented_409(
        own: TestClient) -> None:
    """A plan withdrawn before any wave went out has nothing to report: the request has no
    parameter to be wrong (it was a 422, whose description is "invalid request: a parameter
    out of range or unknown..."), so it is a 409, the report's schema lists it, and the plan
    itself still answers."""
    plan_id = own.post("/campaigns/plan", json={**BODY, "cap": 1000}).json()["plan_id"]
    assert own.post(f"/campaigns/{plan_id}/withdraw", json={"sent_waves": 0}
                       ).status_code == 200
    r = own.get(f"/campaigns/{plan_id}/report")
    assert r.status_code == 409 and "nothing to report" in r.json()["detail"], r.text
    listed = own.get("/openapi.json").json()["paths"]["/campaigns/{plan_id}/report"]["get"][
        "responses"]
    assert "nothing to report" in listed["409"]["description"]
    assert own.get(f"/campaigns/{plan_id}").status_code == 200


def test_the_next_waves_schema_states_its_seed_rule(own: TestClient) -> None:
    """As the first plan's: a next wave's body is valid by its schema exactly when the server
    plans it, for the seed given with a holdout of 0 (its default seed is 1)."""
    spec = own.get("/openapi.json").json()
    validator = jsonschema_rs.validator_for({"$ref": "#/components/schemas/NextWaveRequest",
                                             "components": spec["components"]})
    for extra in ({"holdout": 0, "seed": 5}, {"holdout": 0, "seed": 1}, {"holdout": 0},
                  {"seed": 5}, {"holdout": 0.2, "seed": 5}):
        plan_id = own.post("/campaigns/plan", json={**BODY, "cap": 1000}).json()["plan_id"]
        body = {"sent_waves": 1, **extra}
        accepted = own.post(f"/campaigns/{plan_id}/next", json=body).status_code == 200
        assert validator.is_valid(body) == accepted, extra
