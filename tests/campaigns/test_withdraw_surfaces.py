"""``campaign withdraw`` as the other surfaces see it: ``campaign simulate`` draws no responses
for a wave a withdrawal says never goes out; the answer to the same withdrawal again is the
first one's (its whole chain, ``already`` true), through the CLI and HTTP, the CLI naming the
store; the schema says what ``withdrawn`` is; a refusal names the next wave whose withdrawal
recorded the plan."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli, train_folder

from recommender.campaigns.controls import plan_beside
from recommender.campaigns.next_wave import plan_next_wave, prepare_next_wave
from recommender.campaigns.report import campaign_report
from recommender.campaigns.simulate import stored_wave_responses
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import CampaignStore, open_store
from recommender.campaigns.withdraw import WithdrawnPlanError, withdraw
from recommender.errors import InvalidParameterError
from recommender.io import demo
from recommender.model.model import Model


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Model, list[str], Path]:
    folder = demo.generate(tmp_path_factory.mktemp("withdrawn") / "data", seed=7,
                           n_users=600, n_films=60, n_interactions=9_000)
    model = train_folder(folder, factors=8, iterations=4, segments=3)
    films = model.films.ids[np.argsort(model.film_counts(), kind="stable")[20:23]].tolist()
    return model, films, folder


def stored(store: CampaignStore, model: Model, films: list[str], seed: int) -> str:
    plan = plan_beside(model, [SlateFilm(f, 60) for f in films], store, holdout=0.3,
                       seed=seed, waves=3, progress=False)
    store.save_plan(plan.plan_id, plan.summary, plan.rows)
    return plan.plan_id


def test_simulate_refuses_a_wave_never_sent(world: tuple[Model, list[str], Path],
                                            tmp_path: Path) -> None:
    model, films, folder = world
    store = open_store(str(tmp_path / "store.db"))
    plan_id = stored(store, model, films, seed=1)
    withdraw(store, plan_id, 1)
    assert stored_wave_responses(folder, model, store, plan_id, 1)["events"]
    with pytest.raises(InvalidParameterError, match=f"plan {plan_id} was withdrawn .* after "
                       "wave 1 was sent: wave 2 never goes out"):
        stored_wave_responses(folder, model, store, plan_id, 2)
    never = stored(store, model, films, seed=2)
    withdraw(store, never, 0)
    with pytest.raises(InvalidParameterError, match="after no wave was sent: wave 1 never"):
        stored_wave_responses(folder, model, store, never, 1)
    store.close()


def test_the_same_withdrawal_again_answers_its_chain(world: tuple[Model, list[str], Path],
                                                     tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    model, films, _ = world
    db = tmp_path / "store.db"
    store = open_store(str(db))
    first = stored(store, model, films, seed=1)
    nxt = plan_next_wave(model, store, first, sent_waves=2, waves=2, progress=False)
    body = withdraw(store, nxt.plan_id, 1)
    assert [c["plan_id"] for c in body["chain"]] == [nxt.plan_id, first]
    again = withdraw(store, nxt.plan_id, 1)
    assert again == {**body, "already": True}
    store.close()
    code, out, err = run_cli(capsys, "campaign", "withdraw", nxt.plan_id, "--sent-waves", "1",
                             "--store", db, "--json")
    assert code == 0, err
    assert json.loads(out) == again
    code, out, err = run_cli(capsys, "campaign", "withdraw", nxt.plan_id, "--sent-waves", "1",
                             "--store", db)
    assert code == 0 and f"earlier plan {first} of its chain" in out


def test_the_schema_says_withdrawn(world: tuple[Model, list[str], Path], tmp_path: Path
                                   ) -> None:
    """``GET /campaigns`` and ``GET /campaigns/{plan_id}`` carry ``withdrawn``: their schema
    says what it is."""
    from fastapi.testclient import TestClient

    from recommender.model import artifact
    from service.app import create_app
    from service.settings import Settings

    model, _, _ = world
    settings = Settings(model_path=str(artifact.save(model, tmp_path / "model")),
                        store=str(tmp_path / "store.db"))
    with TestClient(create_app(settings)) as client:
        schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert "``withdrawn`` is null, or {sent_waves, at, via}" in schemas["PlanList"][
        "properties"]["plans"]["description"]
    assert "``withdrawn`` ({sent_waves, at, via}) once the plan was withdrawn" in schemas[
        "PlanCreated"]["properties"]["summary"]["description"]


def test_the_cli_says_which_store(world: tuple[Model, list[str], Path], tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI's answer names the store it recorded the withdrawal in (as ``plan --store``
    and ``campaign next`` name theirs), and an earlier plan's sent waves in words."""
    model, films, _ = world
    db = tmp_path / "store.db"
    store = open_store(str(db))
    first = stored(store, model, films, seed=1)
    nxt = plan_next_wave(model, store, first, sent_waves=1, waves=2, progress=False)
    store.close()
    for already in (False, True):
        code, out, err = run_cli(capsys, "campaign", "withdraw", nxt.plan_id, "--sent-waves",
                                 "1", "--store", db)
        assert code == 0, err
        said = f"plan {nxt.plan_id} was withdrawn already" if already else \
            f"withdrew plan {nxt.plan_id}"
        assert out.startswith(f"{said} in sqlite:///{db} (")
        assert f"earlier plan {first} of its chain: 1 wave sent" in out


def test_a_refusal_names_the_next_wave_that_recorded_it(world: tuple[Model, list[str], Path],
                                                         tmp_path: Path) -> None:
    """A plan recorded as withdrawn when its next wave was withdrawn says so when refused (it
    read as withdrawn by hand), and a smaller count is refused for what it would undo (it
    said later plans could have taken pairs back, which a smaller count gives back)."""
    model, films, _ = world
    store = open_store(str(tmp_path / "store.db"))
    first = stored(store, model, films, seed=1)
    nxt = plan_next_wave(model, store, first, sent_waves=2, waves=2, progress=False)
    withdraw(store, nxt.plan_id, 1)
    recorded = f"recorded when its next wave {nxt.plan_id} was withdrawn"
    with pytest.raises(WithdrawnPlanError, match=f"after 2 sent waves, .*, {recorded}\\); a "
                       "withdrawal is final: later plans may have selected"):
        withdraw(store, first, 3)
    with pytest.raises(WithdrawnPlanError, match=f"{recorded}\\); a withdrawal is final: the "
                       "waves it said were sent keep their pairs"):
        withdraw(store, first, 1)
    with pytest.raises(WithdrawnPlanError, match=f"{recorded}\\): its campaign is over"):
        prepare_next_wave(model, store, first, sent_waves=2, progress=False)
    with pytest.raises(InvalidParameterError, match=f"{recorded}\\): sent_waves must be"):
        campaign_report(store, first, sent_waves=3)
    with pytest.raises(WithdrawnPlanError, match="after 1 sent wave, [^,]*\\); a withdrawal"):
        withdraw(store, nxt.plan_id, 2)  # withdrawn by name: no 'recorded when'
    store.close()


def test_the_cli_counts_the_plans_own_rows_apart(world: tuple[Model, list[str], Path],
                                                 tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A next wave's withdrawal gives back its chain's rows too: the CLI's first line gives the
    plan's own count (it said the chain's total as the plan's, more rows than the plan holds)
    and the total beside it, each earlier plan's count on its own line."""
    model, films, _ = world
    db = tmp_path / "store.db"
    store = open_store(str(db))
    first = stored(store, model, films, seed=1)
    nxt = plan_next_wave(model, store, first, sent_waves=1, waves=2, progress=False)
    body = withdraw(store, nxt.plan_id, 1)
    store.close()
    own, earlier = (link["released_rows"] for link in body["chain"])
    assert own > 0 and earlier > 0 and body["released_rows"] == own + earlier
    code, out, err = run_cli(capsys, "campaign", "withdraw", nxt.plan_id, "--sent-waves", "1",
                             "--store", db)
    assert code == 0, err
    head = out.splitlines()[0]
    assert f"{own:,} (film, user) rows of its unsent waves ({own + earlier:,} with its " \
           "chain's earlier plans below)" in head
    assert f"{earlier:,} rows of its unsent waves given back" in out.splitlines()[1]
