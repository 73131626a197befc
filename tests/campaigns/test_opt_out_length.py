"""An opt-out longer than a user id may be is refused before planning, with what and why.

PostgreSQL's index of a plan's opt-outs refused one of about 2.7 kB as the plan was stored
(``POST /campaigns/plan`` answered 503 "retry in 5 s", and failed every time; the CLI said
another process might hold the store), while a SQLite store kept it and then could not be
copied to PostgreSQL. No user has such an id: training and events refuse ids past
``convert.MAX_ID_BYTES``."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli, synthetic_model

from recommender.campaigns.plan import plan_slate
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import open_store
from recommender.errors import InvalidParameterError
from recommender.io.convert import MAX_ID_BYTES
from recommender.model import artifact
from recommender.model.model import Model


@pytest.fixture(scope="module")
def model() -> Model:
    return synthetic_model(n_users=120, n_films=10, seed=5)


def test_an_opt_out_longer_than_an_id_is_refused_saying_so(model: Model) -> None:
    slate = [SlateFilm(str(model.films.ids[0]), 5)]
    for long in ("x" * (MAX_ID_BYTES + 1), "é" * (MAX_ID_BYTES // 2 + 1)):  # bytes, not chars
        with pytest.raises(InvalidParameterError, match=f"longer than the {MAX_ID_BYTES:,}"):
            plan_slate(model, slate, exclude=["u-ok", long])


def test_the_longest_opt_out_is_planned_and_stored(model: Model, store_target: str) -> None:
    longest = ["😀" * (MAX_ID_BYTES // 4), "y" * MAX_ID_BYTES]  # 1000 bytes each in UTF-8
    plan = plan_slate(model, [SlateFilm(str(model.films.ids[0]), 5)], exclude=longest)
    assert plan.summary["parameters"]["excluded_unknown_users"] == 2
    store = open_store(store_target)
    try:
        store.save_plan(plan.plan_id, plan.summary, plan.rows, excluded=longest)
        assert store.excluded(plan.plan_id) == sorted(longest)
    finally:
        store.close()


def test_the_cli_refuses_such_an_opt_out_without_calling_it_a_typo(
        model: Model, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``plan --exclude`` said "warning: 1 opt-out id ... is not a user of the model (a typo
    would leave the person it meant in the plan): 'xxxx...'", the whole id of over a thousand
    characters, before the refusal that planned nothing: now the refusal alone, for a
    pseudonym the model does not know too."""
    folder = artifact.save(model, tmp_path / "model")
    slate = tmp_path / "slate.csv"
    slate.write_text(f"film_id,budget\n{model.films.ids[0]},5\n")
    for i, bad in enumerate(("x" * (MAX_ID_BYTES + 1), "p-" + "0" * 64)):
        opt_outs = tmp_path / f"optouts{i}.txt"
        opt_outs.write_text(f"u-not-a-user\n{bad}\n")
        code, _, err = run_cli(capsys, "plan", folder, "--slate", slate, "--out",
                               tmp_path / "plan.csv", "--exclude", opt_outs)
        assert code == 2 and err.startswith("error: "), err
        assert "warning" not in err and len(err) < 800, err
    assert not (tmp_path / "plan.csv").exists()
