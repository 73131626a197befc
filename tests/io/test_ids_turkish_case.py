"""An unknown id that is a known one but for Turkish upper and lower case (`İREM` for `İrem`,
`İSTANBUL-01` for `İstanbul-01`) is named in the "did you mean" of its error: it was told
only "unknown user_id 'İREM'", the stored ids lower-cased by Arrow (İ is i) and the typed
one by Python's ``str.lower`` (İ is i and a combining dot above). CLI, HTTP 404 and a
lookalike's ``unknown_seed_hints`` alike; ids still matched byte for byte. A dotless ı is
read as i for the hint (`KIŞ` names `kış`: Arrow lower-cases I as i, and named none).

Oracle: the ids set by the test, and each pair's lower case written out by hand.
"""

from __future__ import annotations

import random
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from small_logs import small_model

from recommender.io.ids import IdMap
from service.app import create_app
from service.settings import Settings

USERS = ["İrem", "Işık", "ali", *(f"u{i:03d}" for i in range(37))]
FILMS = [("İstanbul-01", "Istanbul", 2010), ("f-1", "Film 1", 2000), ("f-2", "Film 2", 2001)]


@pytest.mark.parametrize(("stored", "typed"), [
    ("İrem", "İREM"), ("İrem", "irem"), ("İrem", " İREM "), ("İREM", "irem"),
    ("İstanbul-01", "İSTANBUL-01"), ("İstanbul-01", "istanbul-01"), ("ALİ", "ali"),
    ("kış", "KIŞ"), ("Işık", "IŞIK"), ("ışık", "IŞIK"), ("kış", "kiş"),
])
def test_turkish_capitals_are_suggested(stored: str, typed: str) -> None:
    ids = IdMap(["x", stored, "y"])
    assert ids.same_case(typed) == [stored]
    assert ids.did_you_mean([typed]) == f"; did you mean {stored!r}?"


def test_a_dotless_i_names_each_id_of_its_letters() -> None:
    ids = IdMap(["Işık", "ışık", "kış"])
    assert sorted(ids.same_case("IŞIK")) == ["Işık", "ışık"]
    assert ids.same_case("KIŞ") == ["kış"]
    assert ids.same_case("Işık") == ["ışık"]
    assert ids.to_index(["IŞIK", "KIŞ"], strict=False).tolist() == [-1, -1]  # byte for byte


def test_the_hint_names_what_a_plain_loop_of_one_lower_case_names() -> None:
    """Random ids of Turkish and plain i's and Greek sigmas, against a loop over them that
    case-folds each (``str.casefold``: every Σ, σ and ς is σ) with İ written as I (its fold is
    then i, as Arrow's lower case) and a dotless ı as i (a hint for KIŞ names kış)."""
    def lower(s: str) -> str:
        return s.replace("İ", "I").replace("ı", "i").strip().casefold()

    rng = random.Random(3)
    for _ in range(200):
        pool = ["".join(rng.choice(["i", "I", "İ", "ı", "r", "R", " ", "Σ", "σ", "ς"])
                        for _ in range(rng.randint(1, 4))) for _ in range(20)]
        ids = list(dict.fromkeys(pool))
        known = IdMap(ids)
        for asked in pool:
            want = [s for s in ids if lower(asked) and lower(s) == lower(asked) and s != asked]
            assert sorted(known.same_case(asked)) == sorted(want), (ids, asked)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_model(tmp_path_factory.mktemp("turkish") / "model", FILMS,
                       viewers=[40, 20, 10], users=USERS)


def test_cli_http_and_seed_hints_say_the_id_meant(
        model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "recommend", model_dir, "--user", "İREM")
    assert code == 2 and "unknown user_id 'İREM'; did you mean 'İrem'?" in err, err
    code, _, err = run_cli(capsys, "audience", model_dir, "İSTANBUL-01")
    assert code == 2 and "did you mean 'İstanbul-01'?" in err, err
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False))) as c:
        r = c.get(f"/users/{quote('İREM')}/recommendations")
        assert r.status_code == 404 and "did you mean 'İrem'?" in r.json()["detail"], r.text
        r = c.get(f"/films/{quote('İSTANBUL-01')}/audience")
        assert r.status_code == 404 and "did you mean 'İstanbul-01'?" in r.json()["detail"]
        r = c.post("/audiences/lookalike", json={"seed_user_ids": ["ali", "İREM"], "k": 5})
        assert r.status_code == 200, r.text
        assert r.json()["unknown_seed_ids"] == ["İREM"]
        assert "did you mean 'İrem'?" in r.json()["unknown_seed_hints"][0], r.json()
