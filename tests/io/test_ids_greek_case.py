"""An unknown id that is a known Greek one but for upper and lower case (`ΟΔΟΣ` for `οδος`,
`σίσυφος` for `ΣΊΣΥΦΟΣ`) is named in the "did you mean" of its error: a word's last
sigma is ς in lower case and Σ in capitals, and Arrow's lower case writes Σ as σ, so `ΟΔΟΣ`
(`οδοσ` to Arrow) was no `οδος` and was told only "unknown user_id". CLI, HTTP 404 and a
lookalike's ``unknown_seed_hints`` alike; ids still matched byte for byte.

Oracle: the ids set by the test, each pair written out by hand.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from small_logs import small_model

from recommender.io.ids import IdMap
from service.app import create_app
from service.settings import Settings

USERS = ["οδος", "ΣΊΣΥΦΟΣ", "ali", *(f"u{i:03d}" for i in range(37))]
FILMS = [("f-0", "Film 0", 1999), ("f-1", "Film 1", 2000), ("f-2", "Film 2", 2001)]


@pytest.mark.parametrize(("stored", "typed"), [
    ("οδος", "ΟΔΟΣ"), ("οδος", " ΟΔΟΣ "), ("οδος", "οδοσ"), ("ΣΊΣΥΦΟΣ", "σίσυφος"),
    ("ΣΊΣΥΦΟΣ", "Σίσυφος"), ("σίσυφος", "ΣΊΣΥΦΟΣ"),
])
def test_greek_capitals_are_suggested(stored: str, typed: str) -> None:
    ids = IdMap(["x", stored, "y"])
    assert ids.same_case(typed) == [stored]
    assert ids.did_you_mean([typed]) == f"; did you mean {stored!r}?"
    assert ids.to_index([typed], strict=False).tolist() == [-1]  # byte for byte


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_model(tmp_path_factory.mktemp("greek") / "model", FILMS,
                       viewers=[40, 20, 10], users=USERS)


def test_cli_http_and_seed_hints_say_the_id_meant(
        model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "recommend", model_dir, "--user", "ΟΔΟΣ")
    assert code == 2 and "unknown user_id 'ΟΔΟΣ'; did you mean 'οδος'?" in err, err
    code, _, err = run_cli(capsys, "recommend", model_dir, "--user", "σίσυφος")
    assert code == 2 and "did you mean 'ΣΊΣΥΦΟΣ'?" in err, err
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False))) as c:
        r = c.get(f"/users/{quote('ΟΔΟΣ')}/recommendations")
        assert r.status_code == 404 and "did you mean 'οδος'?" in r.json()["detail"], r.text
        r = c.post("/audiences/lookalike", json={"seed_user_ids": ["ali", "ΟΔΟΣ"], "k": 5})
        assert r.status_code == 200, r.text
        assert r.json()["unknown_seed_ids"] == ["ΟΔΟΣ"]
        assert "did you mean 'οδος'?" in r.json()["unknown_seed_hints"][0], r.json()
