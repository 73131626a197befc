"""The distribution's HTTP routes and CLI command: `--json` prints the HTTP body byte for byte,
bad input is a 422 / exit 2 with one sentence, and the slate command writes its allocation."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from service_fixtures import GENRES, ODD_FILM_ID, save_model

from service.app import create_app
from service.routes.distribution import Distribution
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("distribution") / "model")


@pytest.fixture(scope="module")
def client(model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=str(model_dir)))) as c:
        yield c


def test_film_distribution_cli_equals_http(client: TestClient, model_dir: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    cases: list[tuple[str, dict[str, Any]]] = [
        ("00007", {"by": "region"}), (ODD_FILM_ID, {"by": "region", "screens": 11})]
    for film, params in cases:
        http = client.get(f"/films/{film}/distribution", params=params)
        assert http.status_code == 200, http.text
        Distribution.model_validate(http.json())  # the documented schema
        argv: list[Any] = ["distribution", model_dir, film, "--by", params["by"], "--json"]
        if "screens" in params:
            argv += ["--screens", params["screens"]]
        code, out, err = run(capsys, *argv)
        assert code == 0, err
        assert out == http.content.decode() + "\n"
    body = http.json()
    assert body["film_id"] == ODD_FILM_ID
    assert sum(r["screens"] for r in body["places"]) == 11
    code, out, _ = run(capsys, "distribution", model_dir, film, "--by", "region", "--screens", 11)
    assert code == 0 and "region" in out and "11 screens" in out


def test_cold_start_cli_equals_http(client: TestClient, model_dir: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    http = client.post("/distribution/cold-start", json={
        "comparable_film_ids": ["00004", "00008"], "genres": [GENRES[0]], "by": "region",
        "screens": 5})
    assert http.status_code == 200, http.text
    Distribution.model_validate(http.json())
    code, out, err = run(capsys, "distribution", model_dir, "--like", "00004", "00008",
                         "--genre", GENRES[0], "--screens", 5, "--json")
    assert code == 0, err
    assert out == http.content.decode() + "\n"
    assert http.json()["cold_start"]["comparable_film_ids"] == ["00004", "00008"]
    # the table names the films whose calibrations give the probabilities, with their
    # shares, as the JSON's calibrated_from does (the table said only "a new film like
    # 00004, 00008, ...": its expected viewers read as its comparables' own)
    mix = http.json()["cold_start"]["calibrated_from"]
    code, out, err = run(capsys, "distribution", model_dir, "--like", "00004", "00008",
                         "--genre", GENRES[0])
    assert code == 0, err
    first, share = next(iter(mix.items()))
    assert (f"probabilities: the calibrations of the known films it is calibrated from, "
            f"mixed, each with its share: {first}") in out
    assert f"{share:.1%}" in out


def test_a_new_film_on_a_model_without_calibration_borrows_none(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A model without calibration: the table said "probabilities: the calibration of film
    00004" under the warning that no new viewer is forecast, as the Studio did (8a10d81).
    Oracle: the model's own calibration, emptied."""
    from dataclasses import replace

    from recommender.model import artifact, calibration

    bare = replace(artifact.load(model_dir), calibration={})
    assert not calibration.measured(bare.calibration)
    folder = artifact.save(bare, tmp_path / "bare")
    code, out, err = run(capsys, "distribution", folder, "--like", "00004", "00008")
    assert code == 0, err
    assert "warning: no new viewer is forecast" in err
    assert "probabilities: the calibration of film" not in out
    assert "no calibration" in out


def test_cold_start_skips_and_lists_unknown_comparable_films(
        client: TestClient, model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown comparable film was a 404 here while the genres (or the other films) could
    answer, where the cold-start audience skips and lists it: the forecast is the known
    films' and the genres', the unknown ones are listed (the CLI says so on stderr)."""
    asked = {"comparable_film_ids": ["00004", "no-such-film", "00008"],
             "genres": [GENRES[0]], "by": "region", "screens": 5}
    http = client.post("/distribution/cold-start", json=asked)
    assert http.status_code == 200, http.text
    body = http.json()
    Distribution.model_validate(body)
    assert body["cold_start"]["unknown_film_ids"] == ["no-such-film"]
    assert body["cold_start"]["comparable_film_ids"] == ["00004", "00008"]
    known = client.post("/distribution/cold-start", json={
        **asked, "comparable_film_ids": ["00004", "00008"]}).json()
    assert known["cold_start"]["unknown_film_ids"] == []
    assert body["places"] == known["places"] and body["screens"] == known["screens"]
    code, out, err = run(capsys, "distribution", model_dir, "--like", "00004", "no-such-film",
                         "00008", "--genre", GENRES[0], "--screens", 5, "--json")
    assert code == 0 and out == http.content.decode() + "\n"
    assert "skipped" in err and "no-such-film" in err
    # nothing known left (every film unknown, no genre): the 404 naming them, exit 2
    r = client.post("/distribution/cold-start", json={"comparable_film_ids": ["no-such-film"],
                                                      "by": "region"})
    assert r.status_code == 404 and "no-such-film" in r.json()["detail"]
    code, _, err = run(capsys, "distribution", model_dir, "--like", "no-such-film")
    assert code == 2 and "no-such-film" in err


@pytest.mark.parametrize(("params", "sentence"), [
    ({"by": "gender"}, "by='gender' is not a place attribute"),
    ({"by": "planet"}, "by='planet' is not a user attribute of this model"),
    ({"by": "city"}, "this model's users have no 'city' attribute"),
])
def test_bad_attribute_is_422_and_exit_2(client: TestClient, model_dir: Path,
                                         capsys: pytest.CaptureFixture[str],
                                         params: dict[str, str], sentence: str) -> None:
    http = client.get("/films/00003/distribution", params=params)
    assert http.status_code == 422 and sentence in http.json()["detail"]
    code, out, err = run(capsys, "distribution", model_dir, "00003", "--by", params["by"])
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [f"error: {http.json()['detail']}"]


def test_bad_screens_and_unknown_film(client: TestClient, model_dir: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    for bad in (0, -3):
        r = client.get("/films/00003/distribution", params={"screens": bad})
        assert r.status_code == 422 and "screens" in r.json()["detail"]
        code, _, err = run(capsys, "distribution", model_dir, "00003", "--screens", bad)
        assert code == 2 and "screens" in err
    r = client.get("/films/nope/distribution")
    assert r.status_code == 404 and "nope" in r.json()["detail"]
    code, _, err = run(capsys, "distribution", model_dir, "nope")
    assert code == 2 and "nope" in err
    r = client.post("/distribution/cold-start", json={"by": "region"})
    assert r.status_code == 422
    code, _, err = run(capsys, "distribution", model_dir)
    assert code == 2 and "FILM_ID" in err
    r = client.get("/films/00003/distribution", params={"by": "region", "k": 3})
    assert r.status_code == 422 and "'k'" in r.json()["detail"]


def test_slate_command(model_dir: Path, tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    # the service model has no cinema attribute: the slate needs one
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,min_screens,max_screens\n00000,1,\n00002,,3\n")
    screens = tmp_path / "screens.csv"
    screens.write_text("cinema_id,screens\nc1,3\nc2,2\n")
    code, out, err = run(capsys, "distribution", model_dir, "--slate", slate,
                         "--screens-per-cinema", screens)
    assert code == 2 and "no 'cinema' attribute" in err
    # said before a cinema table is asked for, which it could not use
    code, _, err = run(capsys, "distribution", model_dir, "--slate", slate)
    assert code == 2 and "no 'cinema' attribute" in err and "--users FILE" in err


def test_a_slate_on_a_model_without_cinemas_names_no_by(
        client: TestClient, model_dir: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A slate takes no by: its refusal said "by='cinema': this model's users have no
    'cinema' attribute", a parameter the request never sent."""
    r = client.post("/distribution/slate", json={
        "films": [{"film_id": "00000"}], "cinemas": [{"cinema_id": "c1", "screens": 3}]})
    assert r.status_code == 422 and "no 'cinema' attribute" in r.json()["detail"]
    assert "by=" not in r.json()["detail"] and "slate" in r.json()["detail"]
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id\n00000\n")
    screens = tmp_path / "screens.csv"
    screens.write_text("cinema_id,screens\nc1,3\n")
    code, _, err = run(capsys, "distribution", model_dir, "--slate", slate,
                       "--screens-per-cinema", screens)
    assert code == 2 and "by=" not in err and "slate" in err


def test_a_film_id_with_a_slate_is_named(model_dir: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """FILM_ID with --slate (and no --screens-per-cinema) said "--screens-per-cinema goes
    with --slate, without a FILM_ID": an option not given, the FILM_ID not named."""
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id\n00001\n")
    code, _, err = run(capsys, "distribution", model_dir, "00001", "--slate", slate)
    assert code == 2 and "FILM_ID '00001': not used with --slate" in err, err
    assert "--screens-per-cinema" not in err
    screens = tmp_path / "screens.csv"
    screens.write_text("cinema_id,screens\nc1,3\n")
    code, _, err = run(capsys, "distribution", model_dir, "--screens-per-cinema", screens)
    assert code == 2 and "--screens-per-cinema goes with --slate" in err


def test_slate_command_writes_the_allocation(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np
    from service_fixtures import build_model

    from recommender.model import artifact

    model = build_model()
    # a cinema id a spreadsheet would run as a formula: neutralised in the CSV (it was not)
    model.user_table.attributes["cinema"] = np.where(
        np.arange(model.n_users) % 3 == 0, "c1", "=c2").astype(str)
    folder = artifact.save(model, tmp_path / "model")
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,min_screens,max_screens\n00003,1,\n00002,,3\n00005,,\n")
    screens = tmp_path / "screens.csv"
    screens.write_text("cinema_id,screens\nc1,3\n=c2,4\n")
    out_csv = tmp_path / "alloc.csv"
    code, out, err = run(capsys, "distribution", folder, "--slate", slate,
                         "--screens-per-cinema", screens, "--out", out_csv)
    assert code == 0, err
    assert "7 screens of 2 cinemas" in out
    with open(out_csv, newline="") as fh:
        rows = list(csv.DictReader(fh))
    per_cinema: dict[str, int] = {}
    for r in rows:
        per_cinema[r["cinema_id"]] = per_cinema.get(r["cinema_id"], 0) + int(r["screens"])
    assert per_cinema == {"c1": 3, "'=c2": 4}
    assert sum(int(r["screens"]) for r in rows if r["film_id"] == "00003") >= 1
    assert sum(int(r["screens"]) for r in rows if r["film_id"] == "00002") <= 3
    # an unknown film names the slate's file and line, as its other errors do
    slate.write_text("film_id,min_screens,max_screens\n00003,1,\nnope,,3\n")
    out_csv.unlink()
    code, _, err = run(capsys, "distribution", folder, "--slate", slate,
                       "--screens-per-cinema", screens, "--out", out_csv)
    assert code == 2 and "slate.csv, line 3: unknown film_id 'nope'" in err
    assert not out_csv.exists()


def test_options_a_mode_does_not_read_are_refused(model_dir: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """--by, --screens, --like, --genre and --cinemas with --slate, and --cinemas without
    --by cinema (city, region) --screens, were accepted and ignored (exit 0); a missing
    --cinemas file was never opened."""
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id\n00001\n")
    screens = tmp_path / "screens.csv"
    screens.write_text("cinema_id,screens\nc1,3\n")
    for extra in (["--by", "city"], ["--screens", "5"], ["--like", "00002"],
                  ["--genre", "Drama"], ["--cinemas", "/nonexistent.csv"]):
        code, _, err = run(capsys, "distribution", model_dir, "--slate", slate,
                           "--screens-per-cinema", screens, *extra)
        assert code == 2 and f"{extra[0]}: not used with --slate" in err, (extra, err)
    code, _, err = run(capsys, "distribution", model_dir, "--slate", slate,
                       "--screens-per-cinema", screens, "--out", tmp_path / "a.xlsx")
    assert code == 2 and "name a .csv or .parquet file" in err  # before the slate is read
    assert not (tmp_path / "a.xlsx").exists()
    for extra in (["--by", "region"], ["--by", "zip_zone", "--screens", "4"]):
        code, _, err = run(capsys, "distribution", model_dir, "00001",
                           "--cinemas", "/nonexistent.csv", *extra)
        assert code == 2 and "--cinemas is not read " in err, (extra, err)
        assert "it caps --screens by the screens of each cinema" in err, (extra, err)
    # by cinema it is read for each cinema's city (as RECOMMENDER_CINEMAS is): opened
    code, _, err = run(capsys, "distribution", model_dir, "00001", "--cinemas",
                       "/nonexistent.csv", "--by", "cinema")
    assert code == 2 and "nonexistent.csv: no such file" in err, err
