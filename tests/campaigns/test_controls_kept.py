"""A plan stored beside others leaves out the (film, user) pairs they select for its films, as
controls (a second campaign contacted a first one's controls, and the first one's report
measured its targets against contacted users) or as targets (the second campaign held out as
its controls users the first one contacts, its later waves too), and keeps them in the films'
rankings: every other pair is planned as it is without them (oracle: the same plan made without
a store, and the rows read back with ``sqlite3``)."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli, train_folder

from recommender.campaigns.controls import plan_beside
from recommender.campaigns.next_wave import plan_next_wave
from recommender.campaigns.plan import plan_slate
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import open_store
from recommender.errors import PlansClashError
from recommender.io import demo
from recommender.model import artifact
from recommender.model.model import Model
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Model, list[str]]:
    folder = demo.generate(tmp_path_factory.mktemp("controls") / "data", seed=5, n_users=600,
                           n_films=60, n_interactions=9_000)
    model = train_folder(folder, factors=8, iterations=4, segments=3)
    films = model.films.ids[np.argsort(model.film_counts(), kind="stable")[20:23]].tolist()
    return folder, model, films


def controls_of(db: Path, plan_id: str, group: str = "control") -> set[tuple[str, str]]:
    """The (film, user) pairs of ``plan_id``'s rows of ``group`` ("" for every row)."""
    with sqlite3.connect(db) as conn:
        return set(conn.execute("SELECT film_id, user_id FROM campaign_plan_rows WHERE plan_id = ? "
                                "AND group_name LIKE ?", (plan_id, group or "%")).fetchall())


def csv_pairs(text: str) -> set[tuple[str, str]]:
    """The (film_id, user_id) pairs of a plan's CSV (``PLAN_COLUMNS``: plan_id first)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    return {(r["film_id"], r["user_id"]) for r in rows}


def pairs(rows: object) -> dict[tuple[str, str], tuple[int, float, str]]:
    d = rows.to_pydict()  # type: ignore[attr-defined]
    return {(f, u): (r, p, g) for f, u, r, p, g in zip(
        d["film_id"], d["user_id"], d["rank"], d["p"], d["group"], strict=True)}


def test_a_second_plan_leaves_the_first_ones_controls_alone(
        world: tuple[Path, Model, list[str]], tmp_path: Path) -> None:
    _, model, films = world
    db = tmp_path / "store.db"
    store = open_store(str(db))
    first = plan_beside(model, [SlateFilm(f, 40) for f in films], store, holdout=0.3, seed=1)
    store.save_plan(first.plan_id, first.summary, first.rows)
    assert first.summary["held_out_elsewhere"]["pairs"] == 0
    held = controls_of(db, first.plan_id, "")
    assert len(controls_of(db, first.plan_id)) > 20
    slate = [SlateFilm(f, 150) for f in films[:2]]  # a second campaign of two of its films
    second = plan_beside(model, slate, store, holdout=0.3, seed=2)
    got = pairs(second.rows)
    mine = {(f, u) for f, u in held if f in films[:2]}
    assert not mine & set(got)  # none of them planned, as a target or a control
    info = second.summary["held_out_elsewhere"]
    assert info["pairs"] == len(mine) and info["plans"] == [first.plan_id]
    # the others keep the rank and p the film's audience gives them: the plan without the
    # store, less the held-out pairs, is planned from the same candidates in the same order
    bare = plan_slate(model, slate, holdout=0.3, seed=2)
    same = {k: v[:2] for k, v in pairs(bare.rows).items() if k not in mine}
    assert all(got[k][:2] == same[k] for k in got if k in same)
    assert len(got) == second.rows.num_rows
    # a next wave of the second plan keeps clear of the first's controls too
    store.save_plan(second.plan_id, second.summary, second.rows)
    nxt = plan_next_wave(model, store, second.plan_id, sent_waves=1, seed=3)
    assert not mine & set(pairs(nxt.rows)) and nxt.summary["held_out_elsewhere"]["pairs"] > 0
    assert first.plan_id in nxt.summary["held_out_elsewhere"]["plans"]
    assert second.plan_id not in nxt.summary["held_out_elsewhere"]["plans"]  # its own chain
    store.close()


def test_cli_and_http_leave_them_out(world: tuple[Path, Model, list[str]], tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    _, model, films = world
    model_dir = artifact.save(model, tmp_path / "model")
    db = tmp_path / "store.db"
    (tmp_path / "slate.csv").write_text("film_id,budget\n" + "".join(f"{f},40\n" for f in films))
    code, _, err = run_cli(capsys, "plan", model_dir, "--slate", tmp_path / "slate.csv",
                           "--out", tmp_path / "a.csv", "--store", db, "--holdout", "0.3")
    assert code == 0, err
    with sqlite3.connect(db) as conn:
        (first,) = conn.execute("SELECT plan_id FROM campaign_plans").fetchone()
    held = controls_of(db, first, "")
    code, _, err = run_cli(capsys, "plan", model_dir, "--slate", tmp_path / "slate.csv",
                           "--out", tmp_path / "b.csv", "--store", db, "--seed", "4")
    assert code == 0, err
    assert f"note: {len(held):,} (film, user) pairs contacted or held out as controls by 1 " \
           f"other stored plan(s) ({first}) left out" in err
    planned = csv_pairs((tmp_path / "b.csv").read_text())
    assert len(planned) > 50 and not held & planned
    assert held & csv_pairs((tmp_path / "a.csv").read_text())  # the oracle reads what it should
    with TestClient(create_app(Settings(model_path=str(model_dir), store=str(db)))) as client:
        r = client.post("/campaigns/plan", json={"films": [{"film_id": f, "budget": 40}
                                                          for f in films], "seed": 9})
        assert r.status_code == 200, r.text
        info = r.json()["summary"]["held_out_elsewhere"]
        assert info["pairs"] >= len(held) and first in info["plans"]
        # a note marketers read (the Studio shows it): what was done and why, no source path
        assert info["note"].endswith("left out of this plan, so that no plan's control group "
                                     "is contacted for its film and every report stays "
                                     "measurable") and ".py" not in info["note"]
        planned = csv_pairs(client.get(f"/campaigns/{r.json()['plan_id']}/plan.csv").text)
    assert len(planned) > 50 and not held & planned


def test_a_second_plan_holds_out_none_of_the_first_ones_contacts(
        world: tuple[Path, Model, list[str]], tmp_path: Path) -> None:
    """The second campaign's controls were the first one's targets for the film (63 of 76 in a
    probe, 42 of them in the first plan's waves 2 and 3, sent after the second was made): its
    control group was contacted for its film. A first plan with no control group at all
    (holdout 0) is left alone as well, and one stored while the second was made is refused."""
    _, model, films = world
    db = tmp_path / "store.db"
    store = open_store(str(db))
    slate = [SlateFilm(f, 40) for f in films]
    early = plan_beside(model, slate, store, holdout=0.3, seed=2)  # made before the first
    first = plan_beside(model, slate, store, holdout=0.0, waves=3, seed=1)
    store.save_plan(first.plan_id, first.summary, first.rows)
    contacted = controls_of(db, first.plan_id, "target")
    assert len(contacted) == 120 and not controls_of(db, first.plan_id)
    assert contacted & pairs_of(early.rows, "control")  # the harm, had it been stored
    with pytest.raises(PlansClashError, match=first.plan_id):
        store.save_plan(early.plan_id, early.summary, early.rows)
    second = plan_beside(model, slate, store, holdout=0.3, seed=2)
    assert not contacted & set(pairs(second.rows))  # held out or contacted: neither
    assert second.summary["held_out_elsewhere"]["pairs"] == len(contacted)
    store.save_plan(second.plan_id, second.summary, second.rows)
    store.close()


def pairs_of(rows: object, group: str) -> set[tuple[str, str]]:
    return {k for k, v in pairs(rows).items() if v[2] == group}
