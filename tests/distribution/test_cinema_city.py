"""Each cinema's city in a breakdown by cinema and in a slate's allocation rows: the cinema
table's city column, also for cinemas sent as cinema_id and screens, null where the table has
none (the pool 'other', a cinema it lacks); the HTTP body equals ``distribution --json`` byte
for byte. Tables showed ids alone ("c045"). Oracle: the cinema table written here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from service_fixtures import save_model

from recommender.model import layout
from service.app import create_app
from service.routes.distribution import Distribution, SlateScreens
from service.settings import Settings

CITIES = {"c1": "Pinemouth", "=c2": "Ironby", "c 3": "Fairby", "c9": "Nowhere Town"}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = save_model(tmp_path_factory.mktemp("cinema-city") / "model",
                        cinemas=["c1", "=c2", "c 3"])
    (layout.resolve(folder) / "cinemas.csv").write_text(
        "cinema_id,city,region,screens,seats\n" + "".join(
            f"{c},{city},North,2,100\n" for c, city in CITIES.items()))
    return folder


@pytest.fixture(scope="module")
def client(model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=str(model_dir), min_cell=1))) as c:
        yield c


def test_a_breakdown_by_cinema_gives_each_cinemas_city(
        client: TestClient, model_dir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "1")
    monkeypatch.delenv("RECOMMENDER_CINEMAS", raising=False)
    for screens in ("", "&screens=3"):  # read for the cities alone, and to cap
        http = client.get(f"/films/00003/distribution?by=cinema{screens}")
        assert http.status_code == 200, http.text
        body = http.json()
        Distribution.model_validate(body)  # the documented schema
        assert {r["place"]: r["city"] for r in body["places"]} == {
            c: CITIES[c] for c in ("c1", "=c2", "c 3")}
        code, out, err = run(capsys, "distribution", model_dir, "00003", "--by", "cinema",
                             *(["--screens", "3"] if screens else []), "--json")
        assert code == 0, err
        assert out == http.content.decode() + "\n"
    # another breakdown names no city
    assert {r["city"] for r in client.get("/films/00003/distribution?by=region").json()[
        "places"]} <= {None}


def test_a_slates_rows_give_each_cinemas_city(client: TestClient) -> None:
    films = [{"film_id": "00003"}, {"film_id": "00002"}]
    body = client.post("/distribution/slate", json={"films": films}).json()
    SlateScreens.model_validate(body)
    assert body["allocation"] and all(r["city"] == CITIES[r["cinema_id"]]
                                      for r in body["allocation"])



def test_cinemas_sent_in_the_body_get_their_city_from_the_table(
        client: TestClient, model_dir: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Cinemas sent as cinema_id,screens (the Studio's pasted list, the CLI's
    --screens-per-cinema) showed no city though the server's table gives it: each one's city
    from the table, null for a cinema it lacks ("c7"); the CLI's --json says the same."""
    films = [{"film_id": "00003"}, {"film_id": "00002"}]
    sent = [{"cinema_id": "=c2", "screens": 3}, {"cinema_id": "c7", "screens": 2}]
    http = client.post("/distribution/slate", json={"films": films, "cinemas": sent})
    assert http.status_code == 200, http.text
    body = http.json()
    SlateScreens.model_validate(body)
    assert {r["cinema_id"] for r in body["allocation"]} == {"=c2", "c7"}
    assert all(r["city"] == CITIES.get(r["cinema_id"]) for r in body["allocation"])
    slate, screens = tmp_path / "slate.csv", tmp_path / "screens.csv"
    slate.write_text("film_id\n00003\n00002\n")
    screens.write_text("cinema_id,screens\n=c2,3\nc7,2\n")
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "1")
    monkeypatch.delenv("RECOMMENDER_CINEMAS", raising=False)
    code, out, err = run(capsys, "distribution", model_dir, "--slate", slate,
                         "--screens-per-cinema", screens, "--json")
    assert code == 0, err
    assert out == http.content.decode() + "\n"


def test_the_text_table_shows_each_cinemas_city(model_dir: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """``--json`` gave each cinema's city and the text table did not: a city column beside
    the place, none by region."""
    import json

    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "1")
    monkeypatch.delenv("RECOMMENDER_CINEMAS", raising=False)
    code, out, err = run(capsys, "distribution", model_dir, "00003", "--by", "cinema")
    assert code == 0, err
    head = next(line for line in out.splitlines() if line.split()[:2] == ["place", "city"])
    assert head
    places = json.loads(run(capsys, "distribution", model_dir, "00003", "--by", "cinema",
                            "--json")[1])["places"]
    for r in places:
        if r["city"]:
            assert any(line.startswith(r["place"]) and r["city"] in line
                       for line in out.splitlines()), (r, out)
    code, out, _ = run(capsys, "distribution", model_dir, "00003", "--by", "region")
    assert code == 0 and not any(line.split()[:2] == ["place", "city"]
                                 for line in out.splitlines())


def test_an_unreadable_table_leaves_the_cities_null_and_says_so(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A cinema table that cannot be read left every city null without a word (the CLI's
    note that RECOMMENDER_CINEMAS is not read without --screens was gone): a warning on the
    CLI's stderr and in the server's log; the bodies stay equal and null."""
    import logging

    bad = tmp_path / "bad.csv"
    bad.write_text("nope\n")
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "1")
    monkeypatch.setenv("RECOMMENDER_CINEMAS", str(bad))
    code, out, err = run(capsys, "distribution", model_dir, "00003", "--by", "cinema", "--json")
    assert code == 0, err
    assert "warning: the cinema table is unreadable, so each cinema's city is null" in err, err
    with TestClient(create_app(Settings(model_path=str(model_dir), min_cell=1,
                                        cinemas=str(bad)))) as c, \
            caplog.at_level(logging.WARNING, logger="recommender.service"):
        http = c.get("/films/00003/distribution?by=cinema")
        sent = c.post("/distribution/slate", json={  # cinemas sent: null cities, no 503
            "films": [{"film_id": "00003"}], "cinemas": [{"cinema_id": "c1", "screens": 2}]})
    assert http.status_code == 200 and out == http.content.decode() + "\n"
    assert {r["city"] for r in http.json()["places"]} == {None}
    assert sent.status_code == 200 and {r["city"] for r in sent.json()["allocation"]} == {None}
    assert any("cinema table is unreadable" in r.getMessage() for r in caplog.records)


def test_cinemas_given_by_cinema_without_screens_give_each_cinemas_city(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``--cinemas`` by cinema without ``--screens`` was refused ("without both it is not
    read"), while ``RECOMMENDER_CINEMAS`` is read then for each cinema's city (and the README
    says the table is read by cinema even without screens): the option gives the cities of
    its file, as the variable does; where it is still not read, the error says why truly.
    Oracle: the table written here, whose cities differ from the model's."""
    import json

    other = tmp_path / "elsewhere.csv"
    mine = {"c1": "Westford", "=c2": "Eastby"}  # "c 3" left out: its city is null
    other.write_text("cinema_id,city,region,screens,seats\n"
                     + "".join(f"{c},{city},North,2,100\n" for c, city in mine.items()))
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "1")
    monkeypatch.delenv("RECOMMENDER_CINEMAS", raising=False)
    code, given, err = run(capsys, "distribution", model_dir, "00003", "--by", "cinema",
                           "--cinemas", other, "--json")
    assert code == 0, err
    assert {r["place"]: r["city"] for r in json.loads(given)["places"]} == {
        "c1": "Westford", "=c2": "Eastby", "c 3": None}
    monkeypatch.setenv("RECOMMENDER_CINEMAS", str(other))
    code, from_env, err = run(capsys, "distribution", model_dir, "00003", "--by", "cinema",
                              "--json")
    assert code == 0 and from_env == given, err
    monkeypatch.delenv("RECOMMENDER_CINEMAS")
    # a file named on the command line that cannot be read is refused, not left null
    bad = tmp_path / "bad.csv"
    bad.write_text("nope\n")
    code, out, err = run(capsys, "distribution", model_dir, "00003", "--by", "cinema",
                         "--cinemas", bad)
    assert code == 2 and out == "" and "bad.csv" in err, err
    # by city without --screens it is still not read: the error says what it is read for
    for argv, when in ((["--by", "city"], "without --screens"),
                       (["--by", "region"], "without --screens")):
        code, out, err = run(capsys, "distribution", model_dir, "00003", *argv, "--cinemas",
                             other)
        assert code == 2 and out == "", err
        assert (f"error: --cinemas is not read {when}: it caps --screens by the screens of "
                "each cinema, city or region, with --by cinema, city or region, and names "
                "each cinema's city with --by cinema") in err, err
