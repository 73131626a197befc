"""Lookalike seeds and comparable films with nothing fitted, beside fitted ones, are left out
of the mean taste and said: the page's note counts and names them, and the body says what the
mean is of (``seeds_used``, ``comparable_films``), on the library, HTTP and the CLI alike.

Oracles: the planted ratings (``LOW``'s every rating is below min_rating, the films only LOW
watched), the model's own zero vectors, and the same query without the blank ids.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli

from recommender.model import artifact
from recommender.model.model import Model
from recommender.model.training import train
from recommender.query.audience import cold_start_page, lookalikes
from service.app import create_app
from service.settings import Settings
from tests.query.test_nothing_fitted import CONFIG, LOW, ONLY_LOW, log


@pytest.fixture(scope="module")
def plain() -> Model:
    return train(log(), CONFIG, progress=False)


def test_a_blank_seed_beside_fitted_ones_is_named_and_not_counted(plain: Model) -> None:
    fitted = [str(u) for u in plain.users.ids[:3] if str(u) != LOW][:2]
    assert plain.nothing_fitted(plain.user_factors[plain.user_index(LOW)], "users")
    page, unknown = lookalikes(plain, [fitted[0], LOW, fitted[1]], k=plain.n_users)
    alone, _ = lookalikes(plain, fitted, k=plain.n_users)
    assert unknown == []
    # the blank seed is excluded from the candidates (it is a seed) but adds no taste
    keep = alone.user_ids != LOW
    assert page.user_ids.tolist() == alone.user_ids[keep].tolist()
    np.testing.assert_allclose(page.score, alone.score[keep], atol=1e-6)
    body = page.to_json()
    assert body["seeds_used"] == 2 and body["unfitted_seed_ids"] == [LOW]
    assert "1 of the 3 seed users" in page.note and repr(LOW) in page.note
    assert "other 2 seed users" in page.note
    assert alone.note is None and alone.to_json()["unfitted_seed_ids"] == []


def test_a_blank_comparable_film_beside_a_fitted_one_is_left_out_and_named(
        plain: Model) -> None:
    blank, known = ONLY_LOW[0], str(plain.films.ids[0])
    page, unknown = cold_start_page(plain, {blank: 2.0, known: 1.0}, k=plain.n_users)
    alone, _ = cold_start_page(plain, [known], k=plain.n_users)
    assert unknown == []
    # the scores were halved (a third, with weight 2) by the zero vector averaged in
    np.testing.assert_allclose(page.score, alone.score, atol=1e-6)
    body = page.to_json()
    assert body["comparable_films"] == {known: 1.0}
    assert body["unfitted_film_ids"] == [blank] and body["genres"] == []
    assert "1 of the 2 comparable films" in page.note and repr(blank) in page.note
    assert alone.note is None and alone.to_json()["comparable_films"] == {known: 1.0}
    # every comparable blank: the ranking is in no order (the old note), nothing left out
    both, _ = cold_start_page(plain, list(ONLY_LOW), k=5)
    assert both.to_json()["comparable_films"] == dict.fromkeys(ONLY_LOW, 1.0)
    assert "left out" not in both.note


def test_http_and_the_cli_say_the_same(plain: Model, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    folder = artifact.save(plain, tmp_path / "m")
    one = next(str(u) for u in plain.users.ids if str(u) != LOW)
    known = str(plain.films.ids[0])
    with TestClient(create_app(Settings(model_path=str(folder), warm_cache=False))) as client:
        look = client.post("/audiences/lookalike",
                           json={"seed_user_ids": [LOW, one], "k": 5}).json()
        cold = client.post("/audiences/cold-start",
                           json={"comparable_film_ids": [ONLY_LOW[0], known], "k": 5}).json()
    assert look["seeds_used"] == 1 and look["unfitted_seed_ids"] == [LOW] and look["note"]
    assert cold["unfitted_film_ids"] == [ONLY_LOW[0]] and cold["note"]
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(f"{LOW}\n{one}\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "lookalike", folder, "--seeds", seeds, "--k", 5, "--json")
    assert code == 0, err
    assert json.loads(out) == look
    code, out, err = run_cli(capsys, "cold-start", folder, "--like", ONLY_LOW[0], known,
                             "--k", 5, "--json")
    assert code == 0, err
    assert json.loads(out) == cold
    code, out, _ = run_cli(capsys, "lookalike", folder, "--seeds", seeds, "--k", 5)
    assert f"warning: {look['note']}" in out and "taste of 1" in out
    code, out, _ = run_cli(capsys, "cold-start", folder, "--like", ONLY_LOW[0], known, "--k", 5)
    assert f"warning: {cold['note']}" in out
