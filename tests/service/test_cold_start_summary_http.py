"""``POST /audiences/cold-start/summary``: a new film's summary over HTTP, the bytes
``recommender cold-start ... --summary --json`` prints; its body names the new film as the
cold-start audience's does (``comparable_film_ids``, ``genres``), skips unknown comparable
films as it does (404 when nothing known is left), and refuses the page's fields."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from service_fixtures import save_model

from service.app import create_app
from service.cold_start_schemas import ColdStartSummary
from service.settings import Settings

SUMMARY = "/audiences/cold-start/summary"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("cold-summary") / "model")


@pytest.fixture(scope="module")
def client(model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False))) as c:
        yield c


def same(capsys: pytest.CaptureFixture[str], body: bytes, *argv: Any) -> str:
    """The CLI's ``--json`` is the HTTP body, byte for byte; returns its stderr."""
    code, out, err = run(capsys, *argv, "--summary", "--json")
    assert code == 0, err
    assert out == body.decode() + "\n"
    return err


@pytest.mark.parametrize(("body", "argv"), [
    ({"comparable_film_ids": {"00002": 2, "00007": 1}}, ["--like", "00002=2", "00007"]),
    ({"comparable_film_ids": ["00002", "ghost"], "genres": ["g1"], "tier": "all"},
     ["--like", "00002", "ghost", "--genre", "g1", "--tier", "all"]),
    ({"genres": ["G0", "G3"], "tier": "broad"}, ["--genre", "G0", "G3", "--tier", "broad"]),
])
def test_cli_json_is_the_http_body(client: TestClient, model_dir: Path,
                                   capsys: pytest.CaptureFixture[str], body: dict[str, Any],
                                   argv: list[str]) -> None:
    r = client.post(SUMMARY, json=body)
    assert r.status_code == 200, r.text
    got = r.json()
    ColdStartSummary.model_validate(got)
    assert got["film_id"] is None and got["viewers"] == 0
    assert [t["tier"] for t in got["tiers"]] == ["core", "extended", "broad"]
    assert all(t["expected_conversion"] is not None for t in got["tiers"])
    assert got["cold_start"]["calibrated_from"]
    err = same(capsys, r.content, "cold-start", model_dir, *argv)
    unknown = got["cold_start"]["unknown_film_ids"]
    assert ("skipped unknown film_id 'ghost'" in err) == ("ghost" in unknown)
    # its tiers are the cold-start audience's rings
    audience = client.post("/audiences/cold-start", json={
        k: v for k, v in body.items() if k != "tier"} | {"k": 1000}).json()
    for row in got["tiers"]:
        ranks = [u["rank"] for u in audience["users"] if u["tier"] == row["tier"]]
        assert row["size"] == len(ranks) and row["rank_range"] == [min(ranks), max(ranks)]


def test_the_table_says_where_the_conversions_come_from(
        model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "cold-start", model_dir, "--like", "00002", "--summary")
    assert code == 0, err
    assert out.startswith("Audience summary of a new film like 00002: nobody has watched it")
    assert "No interval: a new film's conversion probability is borrowed" in out
    assert "known films it is calibrated from, mixed, each with its share: 00002" in out
    assert "Segments of the ranked audience" in out and "Portrait of core + extended" in out


def test_unknown_films_and_page_fields(client: TestClient, model_dir: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    r = client.post(SUMMARY, json={"comparable_film_ids": ["ghost"]})
    assert r.status_code == 404, r.text
    code, out, err = run(capsys, "cold-start", model_dir, "--like", "ghost", "--summary")
    assert code == 2 and out == "" and "ghost" in err
    for extra in ({"k": 5}, {"offset": 3}, {"segment": 1}):  # a summary has no page
        r = client.post(SUMMARY, json={"genres": ["G1"], **extra})
        assert r.status_code == 422 and next(iter(extra)) in r.text, r.text
    code, out, err = run(capsys, "cold-start", model_dir, "--genre", "G1", "--summary",
                         "--k", 5, "--segment", 1)
    assert code == 2 and out == "" and "--k, --segment" in err, err
    r = client.post(SUMMARY, json={"genres": ["G1"], "tier": "core,broad"})
    assert r.status_code == 422 and "adjacent" in r.text  # as a film summary's ?tier=
