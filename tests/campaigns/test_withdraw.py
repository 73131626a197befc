"""``campaign withdraw``: a campaign stopped after N waves gives back the (film, user) pairs of its
unsent waves to later plans of its films, and keeps those of its sent waves (oracle: the plan's
rows read back with SQL, split by wave); its report counts waves 1..N; it has no next wave; the
withdrawal is final, recorded along the chain of next waves, copied with the store, and the
same through the CLI and HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from helpers import run_cli, train_folder

from recommender.campaigns.controls import plan_beside
from recommender.campaigns.copy_store import copy_store
from recommender.campaigns.next_wave import plan_next_wave, prepare_next_wave
from recommender.campaigns.report import campaign_report
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import CampaignStore, UnknownPlanError, open_store, plan_rows
from recommender.campaigns.withdraw import WithdrawnPlanError, withdraw
from recommender.errors import InvalidParameterError
from recommender.io import demo
from recommender.model import artifact
from recommender.model.model import Model
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Model, list[str]]:
    folder = demo.generate(tmp_path_factory.mktemp("withdraw") / "data", seed=7, n_users=600,
                           n_films=60, n_interactions=9_000)
    model = train_folder(folder, factors=8, iterations=4, segments=3)
    films = model.films.ids[np.argsort(model.film_counts(), kind="stable")[20:23]].tolist()
    return model, films


def rows_by_wave(store: CampaignStore, plan_id: str) -> dict[int, set[tuple[str, str]]]:
    """The (film, user) pairs of each wave of ``plan_id``, read with SQL."""
    c = plan_rows.c
    found: dict[int, set[tuple[str, str]]] = {}
    with store.engine.connect() as conn:
        for film, user, wave in conn.execute(sa.select(c.film_id, c.user_id, c.wave).where(
                c.plan_id == plan_id)):
            found.setdefault(int(wave), set()).add((str(film), str(user)))
    return found


def stored(store: CampaignStore, model: Model, films: list[str], budget: int, seed: int,
           waves: int = 3) -> str:
    plan = plan_beside(model, [SlateFilm(f, budget) for f in films], store, holdout=0.3,
                       seed=seed, waves=waves, progress=False)
    store.save_plan(plan.plan_id, plan.summary, plan.rows)
    return plan.plan_id


def test_unsent_waves_free_their_pairs(world: tuple[Model, list[str]], store_target: str
                                       ) -> None:
    model, films = world
    store = open_store(store_target)
    first = stored(store, model, films, 60, seed=1)
    waves = rows_by_wave(store, first)
    assert sorted(waves) == [1, 2, 3]
    sent, unsent = waves[1], waves[2] | waves[3]
    before = plan_beside(model, [SlateFilm(f, 200) for f in films], store, holdout=0.3, seed=2)
    assert before.summary["held_out_elsewhere"]["pairs"] == len(sent | unsent)
    body = withdraw(store, first, 1)
    n_unsent = sum(len(rows) for w, rows in waves.items() if w > 1)  # pairs are distinct here
    assert body["released_rows"] == n_unsent and body["sent_waves"] == 1
    assert body["plan_waves"] == 3 and not body["already"]
    after = plan_beside(model, [SlateFilm(f, 200) for f in films], store, holdout=0.3, seed=2)
    assert after.summary["held_out_elsewhere"]["pairs"] == len(sent)
    got = set(zip(after.rows.column("film_id").to_pylist(),
                  after.rows.column("user_id").to_pylist(), strict=True))
    assert not got & sent  # the sent wave's users stay out
    assert got & unsent  # the unsent waves' users are planned again: stored, not refused as
    store.save_plan(after.plan_id, after.summary, after.rows)  # a clash under the lock
    # the summary and the listing say so
    assert store.summary(first)["withdrawn"]["sent_waves"] == 1
    listed = {p["plan_id"]: p["withdrawn"] for p in store.list_plans()[1]}
    assert listed[first]["sent_waves"] == 1 and listed[after.plan_id] is None
    store.close()


def test_report_counts_the_sent_waves_and_refusals(world: tuple[Model, list[str]],
                                                   tmp_path: Path) -> None:
    model, films = world
    store = open_store(str(tmp_path / "store.db"))
    first = stored(store, model, films, 60, seed=1)
    never = stored(store, model, films, 30, seed=3, waves=2)
    with pytest.raises(UnknownPlanError):
        withdraw(store, "no-such-plan", 1)
    with pytest.raises(InvalidParameterError, match=r"sent_waves must be in \[0, 3\]"):
        withdraw(store, first, 4)
    withdraw(store, first, 2)
    report = campaign_report(store, first)
    assert report["sent_waves"] == 2 and report["waves_included"] == [1, 2]
    assert report["sent_waves_source"] == "withdrawn after 2 sent waves"
    with pytest.raises(InvalidParameterError, match=r"sent_waves must be in \[1, 2\], got 3"):
        campaign_report(store, first, sent_waves=3)
    assert campaign_report(store, first, sent_waves=1)["waves_included"] == [1]
    again = withdraw(store, first, 2)
    assert again["already"] and again["released_rows"] == sum(
        len(r) for w, r in rows_by_wave(store, first).items() if w > 2)
    with pytest.raises(WithdrawnPlanError, match="a withdrawal is final"):
        withdraw(store, first, 1)
    with pytest.raises(WithdrawnPlanError, match="has no next wave"):
        prepare_next_wave(model, store, first, sent_waves=1)
    withdraw(store, never, 0)
    with pytest.raises(InvalidParameterError, match="no wave was sent, so there is nothing"):
        campaign_report(store, never)
    store.close()


def test_a_next_wave_made_before_the_withdrawal_is_refused_after_it(
        world: tuple[Model, list[str]], store_target: str) -> None:
    model, films = world
    store = open_store(store_target)
    first = stored(store, model, films, 60, seed=1)
    pending = prepare_next_wave(model, store, first, sent_waves=1, progress=False)
    withdraw(store, first, 1)
    with pytest.raises(WithdrawnPlanError, match=f"plan {first} was withdrawn"):
        pending.save(store)
    assert [p["plan_id"] for p in store.list_plans()[1]] == [first]  # nothing stored
    store.close()


def test_a_chain_is_withdrawn_from_its_last_plan(world: tuple[Model, list[str]],
                                                 tmp_path: Path) -> None:
    model, films = world
    store = open_store(str(tmp_path / "store.db"))
    first = stored(store, model, films, 60, seed=1)
    nxt = plan_next_wave(model, store, first, sent_waves=2, waves=2, progress=False)
    with pytest.raises(WithdrawnPlanError,
                       match=f"has 1 next wave not withdrawn \\({nxt.plan_id}\\)"):
        withdraw(store, first, 2)
    body = withdraw(store, nxt.plan_id, 1)
    assert [(c["plan_id"], c["sent_waves"]) for c in body["chain"]] == [
        (nxt.plan_id, 1), (first, 2)]
    waves_a, waves_b = rows_by_wave(store, first), rows_by_wave(store, nxt.plan_id)
    assert body["chain"][1]["released_rows"] == len(waves_a.get(3, set()))
    assert body["released_rows"] == len(waves_a.get(3, set())) + len(waves_b.get(2, set()))
    kept = waves_a[1] | waves_a[2] | waves_b[1]
    later = plan_beside(model, [SlateFilm(f, 200) for f in films], store, holdout=0.3, seed=5)
    assert later.summary["held_out_elsewhere"]["pairs"] == len(kept)
    assert campaign_report(store, first)["sent_waves"] == 2
    # the copy carries the withdrawals: a plan made on it leaves out the same pairs
    copy = str(tmp_path / "copy.db")
    copy_store(str(tmp_path / "store.db"), copy)
    moved = open_store(copy)
    same = plan_beside(model, [SlateFilm(f, 200) for f in films], moved, holdout=0.3, seed=5)
    assert same.summary["held_out_elsewhere"]["pairs"] == len(kept)
    assert moved.summary(first)["withdrawn"] == store.summary(first)["withdrawn"]
    moved.close()
    store.close()


def test_cli_and_http(world: tuple[Model, list[str]], tmp_path: Path,
                      capsys: pytest.CaptureFixture[str]) -> None:
    model, films = world
    model_dir = artifact.save(model, tmp_path / "model")
    db = tmp_path / "store.db"
    store = open_store(str(db))
    first = stored(store, model, films, 60, seed=1)
    second = stored(store, model, films, 20, seed=2)
    store.close()
    code, out, err = run_cli(capsys, "campaign", "withdraw", first, "--sent-waves", "1",
                             "--store", db)
    assert code == 0, err
    assert out.startswith(f"withdrew plan {first} in sqlite:///{db} (") and \
        "wave 1 of 3 was sent" in out
    code, out, err = run_cli(capsys, "campaign", "withdraw", first, "--sent-waves", "2",
                             "--store", db)
    assert code == 2 and "a withdrawal is final" in err and not out
    code, out, err = run_cli(capsys, "campaign", "show", first, "--store", db)
    assert code == 0 and "note: withdrawn " in err and "after 1 sent wave(s)" in err
    tables_err = err
    # --json: the body on stdout in place of the tables, the notes beside it on stderr (as
    # plan --json); they were dropped
    code, out, err = run_cli(capsys, "campaign", "show", first, "--store", db, "--json")
    assert code == 0 and json.loads(out)["summary"]["withdrawn"]["sent_waves"] == 1
    assert err == tables_err
    code, out, err = run_cli(capsys, "campaign", "list", "--store", db)
    assert code == 0 and "withdrawn (after waves sent)" in out
    # the withdrawn column, "continues" (none: a first plan), then "continued in" (none: no
    # next wave continues it)
    assert [line.split()[-3:] for line in out.splitlines() if line.startswith(first)] == [
        ["1", "none", "none"]]
    code, out, err = run_cli(capsys, "campaign", "withdraw", first, "--sent-waves", "1",
                             "--store", db, "--json")
    assert code == 0, err
    cli_body = json.loads(out)
    settings = Settings(model_path=str(model_dir), store=str(db), read_keys="reader",
                        write_keys="writer")
    with TestClient(create_app(settings)) as client:
        url = f"/campaigns/{first}/withdraw"
        assert client.post(url, json={"sent_waves": 1},
                           headers={"X-API-Key": "reader"}).status_code == 403
        writer = {"X-API-Key": "writer"}
        r = client.post(url, json={"sent_waves": 1}, headers=writer)
        assert r.status_code == 200 and r.json() == cli_body and r.json()["already"]
        assert client.post(url, json={"sent_waves": 2}, headers=writer).status_code == 409
        assert client.post("/campaigns/nope/withdraw", json={"sent_waves": 0},
                           headers=writer).status_code == 404
        r = client.post(f"/campaigns/{second}/withdraw", json={"sent_waves": 4}, headers=writer)
        assert r.status_code == 422 and "[0, 3]" in r.json()["detail"]
        assert client.post(f"/campaigns/{second}/withdraw", json={"sent_waves": -1},
                           headers=writer).status_code == 422
        summary = client.get(f"/campaigns/{first}", headers=writer).json()["summary"]
        assert summary["withdrawn"]["sent_waves"] == 1
        r = client.post(f"/campaigns/{first}/next", json={}, headers=writer)
        assert r.status_code == 409 and "has no next wave" in r.json()["detail"]
        schema = client.get("/openapi.json", headers=writer).json()
        assert "409" in schema["paths"]["/campaigns/{plan_id}/withdraw"]["post"]["responses"]


def test_a_plan_above_is_withdrawn_once_no_next_wave_of_it_goes_on(
        world: tuple[Model, list[str]], tmp_path: Path) -> None:
    """Two next waves of one plan are re-plans, one of them sent: withdrawing the unsent one
    leaves the plan above alone (its campaign goes on in the other; it was recorded as
    withdrawn, its sent waves freed, with the wrong count); withdrawing the other then records
    it with the waves that one was planned after."""
    model, films = world
    store = open_store(str(tmp_path / "store.db"))
    first = stored(store, model, films, 60, seed=1)
    one = plan_next_wave(model, store, first, sent_waves=1, progress=False)
    two = plan_next_wave(model, store, first, sent_waves=2, progress=False)
    body = withdraw(store, one.plan_id, 0)
    assert [c["plan_id"] for c in body["chain"]] == [one.plan_id]
    assert "withdrawn" not in store.summary(first)
    with pytest.raises(WithdrawnPlanError, match=f"1 next wave not withdrawn \\({two.plan_id}"):
        withdraw(store, first, 3)
    body = withdraw(store, two.plan_id, 1)
    assert [(c["plan_id"], c["sent_waves"]) for c in body["chain"]] == [
        (two.plan_id, 1), (first, 2)]
    # a plan whose only next wave was withdrawn unsent is its own campaign still
    other = stored(store, model, films, 20, seed=8)
    unsent = plan_next_wave(model, store, other, sent_waves=2, progress=False)
    assert [c["plan_id"] for c in withdraw(store, unsent.plan_id, 0)["chain"]] == [
        unsent.plan_id]
    with pytest.raises(InvalidParameterError, match=f"at least 2 for plan {other}: its next "
                                                    f"wave {unsent.plan_id} was planned after 2"):
        withdraw(store, other, 1)  # a next wave was planned after 2 sent waves of it
    assert withdraw(store, other, 2)["chain"][0]["sent_waves"] == 2
    store.close()


def test_a_withdrawn_re_plan_holds_the_pairs_of_its_sent_waves(
        world: tuple[Model, list[str]], store_target: str) -> None:
    """Two next waves of one plan are re-plans (alternatives: each leaves the other's pairs
    alone). Once one is withdrawn after its first wave, that wave went out: a next wave
    planned after it leaves its pairs out, as any plan's (it took 87 of them in a probe:
    contacting its targets again and its controls), and is refused for them when stored."""
    model, films = world
    store = open_store(store_target)
    first = stored(store, model, films, 60, seed=1)
    sent = plan_next_wave(model, store, first, sent_waves=1, progress=False)
    plan_next_wave(model, store, first, sent_waves=1, progress=False)  # goes on
    withdraw(store, sent.plan_id, 1)
    waves = rows_by_wave(store, sent.plan_id)
    later = prepare_next_wave(model, store, first, sent_waves=1, progress=False)
    got = set(zip(later.plan.rows.column("film_id").to_pylist(),
                  later.plan.rows.column("user_id").to_pylist(), strict=True))
    assert not got & waves[1]
    assert sent.plan_id in later.plan.summary["held_out_elsewhere"]["plans"]
    later.save(store)
    store.close()


def test_a_next_wave_withdrawn_unsent_is_not_named_as_a_re_plan(
        world: tuple[Model, list[str]], tmp_path: Path) -> None:
    """A next wave withdrawn before any of its waves went out will never be sent: a next wave
    planned after it is the only one to send, and its warning ("send only one of them") named
    the withdrawn one; one withdrawn after a sent wave went out, and is still named."""
    model, films = world
    store = open_store(str(tmp_path / "store.db"))
    first = stored(store, model, films, 60, seed=1)
    unsent = plan_next_wave(model, store, first, sent_waves=1, progress=False)
    withdraw(store, unsent.plan_id, 0)
    alone = plan_next_wave(model, store, first, sent_waves=1, progress=False)
    assert "warning" not in alone.summary
    assert "warning" not in store.summary(alone.plan_id)
    again = plan_next_wave(model, store, first, sent_waves=1, progress=False)
    assert again.summary["warning"].startswith(
        f"plan {first} already has 1 next wave ({alone.plan_id})")
    # one planned while another was there, stored after that one was withdrawn unsent
    other = stored(store, model, films, 20, seed=8)
    gone = plan_next_wave(model, store, other, sent_waves=1, progress=False)
    late = prepare_next_wave(model, store, other, sent_waves=1, progress=False)
    assert gone.plan_id in late.plan.summary["warning"]
    withdraw(store, gone.plan_id, 0)
    late.save(store)
    assert "warning" not in late.plan.summary
    assert "warning" not in store.summary(late.plan.plan_id)
    store.close()


def test_campaign_show_names_every_next_wave(world: tuple[Model, list[str]],
                                             store_target: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """``campaign show``'s tables named none of the next waves its --json (and GET
    /campaigns/{plan_id}) lists: each is said beside them, withdrawn or not. Oracle: the next
    waves as planned and withdrawn here."""
    model, films = world
    store = open_store(store_target)
    first = stored(store, model, films, 60, seed=1)
    one = plan_next_wave(model, store, first, sent_waves=1, progress=False).plan_id
    two = plan_next_wave(model, store, first, sent_waves=2, progress=False).plan_id
    gone = withdraw(store, two, 0)
    store.close()
    code, out, err = run_cli(capsys, "campaign", "show", first, "--store", store_target)
    assert code == 0, err
    notes = [line for line in err.splitlines() if line.startswith("note: next wave ")]
    assert notes == [
        f"note: next wave {two} planned after 2 sent wave(s): withdrawn {gone['at']} after 0 "
        "of its own sent wave(s)",
        f"note: next wave {one} planned after 1 sent wave(s): the campaign goes on in it"]
    code, out, json_err = run_cli(capsys, "campaign", "show", first, "--store", store_target,
                                  "--json")
    assert code == 0 and json_err == err  # the same notes beside the body
    assert [n["plan_id"] for n in json.loads(out)["summary"]["next_waves"]] == [two, one]
