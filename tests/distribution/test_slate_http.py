"""``POST /distribution/slate``: the body equals ``recommender distribution --slate --json``
byte for byte, with the body's cinemas or the model's table, and bad input is said."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from service_fixtures import ODD_FILM_ID, save_model

from recommender.model import artifact, layout
from service.app import create_app
from service.routes.distribution import MAX_SLATE_CINEMAS, SlateScreens
from service.settings import Settings

CINEMAS = {"c1": 3, "=c2": 4, "c 3": 2}  # a formula-like id and one with a space, as written


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = save_model(tmp_path_factory.mktemp("slate") / "model", cinemas=list(CINEMAS))
    # the model's own cinema table (train copies the data's), one cinema no user names
    (layout.resolve(folder) / "cinemas.csv").write_text(
        "cinema_id,city,region,screens,seats\n" + "".join(
            f"{c},X,Y,{n},100\n" for c, n in {**CINEMAS, "c9": 1}.items()))
    return folder


@pytest.fixture(scope="module")
def client(model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=str(model_dir)))) as c:
        yield c


FILMS = [{"film_id": "00003", "min_screens": 1}, {"film_id": "00002", "max_screens": 3},
         {"film_id": ODD_FILM_ID}]


def _slate_file(tmp_path: Path) -> Path:
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,min_screens,max_screens\n00003,1,\n00002,,3\n"
                     f"{ODD_FILM_ID},,\n", encoding="utf-8")
    return slate


def test_the_body_equals_the_cli_json(client: TestClient, model_dir: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    slate = _slate_file(tmp_path)
    screens = tmp_path / "screens.csv"
    screens.write_text("cinema_id,screens\n" + "".join(f"{c},{n}\n" for c, n in CINEMAS.items()))
    given = [{"cinema_id": c, "screens": n} for c, n in CINEMAS.items()]
    for body_cinemas, argv in ((given, ["--screens-per-cinema", screens]), (None, [])):
        http = client.post("/distribution/slate", json={"films": FILMS, "cinemas": body_cinemas})
        assert http.status_code == 200, http.text
        SlateScreens.model_validate(http.json())  # the documented schema
        code, out, err = run(capsys, "distribution", model_dir, "--slate", slate, *argv,
                             "--json")
        assert code == 0, err
        assert out == http.content.decode() + "\n"
    body = http.json()  # the model's table: its screens, and the cinema no user names
    assert body["model_version"] == artifact.load(model_dir).version  # a saved --json says so
    assert body["cinemas"] == 4 and body["screens"] == 10
    assert body["cinemas_without_users"] == ["c9"]
    per_cinema: dict[str, int] = {}
    for r in body["allocation"]:
        per_cinema[r["cinema_id"]] = per_cinema.get(r["cinema_id"], 0) + r["screens"]
    assert per_cinema == {**CINEMAS, "c9": 1}  # every screen filled, ids byte for byte
    totals = {f["film_id"]: f["screens"] for f in body["films"]}
    assert totals["00003"] >= 1 and totals["00002"] <= 3 and sum(totals.values()) == 10


def test_the_cli_names_the_table_it_used(model_dir: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "distribution", model_dir, "--slate", _slate_file(tmp_path))
    assert code == 0, err
    assert "10 screens of 4 cinemas" in out
    model = artifact.load(model_dir)  # each film's row names its title
    title = str(model.catalog.titles[model.film_index("00003")])
    assert title and any(line.startswith("00003 ") and title in line for line in out.splitlines())
    code, body_out, err = run(capsys, "distribution", model_dir, "--slate",
                              _slate_file(tmp_path), "--json")
    # the span the figures are forecast over: this log has no timestamps, so none in days
    assert code == 0 and json.loads(body_out)["horizon"]["days"] is None, err
    assert not model.meta["data"]["has_timestamps"]
    assert ("expected_new: users expected to watch the film within a random held-out share of "
            "the training interactions, the calibration horizon (the log had no timestamps") in out
    assert "note: 1 cinema of " in out and "cinemas.csv is named by no user (its screens" in out
    assert "check the id): 'c9'" in out  # quoted


def test_the_cli_says_how_many_cinemas_its_expected_new_leaves_out(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The table's expected_new is "over the cinemas whose figures are shown", but how many
    were not was said in --json alone (expected_new_hidden_cinemas)."""
    code, out, err = run(capsys, "distribution", model_dir, "--slate", _slate_file(tmp_path))
    assert code == 0, err
    assert "not over" not in out  # every cinema shown
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "100000")
    code, out, err = run(capsys, "distribution", model_dir, "--slate", _slate_file(tmp_path))
    assert code == 0, err
    assert ("; not over 3 cinemas whose figures the minimum cell of 100000 users hides "
            "(expected_new_hidden_cinemas)") in out


def test_a_parquet_allocation_carries_its_context(client: TestClient, model_dir: Path,
                                                  tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """``--out`` wrote CSV only: a saved allocation did not say which model, slate or cinema
    table made it. A .parquet holds the rows of the body, ids byte for byte, and its context."""
    import pyarrow.parquet as pq

    out = tmp_path / "alloc.parquet"
    code, _, err = run(capsys, "distribution", model_dir, "--slate", _slate_file(tmp_path),
                       "--out", out)
    assert code == 0, err
    body = client.post("/distribution/slate", json={"films": FILMS}).json()
    table = pq.read_table(out)
    titles = {f["film_id"]: f["title"] for f in body["films"]}
    assert table.to_pylist() == [{**{k: r[k] for k in ("cinema_id", "film_id", "screens",
                                                       "expected_new", "city")},
                                  "title": titles[r["film_id"]],
                                  "horizon_days": body["horizon"]["days"]}
                                 for r in body["allocation"]]
    # each column's unit in its field's metadata, as the body's units say it
    for name in ("screens", "expected_new", "city"):
        assert table.schema.field(name).metadata[b"units"].decode() == body["units"][name]
    assert b"days" in table.schema.field("horizon_days").metadata[b"units"]
    context = json.loads(table.schema.metadata[b"recommender"])
    assert context["model_version"] == artifact.load(model_dir).version
    assert context["parameters"]["screens"] == body["screens"]
    assert context["parameters"]["cinemas"].endswith("cinemas.csv")
    assert context["horizon"] == body["horizon"] and context["units"] == body["units"]
    code, _, err = run(capsys, "distribution", model_dir, "--slate", _slate_file(tmp_path),
                       "--out", tmp_path / "alloc.xlsx")
    assert code == 2 and "a .csv or .parquet file" in err


def test_a_csv_allocation_carries_city_title_and_horizon(
        client: TestClient, model_dir: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSV lacked each row's city (the JSON row carries it), the film's title and what
    expected_new counts within: its columns were cinema_id,film_id,screens,expected_new. The
    first four stay as they were, then city, title and horizon_days; a hidden expected_new is
    an empty cell. Oracles: the cinema table and the catalog of the model written here, and a
    horizon of 22.041 days (this model's calibration has none in days: an empty cell)."""
    import csv

    from recommender.distribution import slate as slate_module

    measured = slate_module.calibration.horizon
    monkeypatch.setattr(slate_module.calibration, "horizon",
                        lambda c: {**measured(c), "days": 22.041})
    out = tmp_path / "alloc.csv"
    code, _, err = run(capsys, "distribution", model_dir, "--slate", _slate_file(tmp_path),
                       "--out", out)
    assert code == 0, err
    body = client.post("/distribution/slate", json={"films": FILMS}).json()
    model = artifact.load(model_dir)
    title = {str(i): str(t) for i, t in zip(model.films.ids, model.catalog.titles, strict=True)}
    with open(out, newline="", encoding="utf-8") as fh:
        head, *rows = list(csv.reader(fh))
    assert head == ["cinema_id", "film_id", "screens", "expected_new", "city", "title",
                    "horizon_days"]
    days = body["horizon"]["days"]
    assert days == 22.041 and all(f["title"] == title[f["film_id"]] for f in body["films"])
    assert rows == [["'=c2" if r["cinema_id"] == "=c2" else r["cinema_id"], r["film_id"],
                     str(r["screens"]), "" if r["expected_new"] is None
                     else repr(r["expected_new"]), "X", title[r["film_id"]], repr(float(days))]
                    for r in body["allocation"]]
    # a cinema no user names has nothing hidden: 0.0, not the empty cell of a hidden figure
    unnamed = [r for r in rows if r[0] in body["cinemas_without_users"]]
    assert unnamed and all(r[3] == "0.0" for r in unnamed)


def test_json_with_out_says_what_it_wrote(model_dir: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """``--json --out`` wrote the file without a word: stdout holds the body, and the line
    naming the file and the model it came from (which a CSV has no place for) was dropped;
    it goes to stderr, as ``plan --json``'s does."""
    out = tmp_path / "alloc.csv"
    code, body, err = run(capsys, "distribution", model_dir, "--slate", _slate_file(tmp_path),
                          "--json", "--out", out)
    assert code == 0 and out.exists() and json.loads(body)["allocation"]
    version = artifact.load(model_dir).version
    assert f"allocation written to {out} from model {version} as trained" in err


def test_out_names_its_source_once(model_dir: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The table with ``--out`` named the model twice: "allocation written to dist.csv from
    model X as trained" on stdout and the table's "note: answer from model X as trained" on
    stderr; the export's line says it once, as ``cold-start --out``'s. Without ``--out`` the
    table's note still names it."""
    out = tmp_path / "dist.csv"
    version = artifact.load(model_dir).version
    for given in (("--out", out), ()):
        code, printed, err = run(capsys, "distribution", model_dir, "--slate",
                                 _slate_file(tmp_path), *given)
        assert code == 0, err
        sources = [line for line in (printed + err).splitlines()
                   if f" from model {version} as trained" in line]
        assert sources == ([f"allocation written to {out} from model {version} as trained"]
                           if given else [f"note: answer from model {version} as trained"]), (
            printed + err)


def test_a_null_min_screens_is_none_as_an_empty_cell_is(client: TestClient) -> None:
    """The CLI's slate file reads an empty min_screens cell as 0 and the body took a null
    max_screens as no bound, but a null min_screens was a 422: a client turning the file
    into JSON met it. It is 0 now, the same answer as leaving it out."""
    given = [{**f, "min_screens": f.get("min_screens")} for f in FILMS]
    assert [f["min_screens"] for f in given] == [1, None, None]
    nulls = client.post("/distribution/slate", json={"films": given})
    assert nulls.status_code == 200, nulls.text
    assert nulls.json() == client.post("/distribution/slate", json={"films": FILMS}).json()


def _post(client: TestClient, body: dict[str, Any]) -> Any:
    return client.post("/distribution/slate", content=json.dumps(body),
                       headers={"Content-Type": "application/json"})


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"films": [{"film_id": "00003"}, {"film_id": "00003"}]}, 409,
     "film_id '00003' appears twice"),
    ({"films": [{"film_id": "00003"}], "cinemas": [{"cinema_id": "c1", "screens": 1},
                                                   {"cinema_id": "c1", "screens": 2}]}, 409,
     "cinema_id 'c1' appears twice"),
    ({"films": [{"film_id": "00003", "min_screens": 4, "max_screens": 2}]}, 409,
     "max_screens 2 is below min_screens 4"),
    ({"films": [{"film_id": "nope"}]}, 404, "nope"),
    ({"films": [{"film_id": "00003", "min_screens": 11}]}, 409,
     "min_screens add up to 11, more than the 10 screens"),
    ({"films": [{"film_id": "00003", "max_screens": 9}]}, 409,
     "max_screens add up to 9, fewer than the 10 screens"),
    # each film with its bound, not its id alone (read as the bound: "max_screens: 00003")
    ({"films": [{"film_id": "00003", "min_screens": 11}]}, 409,
     "(min_screens: films[0] ('00003'): 11)"),
    ({"films": [{"film_id": "00003", "max_screens": 9}]}, 409,
     "(max_screens: films[0] ('00003'): 9)"),
    ({"films": [{"film_id": "00003"}], "cinemas": []}, 422, "cinemas"),
    ({"films": [{"film_id": "00003"}], "cinemas": [{"cinema_id": "c1", "screens": 0}]}, 422,
     "screens"),
    ({"films": []}, 422, "films"),
])
def test_bad_bodies_are_said(client: TestClient, body: dict[str, Any], status: int,
                             words: str) -> None:
    r = _post(client, body)
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]


def test_the_schema_says_what_the_model_and_the_table_allow(client: TestClient,
                                                          tmp_path: Path) -> None:
    # with a cinema attribute and a table: any film id, cinemas optional
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert "maxLength" not in schemas["OpeningFilm"]["properties"]["film_id"]
    assert "cinemas" not in schemas["SlateScreensRequest"].get("required", [])
    assert schemas["SlateScreensRequest"]["properties"]["cinemas"]["anyOf"][0]["maxItems"] \
        == MAX_SLATE_CINEMAS
    folder = save_model(tmp_path / "plain")  # no cinema attribute, no table
    with TestClient(create_app(Settings(model_path=str(folder)))) as c:
        schemas = c.get("/openapi.json").json()["components"]["schemas"]
    film = schemas["OpeningFilm"]["properties"]["film_id"]
    assert film["minLength"] > film["maxLength"]  # no film id is valid
    assert "cinemas" in schemas["SlateScreensRequest"]["required"]
    assert schemas["SlateScreensRequest"]["properties"]["cinemas"]["type"] == "array"


def test_without_a_cinema_table_or_attribute(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A model whose users name no cinema (a log without users.csv: FilmTrust) was first
    asked for a cinema table, which it could not use: the attribute is said first, and how a
    model gets it; the table is asked for of a model whose users name cinemas."""
    folder = save_model(tmp_path / "plain")  # no cinema attribute, no table
    slate = _slate_file(tmp_path)
    with TestClient(create_app(Settings(model_path=str(folder)))) as c:
        for cinemas in (None, [{"cinema_id": "c1", "screens": 2}]):
            r = _post(c, {"films": FILMS, "cinemas": cinemas})
            assert r.status_code == 422 and "no 'cinema' attribute" in r.json()["detail"]
            assert "--users FILE" in r.json()["detail"]
    code, out, err = run(capsys, "distribution", folder, "--slate", slate)
    assert code == 2 and out == "" and "no 'cinema' attribute" in err and "--users FILE" in err
    named = save_model(tmp_path / "named", cinemas=list(CINEMAS))  # cinemas, no table
    with TestClient(create_app(Settings(model_path=str(named)))) as c:
        r = _post(c, {"films": FILMS})
        assert r.status_code == 422 and "the server has no cinema table" in r.json()["detail"]
    code, out, err = run(capsys, "distribution", named, "--slate", slate)
    assert code == 2 and out == "" and "--slate needs --screens-per-cinema" in err
    code, _, err = run(capsys, "distribution", folder, "--screens-per-cinema", slate)
    assert code == 2 and "--screens-per-cinema goes with --slate" in err


def test_the_cli_does_not_write_over_the_table_it_read(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    # without --screens-per-cinema the table may be the training data's cinemas.csv, read in
    # place: --out naming it replaced the operator's cinema table with the allocation
    from recommender.distribution import places

    folder = save_model(tmp_path / "m", cinemas=list(CINEMAS))
    table = tmp_path / "data" / "cinemas.csv"
    table.parent.mkdir()
    text = "cinema_id,screens\n" + "".join(f"{c},{n}\n" for c, n in CINEMAS.items())
    table.write_text(text)
    monkeypatch.setattr(places, "cinema_candidates", lambda model, path=None: [table])
    code, _, err = run(capsys, "distribution", folder, "--slate", _slate_file(tmp_path),
                       "--out", table)
    assert code == 2 and "would be replaced" in err
    assert table.read_text() == text


@pytest.mark.parametrize("blank", [" ", "\t", "\u3000 "])
def test_a_blank_cinema_id_is_refused_by_http_as_by_the_cli(
        client: TestClient, model_dir: Path, tmp_path: Path, blank: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A cinema id of spaces alone was planned over HTTP (200, a cinema no user names, given
    screens); the CLI's screens file refuses it. HTTP answers 422 naming the field."""
    import re

    r = _post(client, {"films": FILMS, "cinemas": [{"cinema_id": "c1", "screens": 3},
                                                   {"cinema_id": blank, "screens": 2}]})
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith("body field 'cinemas[1].cinema_id': is blank")
    pattern = client.get("/openapi.json").json()["components"]["schemas"]["CinemaScreens"][
        "properties"]["cinema_id"]["pattern"]
    assert re.fullmatch(pattern, blank) is None and re.fullmatch(pattern, " c 3 ")
    screens = tmp_path / "screens.csv"
    screens.write_text(f"cinema_id,screens\nc1,3\n\"{blank}\",2\n", encoding="utf-8")
    code, out, err = run(capsys, "distribution", model_dir, "--slate", _slate_file(tmp_path),
                         "--screens-per-cinema", screens)
    assert code == 2 and out == "" and f"line 3: a blank ({blank!r}) cinema_id" in err, err


def test_one_of_a_kind_is_said_in_the_singular(model_dir: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The slate and the breakdown said "1 cinemas", "1 screens", "1 films" (and a table
    of one idle cinema "1 screens of 1 cinema")."""
    screens = tmp_path / "one.csv"
    screens.write_text("cinema_id,screens\nc1,1\n")
    slate = tmp_path / "one-film.csv"
    slate.write_text("film_id\n00003\n")
    code, out, err = run(capsys, "distribution", model_dir, "--slate", slate,
                         "--screens-per-cinema", screens)
    assert code == 0, err
    assert out.startswith("1 screen of 1 cinema shared among 1 film by expected new viewers")
    code, out, err = run(capsys, "distribution", model_dir, "--slate", slate,
                         "--screens-per-cinema", screens, "--json")
    assert code == 0 and json.loads(out)["shared_by"] == "expected_new", err
    table = tmp_path / "cinemas.csv"
    table.write_text("cinema_id,city,region,screens,seats\n" + "".join(
        f"{c},X,Y,{n},100\n" for c, n in {**CINEMAS, "c9": 1}.items()))
    code, out, err = run(capsys, "distribution", model_dir, "00003", "--by", "cinema",
                         "--screens", "1", "--cinemas", table, "--json")
    assert code == 0, err
    assert json.loads(out)["screens"]["capped_by"] == (
        "cinemas.csv: 4 cinemas, 10 screens; 1 screen of 1 cinema no user names cannot be used "
        "(e.g. 'c9')")
    code, out, err = run(capsys, "distribution", model_dir, "00003", "--by", "cinema",
                         "--screens", "1", "--cinemas", table)
    assert code == 0, err
    assert "\n1 screen shared out by expected_total (largest remainder: equal remainders " in out
    assert "'other' last; capped by" in out
    slate.write_text("film_id,min_screens\n00003,2\n")
    code, _, err = run(capsys, "distribution", model_dir, "--slate", slate,
                       "--screens-per-cinema", screens)
    assert code == 2 and "min_screens add up to 2, more than the 1 screen available" in err
