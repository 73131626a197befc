"""An opt-out list keyed by the pseudonyms of a pseudonymised plan is refused, not ignored.

A plan sent out with ``--pseudonymize`` reaches a party that knows each user only as ``p-`` and
an HMAC; the opt-outs it sends back are those pseudonyms. Each was read as an id the model
does not know: a warning, and the person it stood for was planned again (20 of 20 demo users
who opted out were in the next plan's rows)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import synthetic_model
from service_fixtures import save_model

from recommender.campaigns.plan import plan_slate
from recommender.campaigns.slate import SlateFilm
from recommender.errors import InvalidParameterError
from recommender.model.model import Model
from recommender.query.pseudonym import pseudonym
from service.app import create_app
from service.settings import Settings

KEY = b"0123456789abcdef-opt-outs"


@pytest.fixture(scope="module")
def model() -> Model:
    return synthetic_model(n_users=120, n_films=10, seed=5)


@pytest.mark.parametrize("cell", ["{}", '"{}"', "'{}", " {} "])
def test_a_pseudonymised_opt_out_is_refused(model: Model, cell: str) -> None:
    slate = [SlateFilm(str(model.films.ids[0]), 30)]
    planned = plan_slate(model, slate)
    first = str(planned.rows.column("user_id")[0].as_py())
    opt_out = cell.format(pseudonym(first, KEY))  # as a plan CSV's cell holds it
    refused = r"1 opt-out id is a pseudonym .* \(nothing was planned\)"
    with pytest.raises(InvalidParameterError, match=refused):
        plan_slate(model, slate, exclude=[str(model.users.ids[5]), opt_out])
    # raw ids, and ids of another form the model does not know, are planned as before
    again = plan_slate(model, slate, exclude=[first, "p-123", "unknown"])
    assert first not in again.rows.column("user_id").to_pylist()
    assert again.summary["parameters"]["excluded_unknown_users"] == 2


def test_a_model_whose_users_are_named_so_keeps_them() -> None:
    base = synthetic_model(n_users=60, n_films=8, seed=3)
    from recommender.query.pseudonym import pseudonymous_users

    named = pseudonymous_users(base, KEY)  # its users' ids are of the pseudonym form
    slate = [SlateFilm(str(named.films.ids[0]), 10)]
    user = str(named.users.ids[0])
    plan = plan_slate(named, slate, exclude=[user])
    assert user not in plan.rows.column("user_id").to_pylist()


def test_post_plan_refuses_a_pseudonymised_opt_out(tmp_path: Path) -> None:
    settings = Settings(model_path=str(save_model(tmp_path / "model")),
                        store=str(tmp_path / "store.db"), warm_cache=False)
    with TestClient(create_app(settings)) as client:
        film = client.get("/films", params={"limit": 1}).json()["films"][0]["film_id"]
        body = {"films": [{"film_id": film, "budget": 5}],
                "exclude_user_ids": [pseudonym("u5", KEY)]}
        r = client.post("/campaigns/plan", json=body)
        assert r.status_code == 422, r.text
        assert "opt-out id is a pseudonym" in r.json()["detail"]
        assert client.get("/campaigns").json()["plans"] == []  # nothing stored
