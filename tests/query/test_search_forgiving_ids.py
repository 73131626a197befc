"""Search finds a film by its id written as a spreadsheet writes it back ("2571.0") or with
more or fewer leading zeros ("0002571"), the forms an unknown film argument's "did you mean"
names (``IdMap.same_but_zeros``), on the CLI and over HTTP (``GET /films?query=``) alike: it
found nothing for them, while ``audience MODEL 2571.0`` said "did you mean '2571'?".

Oracle: each known id read as an integer (``int``) against the query's integer (a float
with only zeros after its point, or digits with leading zeros), and hand-written ids.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli, synthetic_model

from recommender.io.ids import IdMap
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings

IDS = ["2571", "0092", "7", "x1", "1.5", "300", "00300"]


def _meant(query: str) -> set[str]:
    """The ids of digits whose integer is the query's (a float of only zeros after its point
    or digits, leading zeros aside), the query itself aside."""
    whole, point, zeros = query.strip().partition(".")
    if point and not (zeros and set(zeros) == {"0"}):
        return set()
    if not (whole.isascii() and whole.isdigit()):
        return set()
    return {s for s in IDS if s.isdigit() and int(s) == int(whole)}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    m = synthetic_model(n_users=40, n_films=len(IDS), seed=5)
    return artifact.save(dataclasses.replace(m, films=IdMap(IDS)),
                         tmp_path_factory.mktemp("search_ids") / "model")


@pytest.fixture(scope="module")
def client(model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False))) as c:
        yield c


@pytest.mark.parametrize("query", ["2571.0", "0002571", " 2571.00 ", "92", "092.0", "300.0",
                                   "0300", "7.000", "2571.01", "1.50", "x1.0", "2571"])
def test_search_finds_an_id_in_a_forgiving_form(client: TestClient, model_dir: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                query: str) -> None:
    want = _meant(query)
    code, out, err = run_cli(capsys, "search", model_dir, query, "--json", "--limit", "50")
    r = client.get("/films", params={"query": query, "limit": 50})
    assert code == 0 and r.status_code == 200, (err, r.text)
    cli, http = json.loads(out), r.json()
    assert cli["films"] == http["films"] and cli["total"] == http["total"], (cli, http)
    by_id = {f["film_id"] for f in http["films"] if f["match"]["kind"] == "film_id"}
    assert by_id == want, (query, by_id, want)
    # the films named by id come first
    assert {f["film_id"] for f in http["films"][:len(want)]} == want, http["films"]
