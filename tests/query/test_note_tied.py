"""A lookalike's and a cold start's ``tied`` says which note the page carries: the tie's (every
candidate scores the same, the users in no order) or the one naming the seeds or comparable
films left out of the mean taste of a ranked audience. The Studio told them apart by the
note's words. The library, HTTP (and its schema) and ``--json`` say the same.

Oracles: the planted ratings (``LOW``'s every rating is below min_rating, ``ONLY_LOW`` films
only LOW watched: nothing fitted), and the whole ranking's scores (all equal, or not).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli

from recommender.model import artifact
from recommender.model.model import Model
from recommender.model.training import train
from recommender.query import audience
from recommender.query.audience import cold_start_page, lookalikes
from recommender.query.pages import UNRANKED_LOOKALIKE, UNRANKED_QUERY
from service.app import create_app
from service.settings import Settings
from tests.query.test_nothing_fitted import CONFIG, LOW, ONLY_LOW, log


@pytest.fixture(scope="module")
def plain() -> Model:
    return train(log(), CONFIG, progress=False)


def _all_equal(page: Any) -> bool:
    """Whether the whole ranking (a page of every candidate) scores the same."""
    return bool(len(page.score) > 1 and np.ptp(np.asarray(page.score, np.float64)) == 0)


def _cases(plain: Model) -> dict[str, tuple[str, list[str], bool]]:
    """Each case's query, its seeds or comparable films, and whether it is tied."""
    one = next(str(u) for u in plain.users.ids if str(u) != LOW)
    known = str(plain.films.ids[0])
    return {"lookalike tied": ("lookalike", [LOW], True),
            "lookalike left out": ("lookalike", [LOW, one], False),
            "lookalike ranked": ("lookalike", [one], False),
            "cold tied": ("cold", list(ONLY_LOW), True),
            "cold left out": ("cold", [ONLY_LOW[0], known], False),
            "cold ranked": ("cold", [known], False)}


def _page(model: Model, kind: str, ids: list[str], k: int) -> Any:
    return (lookalikes(model, ids, k=k) if kind == "lookalike"
            else cold_start_page(model, ids, k=k))[0]


def test_the_library_says_which_note_it_is(plain: Model) -> None:
    for name, (kind, ids, tied) in _cases(plain).items():
        page = _page(plain, kind, ids, plain.n_users)
        assert _all_equal(page) is tied, name  # the oracle agrees with the planted case
        assert page.to_json()["tied"] is tied, name
        if tied:
            said = UNRANKED_LOOKALIKE if kind == "lookalike" else UNRANKED_QUERY
            assert page.note == said, name
        elif "left out" in name:
            assert page.note and "left out of the mean taste" in page.note, name
        else:
            assert page.note is None, name


def test_a_tie_beside_a_left_out_film_says_the_tie(plain: Model,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Every candidate tied while some comparable films are left out (a ranking the test
    ties): the note is the tie's, as a lookalike's was, and ``tied`` true (the cold start's
    note named the films left out, and a client would read a ranked audience)."""
    monkeypatch.setattr(audience, "tie_note", lambda *a, **kw: UNRANKED_QUERY)
    known = str(plain.films.ids[0])
    cold, _ = cold_start_page(plain, [ONLY_LOW[0], known], k=5)
    assert cold.note == UNRANKED_QUERY and cold.to_json()["tied"] is True
    assert cold.to_json()["unfitted_film_ids"] == [ONLY_LOW[0]]  # still named there
    one = next(str(u) for u in plain.users.ids if str(u) != LOW)
    look, _ = lookalikes(plain, [LOW, one], k=5)
    assert look.note == UNRANKED_LOOKALIKE and look.to_json()["tied"] is True


def test_http_and_the_cli_json_carry_the_same_flag(plain: Model, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = artifact.save(plain, tmp_path / "m")
    cases = _cases(plain)
    with TestClient(create_app(Settings(model_path=str(folder), warm_cache=False))) as client:
        schema = client.get("/openapi.json").json()["components"]["schemas"]
        bodies = {name: client.post(
            "/audiences/lookalike" if kind == "lookalike" else "/audiences/cold-start",
            json={"seed_user_ids" if kind == "lookalike" else "comparable_film_ids": ids,
                  "k": 5}).json() for name, (kind, ids, _) in cases.items()}
    for model_name in ("LookalikeAudience", "ColdStartAudience"):
        tied = schema[model_name]["properties"]["tied"]
        assert tied["type"] == "boolean" and "same" in tied["description"], model_name
        assert "tied" in schema[model_name]["required"], model_name
    for name, (kind, ids, tied) in cases.items():
        assert bodies[name]["tied"] is tied, name
        if kind == "lookalike":
            seeds = tmp_path / "seeds.txt"
            seeds.write_text("".join(f"{s}\n" for s in ids), encoding="utf-8")
            code, out, err = run_cli(capsys, "lookalike", folder, "--seeds", seeds, "--k", 5,
                                     "--json")
        else:
            code, out, err = run_cli(capsys, "cold-start", folder, "--like", *ids, "--k", 5,
                                     "--json")
        assert code == 0, err
        assert json.loads(out) == bodies[name], name


def test_a_lookalikes_tie_and_rank_are_said_in_a_lookalikes_words(plain: Model) -> None:
    """A lookalike page has no conversions: its tie note said "the rings' conversions say
    nothing of them", and the schema's rank "1 = most likely to watch"; both now say what a
    lookalike's rank is, the likeness to the seeds."""
    from service.schemas import AudienceUser

    tied = next(ids for kind, ids, t in _cases(plain).values() if kind == "lookalike" and t)
    page = _page(plain, "lookalike", tied, 5)
    assert page.note == UNRANKED_LOOKALIKE and "conversion" not in page.note
    assert "most like the seeds" in page.note
    cold = next(ids for kind, ids, t in _cases(plain).values() if kind != "lookalike" and t)
    assert _page(plain, "cold", cold, 5).note == UNRANKED_QUERY  # cold start's, as before
    rank = AudienceUser.model_json_schema()["properties"]["rank"]["description"]
    assert "most likely to watch" in rank and "on a lookalike page the one most like the " \
        "seeds" in rank
