"""Catalog films no interaction names: training records them in ``meta.json`` and every
surface says what they are when one is asked for (they were dropped without a word, and
``audience MODEL 1076`` answered with unrelated titles)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli

from recommender.errors import UnknownFilmError
from recommender.io.dataset import Catalog
from recommender.io.ids import IdMap
from recommender.model import catalog_only
from recommender.model.artifact import load
from service.app import create_app
from service.settings import Settings

# films 1-8 have interactions; 90 and 91 are only in movies.csv (91 twice)
EXTRA = {"90": ("Innocents, The", 1961), "91": ("Road Home, The", 1999)}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("catalog_only")
    rng = np.random.default_rng(3)
    rows = ["userId,movieId,rating,timestamp"]
    for u in range(1, 41):
        for f in rng.choice(np.arange(1, 9), size=4, replace=False):
            rows.append(f"{u},{f},4.0,{1_000_000 + u * 10 + int(f)}")
    (d / "ratings.csv").write_text("\n".join(rows) + "\n")
    movies = ["movieId,title,genres"] + [f"{f},Film {f} ({1990 + f}),Drama" for f in range(1, 9)]
    movies += [f'{f},"{t} ({y})",Drama' for f, (t, y) in EXTRA.items()]
    movies.append('91,"Road Home, The (1999)",Drama')
    (d / "movies.csv").write_text("\n".join(movies) + "\n")
    return d


@pytest.fixture(scope="module")
def model_dir(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("catalog_only_model") / "model"
    from recommender.cli import main

    assert main(["train", "--data", str(folder), "--out", str(out), "--no-tune",
                 "--factors", "4", "--segments", "2"]) == 0
    return out


def test_training_records_them(model_dir: Path, folder: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    meta = json.loads((model_dir / "meta.json").read_text())
    assert meta[catalog_only.KEY]["count"] == 2
    assert meta[catalog_only.KEY]["films"] == [["90", "Innocents, The (1961)", 1961],
                                               ["91", "Road Home, The (1999)", 1999]]
    model = load(model_dir)
    assert catalog_only.listed(model.meta) == [("90", "Innocents, The (1961)", 1961),
                                               ("91", "Road Home, The (1999)", 1999)]
    assert sorted(model.films.ids.tolist()) == [str(f) for f in range(1, 9)]
    code, out, _ = run_cli(capsys, "info", model_dir)
    assert code == 0 and "note: 2 films of the training catalog without an interaction" in out


def test_train_says_so(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "train", "--data", folder, "--out", tmp_path / "m",
                           "--no-tune", "--factors", "4", "--segments", "2")
    assert code == 0 and "note: 2 films of the catalog without an interaction in the log, " \
        "left out of the model" in err


def test_listing_is_capped_and_counts_all(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = np.array([str(i) for i in range(10)])
    cat = Catalog(ids, np.array([f"T{i}" for i in range(10)]), np.zeros(10, np.int32),
                  np.full(10, "", dtype=str))
    monkeypatch.setattr(catalog_only, "LISTED", 3)
    got = catalog_only.record(cat, IdMap(ids[:4]))
    assert got is not None and got["count"] == 6
    assert [r[0] for r in got["films"]] == ["4", "5", "6"] and "first 3 of 6" in got["note"]
    assert catalog_only.record(cat, IdMap(ids)) is None
    assert catalog_only.record(None, IdMap(ids)) is None


def test_cli_and_http_name_them(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "audience", model_dir, "90")
    assert code == 2 and out == ""
    assert err.strip() == ("error: unknown film_id '90'; 90 Innocents, The (1961) is "
                           + "in the training data's catalog, but no interaction of the log "
                           + "names it: the model holds no audience or viewers for it (a "
                           + "cold-start audience ranks one from comparable films or genres)")
    # typed as people type the title, with or without its year: named, not in the model
    for typed in ("the innocents", "Innocents, The (1961)", "THE INNOCENTS 1961"):
        code, _, err = run_cli(capsys, "audience", model_dir, typed)
        assert code == 2 and ("not in the model (in the training data's catalog, but no "
                              "interaction of the log names it): 90 Innocents, The (1961)") in err
    code, _, err = run_cli(capsys, "audience", model_dir, "the innocents 1970")
    assert code == 2 and "90 Innocents" not in err  # another year: not that film
    with TestClient(create_app(Settings(model_path=str(model_dir)))) as client:
        r = client.get("/films/90/audience")
        assert r.status_code == 404 and "90 Innocents, The (1961) is in the training" in r.text
        assert client.get("/health").json()["model"]["catalog_without_interactions"] == 2
        # search cannot list them: its body names them apart, as the CLI's does
        body = client.get("/films", params={"query": "the innocents"}).json()
        assert body["not_in_model"] == [{"film_id": "90", "title": "Innocents, The (1961)",
                                         "year": 1961}]
        assert "90" not in {f["film_id"] for f in body["films"]}
        assert client.get("/films", params={"query": "91"}).json()["not_in_model"][0][
            "film_id"] == "91"
        assert client.get("/films", params={"query": "innocents", "genre": "Drama"}
                          ).json()["not_in_model"] == []
        code, out, _ = run_cli(capsys, "search", model_dir, "the innocents", "--json")
        assert code == 0 and out == client.get("/films", params={"query": "the innocents"}
                                               ).text + "\n"
    code, out, _ = run_cli(capsys, "search", model_dir, "the innocents")
    assert code == 0 and out.splitlines()[-1] == (
        "not in the model (in the training catalog, no interaction in the log): 90 Innocents, "
        "The (1961)")


def test_a_films_file_names_them_as_audience_does(model_dir: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """`audiences --films FILE` said only "unknown film_id '90'" of a film `audience` names
    as left out of the model (and nothing of a title naming one)."""
    films = tmp_path / "films.txt"
    films.write_text("1\n90\n")
    code, out, err = run_cli(capsys, "audiences", model_dir, "--films", films, "--out",
                             tmp_path / "never.csv")
    assert code == 2 and out == "" and not (tmp_path / "never.csv").exists()
    assert err.strip() == (f"error: {films}, line 2: unknown film_id '90' (1 of the file's 2 "
                           "ids is unknown); 90 Innocents, The (1961) is in the training data's "
                           "catalog, but no interaction of the log names it: the model holds no "
                           "audience or viewers for it (a cold-start audience ranks one from "
                           "comparable films or genres)")
    films.write_text("the innocents\n")
    code, _, err = run_cli(capsys, "audiences", model_dir, "--films", films, "--out",
                           tmp_path / "never.csv")
    assert code == 2 and ("not in the model (in the training data's catalog, but no "
                          "interaction of the log names it): 90 Innocents, The (1961)") in err


def test_several_unknown_films(model_dir: Path) -> None:
    from recommender.query.hints import with_title_hint

    model = load(model_dir)
    error = model.films.unknown(UnknownFilmError, ["91", "the innocents", "xyzzy"])
    message = str(with_title_hint(model, error))
    assert "; 91 Road Home, The (1999) is in the training data's catalog" in message
    assert "; 'the innocents': not in the model (in the training data's catalog, but no " \
           "interaction of the log names it): 90 Innocents, The (1961)" in message
    assert "xyzzy'" not in message.split("; ", 1)[1]


def test_an_id_with_more_or_fewer_leading_zeros_is_named(model_dir: Path) -> None:
    """A known id typed without its zeros says "did you mean"; a listed one ("0092" typed as
    "92", as the demo's IMDb-style ids are) was refused without a word."""
    from recommender.query.hints import with_title_hint

    model = load(model_dir)
    model.meta = {**model.meta, catalog_only.KEY: {
        "count": 1, "films": [["0092", "Amélie (2001)", 2001]], "note": ""}}
    for typed in ("92", "092"):
        message = str(with_title_hint(model, model.films.unknown(UnknownFilmError, [typed])))
        assert message == (f"unknown film_id '{typed}'; 0092 Amélie (2001) is in the training "
                           "data's catalog, but no interaction of the log names it: the model "
                           "holds no audience or viewers for it (a cold-start audience ranks "
                           "one from comparable films or genres)")
    assert str(with_title_hint(model, model.films.unknown(UnknownFilmError, ["0"]))) == \
        "unknown film_id '0'"


def test_listed_titles_are_read_once_per_model(model_dir: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Each unknown film argument read every listed title again (up to LISTED = 5,000 on
    every 404: about 36 ms each, 200 ms for five arguments): they are read once per model."""
    from recommender.query import titles
    from recommender.query.hints import with_title_hint

    listed = [[str(1000 + i), f"Listed Film {i} ({1950 + i})", 1950 + i] for i in range(50)]
    model = load(model_dir)
    model.meta = {**model.meta, catalog_only.KEY: {"count": 50, "films": listed, "note": ""}}
    read: list[str] = []
    real = titles.title_names

    def counted(title: str) -> tuple[list[tuple[str, str]], int]:
        read.append(title)
        return real(title)
    monkeypatch.setattr(titles, "title_names", counted)
    for typed in ("listed film 7", "xyzzy", "the innocents"):
        with_title_hint(model, model.films.unknown(UnknownFilmError, [typed]))
    assert "1007 Listed Film 7 (1957)" in str(
        with_title_hint(model, model.films.unknown(UnknownFilmError, ["listed film 7 1957"])))
    assert sum(t.startswith("Listed Film") for t in read) == len(listed)


@pytest.mark.parametrize("typed", ["90.0", "090", "90.00", " 90 ", "090.0"])
def test_a_left_out_id_is_read_as_a_known_ids_did_you_mean_reads_it(
        model_dir: Path, typed: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A left-out film's id in a form a known id's "did you mean" reads (a spreadsheet's float
    "90.0" for "90": it was told only "unknown", where a known "1.0" said "did you mean '1'?")
    names it in the film argument's error and in search's ``not_in_model``, the CLI as HTTP.
    The oracle: ``IdMap.same_but_zeros`` of the listed ids, and the id itself typed."""
    assert IdMap(["90", "91"]).same_but_zeros(typed) == ["90"]  # the resolver reads it so
    code, _, err = run_cli(capsys, "audience", model_dir, "90")
    assert code == 2
    as_typed = err.strip().removeprefix("error: ").replace("'90'", repr(typed), 1)
    code, out, err = run_cli(capsys, "audience", model_dir, typed)
    assert code == 2 and out == "" and err.strip() == f"error: {as_typed}"
    with TestClient(create_app(Settings(model_path=str(model_dir)))) as client:
        r = client.get(f"/films/{typed}/audience")
        assert r.status_code == 404 and r.json()["detail"] == as_typed, r.text
        body = client.get("/films", params={"query": typed}).json()
        assert body["not_in_model"] == client.get("/films", params={"query": "90"}).json()[
            "not_in_model"] == [{"film_id": "90", "title": "Innocents, The (1961)", "year": 1961}]
        code, out, _ = run_cli(capsys, "search", model_dir, typed, "--json")
        assert code == 0 and json.loads(out)["not_in_model"] == body["not_in_model"]


def test_a_comparable_film_without_viewers_asks_for_its_genres(
        model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`cold-start --like 2939` (a catalog film with no interactions) answered that "a
    cold-start audience ranks one from comparable films or genres": the very thing asked
    for. As a comparable film it has no viewers to learn from: its genres are asked for
    instead, on the CLI (refused, or skipped beside a known film) and over HTTP alike; an
    audience asked for it still says what a cold start is."""
    like = ("90 Innocents, The (1961) is in the training data's catalog, but no interaction of "
            "the log names it: it has no viewers to learn from, so it cannot stand for a new "
            "film's audience; give its genres instead (--genre, or the body's genres)")
    code, _, err = run_cli(capsys, "cold-start", model_dir, "--like", "90", "--k", 3)
    assert code == 2 and err.strip() == f"error: unknown film_id '90'; {like}", err
    code, out, err = run_cli(capsys, "cold-start", model_dir, "--like", "90", "1", "--k", 3)
    assert code == 0 and f"skipped unknown film_id '90'; {like}" in err, err
    code, _, err = run_cli(capsys, "cold-start", model_dir, "--like", "90", "91", "--k", 3)
    assert code == 2 and "'90'" in err and "give its genres instead" in err, err
    assert "comparable films or genres" not in err
    with TestClient(create_app(Settings(model_path=str(model_dir)))) as client:
        r = client.post("/audiences/cold-start", json={"comparable_film_ids": ["90"]})
        assert r.status_code == 404 and r.json()["detail"] == (
            f"unknown film_id '90'; {like}"), r.text
        r = client.get("/films/90/audience")  # not a comparable film: as before
        assert r.status_code == 404 and "a cold-start audience ranks one" in r.text


def test_a_stores_events_for_them_are_counted(model_dir: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A film left out of the model that the campaign store read holds events for was said
    "no interaction of the log names it" alone, as if nothing had been recorded: its own
    count of the store's events is said, and that training with them brings it in."""
    import time

    from recommender.campaigns.events import EventBatch, record_events
    from recommender.campaigns.store import open_store

    store_path = tmp_path / "events.db"
    store = open_store(str(store_path))
    films = ["90", "90", "90", "91", "zz"]  # 90: 3 events, 91 one, "zz" no catalog film
    record_events(store, EventBatch([f"e{i}" for i in range(5)], ["1", "2", "3", "4", "5"],
                                    films, [int(time.time())] * 5, [1.0] * 5))
    store.close()
    code, _, err = run_cli(capsys, "audience", model_dir, "90", "--store", store_path)
    assert code == 2 and err.strip() == (
        "error: unknown film_id '90'; 90 Innocents, The (1961) is in the training data's "
        "catalog, but no interaction of the log names it: the model holds no audience or "
        "viewers for it (a cold-start audience ranks one from comparable films or genres); "
        "the campaign store holds 3 events for it since the model's training, which an "
        "answer cannot fold in (a film is learnt in training): `train --data DATA --events "
        "STORE` brings it in")
    code, _, err = run_cli(capsys, "audience", model_dir, "zz", "--store", store_path)
    assert code == 2 and "unknown film_id 'zz'; the campaign store holds 1 event for it" in err
    code, _, err = run_cli(capsys, "audience", model_dir, "92", "--store", store_path)
    assert code == 2 and "campaign store" not in err  # no event for it: nothing said
    films_file = tmp_path / "films.txt"
    films_file.write_text("90\n91\n")
    code, _, err = run_cli(capsys, "audiences", model_dir, "--films", films_file, "--out",
                           tmp_path / "never.csv", "--store", store_path)
    assert code == 2 and "the campaign store holds 3 events for '90' since" in err
    assert "the campaign store holds 1 event for '91' since" in err


def test_the_service_counts_them_as_the_cli_does(model_dir: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The service's 404 for an unknown film its store holds events for said nothing of them
    while the CLI on the same model and store counted them: the same sentence now, read from
    the service's own store."""
    import time

    from recommender.campaigns.events import EventBatch, record_events
    from recommender.campaigns.store import open_store

    store_path = tmp_path / "events.db"
    store = open_store(str(store_path))
    films = ["90", "90", "zz", "zz", "zz"]  # 90: a catalog film left out; "zz": none
    record_events(store, EventBatch([f"e{i}" for i in range(5)], ["1", "2", "3", "4", "5"],
                                    films, [int(time.time())] * 5, [1.0] * 5))
    store.close()
    with TestClient(create_app(Settings(model_path=str(model_dir), store=str(store_path),
                                        events_poll=0))) as client:
        for film in ("90", "zz", "92"):
            code, _, err = run_cli(capsys, "audience", model_dir, film, "--store", store_path)
            assert code == 2 and err.startswith("error: "), err
            r = client.get(f"/films/{film}/audience")
            assert r.status_code == 404, r.text
            assert r.json()["detail"] == err.strip().removeprefix("error: "), (r.text, err)
            held = {"90": "2 events", "zz": "3 events"}.get(film)
            assert (f"the campaign store holds {held} for it" in r.text) if held else \
                "campaign store" not in r.text
