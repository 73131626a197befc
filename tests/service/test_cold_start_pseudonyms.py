"""A new film's audience exported under pseudonyms: ``recommender cold-start ... --csv
--pseudonymize`` (and ``--out``) and ``POST /audiences/cold-start.csv?pseudonymize=true``
name each user by the keyed HMAC the audience exports use. The cold-start parser had no
``--pseudonymize`` ("unrecognized arguments") and the download no such parameter (ignored:
raw ids sent); ``POST /audiences/cold-start?pseudonymize=true`` (the JSON) ignored it too,
as ``GET /films/{id}/audience`` (JSON) does not, and now equals ``cold-start --json
--pseudonymize``.

Oracle: an HMAC-SHA256 computed here of the plain page's user ids; the film audience
download's pseudonyms for the same users; the CLI's bytes for the HTTP route's.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from service_fixtures import GENRES, model_and_client

from service.app import create_app
from service.settings import Settings

KEY = "cold-start-pseudonym-key-0123456789"
BODY = {"comparable_film_ids": ["00004", "00008"], "genres": [GENRES[1]], "k": 40}
ARGV = ["--like", "00004", "00008", "--genre", GENRES[1], "--k", "40"]


def oracle(user_id: str) -> str:
    return "p-" + hmac.new(KEY.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


model_dir, client = model_and_client("cold-pseudo", warm_cache=False, watch_interval=0,
                                     pseudonym_key=KEY)


def test_the_download_names_users_by_the_audience_exports_pseudonyms(
        client: TestClient, model_dir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    plain = rows(client.post("/audiences/cold-start.csv", json=BODY).text)
    r = client.post("/audiences/cold-start.csv", json=BODY, params={"pseudonymize": "true"})
    assert r.status_code == 200, r.text
    hidden = rows(r.text)
    assert [h["user_id"] for h in hidden] == [oracle(p["user_id"]) for p in plain]
    assert [{**h, "user_id": ""} for h in hidden] == [{**p, "user_id": ""} for p in plain]
    assert r.headers["content-disposition"] == (
        'attachment; filename="cold_start_audience_pseudonymized.csv"')
    # the film audience download gives the same users the same pseudonyms
    film = client.get("/films/00012/audience.csv", params={"k": 500, "exclude_seen": "false"})
    named = client.get("/films/00012/audience.csv",
                       params={"k": 500, "exclude_seen": "false", "pseudonymize": "true"})
    pseudonym = {p["user_id"]: h["user_id"]
                 for p, h in zip(rows(film.text), rows(named.text), strict=True)}
    shared = [(p["user_id"], h["user_id"]) for p, h in zip(plain, hidden, strict=True)
              if p["user_id"] in pseudonym]
    assert shared and all(pseudonym[u] == h for u, h in shared)
    # the CLI prints the same bytes
    monkeypatch.setenv("RECOMMENDER_PSEUDONYM_KEY", KEY)
    code, out, err = run_cli(capsys, "cold-start", model_dir, *ARGV, "--csv", "--pseudonymize")
    assert code == 0, err
    assert out.encode("utf-8") == r.content


def test_out_writes_pseudonyms_with_a_key_file(
        client: TestClient, model_dir: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_PSEUDONYM_KEY", raising=False)
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    plain = client.post("/audiences/cold-start", json=BODY).json()["users"]
    for name in ("page.csv", "page.parquet"):
        out = tmp_path / name
        code, _, err = run_cli(capsys, "cold-start", model_dir, *ARGV, "--out", out,
                               "--pseudonymize", "--pseudonym-key-file", key_file)
        assert code == 0, err
        ids = (pq.read_table(out).column("user_id").to_pylist() if name.endswith("parquet")
               else [r["user_id"] for r in rows(out.read_text())])
        assert ids == [oracle(u["user_id"]) for u in plain]
    # no key: refused before anything is written, as audience's is
    code, _, err = run_cli(capsys, "cold-start", model_dir, *ARGV, "--csv", "--pseudonymize")
    assert code != 0 and "RECOMMENDER_PSEUDONYM_KEY" in err


def test_the_download_needs_a_server_key(model_dir: Path) -> None:
    settings = Settings(model_path=str(model_dir), warm_cache=False, watch_interval=0)
    with TestClient(create_app(settings)) as c:
        r = c.post("/audiences/cold-start.csv", json=BODY, params={"pseudonymize": "true"})
    assert r.status_code == 403, r.text
    assert "RECOMMENDER_PSEUDONYM_KEY" in r.json()["detail"]


def test_the_json_names_users_by_pseudonyms_as_the_cli_prints_them(
        client: TestClient, model_dir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    plain = client.post("/audiences/cold-start", json=BODY).json()
    r = client.post("/audiences/cold-start", json=BODY, params={"pseudonymize": "true"})
    assert r.status_code == 200, r.text
    hidden = r.json()
    assert plain["users"], plain
    assert [u["user_id"] for u in hidden["users"]] == [oracle(u["user_id"])
                                                       for u in plain["users"]]
    # nothing else changes: ranks, scores, rings, notes and the skipped films
    assert ({**hidden, "users": [{**u, "user_id": ""} for u in hidden["users"]]}
            == {**plain, "users": [{**u, "user_id": ""} for u in plain["users"]]})
    monkeypatch.setenv("RECOMMENDER_PSEUDONYM_KEY", KEY)
    code, out, err = run_cli(capsys, "cold-start", model_dir, *ARGV, "--json",
                             "--pseudonymize")
    assert code == 0, err
    assert out == r.content.decode() + "\n"


def test_the_json_needs_a_server_key(model_dir: Path) -> None:
    settings = Settings(model_path=str(model_dir), warm_cache=False, watch_interval=0)
    with TestClient(create_app(settings)) as c:
        r = c.post("/audiences/cold-start", json=BODY, params={"pseudonymize": "true"})
        assert c.post("/audiences/cold-start", json=BODY).status_code == 200
    assert r.status_code == 403, r.text
    assert "RECOMMENDER_PSEUDONYM_KEY" in r.json()["detail"]
