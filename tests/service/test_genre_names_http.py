"""Genre names over HTTP as on the command line (``catalog.resolve_genres``, one rule for
both): any case, spaces, hyphens and punctuation ignored where that names one genre; the
schema's ``genre`` pattern accepts exactly what the server takes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from genre_models import genre_fixtures
from helpers import run_cli

from recommender.errors import InvalidParameterError, UnknownGenreError
from recommender.model.model import Model

#: Sci-Fi and SciFi share their letters: "sci fi" names both; Film-Noir is alone
NAMES = ["Sci-Fi", "Film-Noir|SciFi", "Drama", "Drama|Sci-Fi"]


model, model_dir, client = genre_fixtures(NAMES, "genres", store=True)


def test_a_genre_is_named_loosely_over_http_as_on_the_command_line(
        client: TestClient, model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """"film noir" was a 422 for the catalog's ``Film-Noir`` (only case was forgiven). The
    answer names the genre as the catalog writes it (it echoed "film noir" as typed)."""
    import json

    want = client.get("/films", params={"genre": "Film-Noir", "limit": 100}).json()
    assert want["total"] > 0
    for name in ("film noir", "FILMNOIR", "Film Noir", "film_noir."):
        r = client.get("/films", params={"genre": name, "limit": 100})
        assert r.status_code == 200, r.text
        assert r.json() == want and want["genre"] == "Film-Noir"
        code, out, err = run_cli(capsys, "search", model_dir, "", "--genre", name, "--limit",
                                 100, "--json")
        assert code == 0, err
        assert json.loads(out) == r.json()
    cold = client.post("/audiences/cold-start", json={"genres": ["Film-Noir"], "k": 5}).json()
    loose = client.post("/audiences/cold-start", json={"genres": ["film noir"], "k": 5})
    assert loose.status_code == 200 and loose.json()["users"] == cold["users"]
    code, out, err = run_cli(capsys, "cold-start", model_dir, "--genre", "film noir",
                             "FILM-NOIR", "--k", 5)
    assert code == 0, err
    assert "a film like Film-Noir; ranking" in out.splitlines()[0], out
    demand = client.post("/distribution/cold-start",
                         json={"genres": ["film noir", "Film-Noir"], "by": "region"})
    assert demand.status_code == 200, demand.text
    assert demand.json()["cold_start"]["genres"] == ["Film-Noir"]
    # two genres of the same letters: the error lists both, and each is reached as written
    r = client.get("/films", params={"genre": "sci fi"})
    assert r.status_code == 422 and "Sci-Fi, SciFi" in r.json()["detail"], r.text
    code, _, err = run_cli(capsys, "search", model_dir, "", "--genre", "sci fi")
    assert code == 2 and "Sci-Fi, SciFi" in err and len(err.strip().splitlines()) == 1
    for name in ("sci-fi", "SCIFI"):
        assert client.get("/films", params={"genre": name}).status_code == 200


def test_the_schemas_genre_pattern_takes_what_the_server_takes(client: TestClient,
                                                                model: Model) -> None:
    spec = client.get("/openapi.json").json()
    params = spec["paths"]["/films"]["get"]["parameters"]
    pattern = next(p for p in params if p["name"] == "genre")["schema"]["pattern"]
    items = spec["components"]["schemas"]["ColdStartRequest"]["properties"]["genres"]["items"]
    assert items["pattern"] == pattern
    texts = ["Sci-Fi", "sci-fi", " SciFi ", "scifi", "sci fi", "Sci Fi", "s-c-i-f-i", "Drama",
             " drama\t", "DRA MA", "drama!", "dramas", "Film-Noir", "film noir", "FILMNOIR",
             "film_noir", "(film) noir?", "film-noi", "noir", "", " ", "-", "é", "Opéra",
             # a letter outside ASCII is a letter, Unicode blanks count around a name only
             "ħdrama", "\u00a0drama\u3000", "dr\u00a0ama", "film\u2003noir", "\x1cdrama"]
    _pattern_takes_what_the_server_takes(model, pattern, texts)


def test_a_letter_case_folding_expands_is_read_as_the_schema_reads_it() -> None:
    """A genre with a letter whose case folding is longer ("ß" folds to "ss"): the server
    took "STRASSE" and "Stras-se" for "Straße", where the schema's pattern (each letter in
    either of its cases) refused them, so a client checking the schema refused what the
    server took; both now read a letter in its lower and upper case alone."""
    from types import SimpleNamespace

    from service.schema_limits import genre_pattern

    vocab = ["Straße", "Drama"]
    stub: Any = SimpleNamespace(catalog=SimpleNamespace(genre_vocabulary=lambda: vocab))
    pattern = genre_pattern(vocab)
    _pattern_takes_what_the_server_takes(stub, pattern, [
        "Straße", "STRAßE", "straße ", "stra-ße", "STRASSE", "Strasse", "stras-se",
        "StraSSE\u00a0", "drama"])


def _pattern_takes_what_the_server_takes(model: Any, pattern: str, texts: list[str]) -> None:
    """Each of ``texts`` matches ``pattern`` exactly when ``resolve_genres`` takes it."""
    from recommender.query.catalog import resolve_genres

    for text in texts:
        try:
            resolve_genres(model, [text])
            takes = True
        except (UnknownGenreError, InvalidParameterError):
            takes = False
        assert (re.fullmatch(pattern, text) is not None) == takes, (text, takes)


def test_two_genres_that_differ_only_by_case_are_each_reached_as_written() -> None:
    """A catalog with ``Sci-Fi`` and ``Sci-fi`` (two sources merged): "Sci-Fi", written as
    the catalog writes it, was read as ``Sci-fi`` (the last of the two in a lower-case
    look-up), and "sci-fi" picked that one silently; now each is reached as written and a
    spelling of both is refused naming them, as "sci fi" was; the schema's pattern agrees."""
    from types import SimpleNamespace

    from recommender.query.catalog import resolve_genres
    from service.schema_limits import genre_pattern

    vocab = ["Drama", "Sci-Fi", "Sci-fi"]
    stub: Any = SimpleNamespace(catalog=SimpleNamespace(genre_vocabulary=lambda: vocab))
    assert resolve_genres(stub, ["Sci-Fi", " Sci-fi ", "drama"]) == ["Sci-Fi", "Sci-fi", "Drama"]
    for name in ("sci-fi", "SCI-FI", "scifi"):
        with pytest.raises(InvalidParameterError, match="Sci-Fi, Sci-fi"):
            resolve_genres(stub, [name])
    _pattern_takes_what_the_server_takes(stub, genre_pattern(vocab), [
        "Sci-Fi", "Sci-fi", " Sci-Fi\t", "sci-fi", "SCI-FI", "sci fi", "Drama", "DRAMA"])


def test_a_mistyped_genre_or_column_gets_a_did_you_mean(
        client: TestClient, model: Model, model_dir: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`--genre Sci-Fy` (search, cold start, HTTP) and `--with regon` listed the valid names
    with no "did you mean", where a tier, an attribute or a segment mistyped gets one: the
    nearest name is said on every surface alike (hand-planted names: Dramma is Drama's)."""
    near = " (did you mean 'Drama'?)"
    said = [client.get("/films", params={"genre": "Dramma"}),
            client.post("/audiences/cold-start", json={"genres": ["Dramma"], "k": 5}),
            client.post("/distribution/cold-start", json={"genres": ["Dramma"], "by": "region"})]
    for r in said:
        assert r.status_code == 422 and f"unknown genre 'Dramma'{near}; " in r.text, r.text
    for argv in (("search", model_dir, "", "--genre", "Dramma"),
                 ("cold-start", model_dir, "--genre", "Dramma", "--k", 5)):
        code, _, err = run_cli(capsys, *argv)
        assert code == 2 and f"unknown genre 'Dramma'{near}; this model's genres" in err, err
    # several: each near one named with the name it is for; none for a name near no genre
    code, _, err = run_cli(capsys, "cold-start", model_dir, "--genre", "Dramma", "Xyzzy",
                           "Film-Nior", "--k", 5)
    assert code == 2 and ("unknown genre 'Dramma', 'Xyzzy', 'Film-Nior' (did you mean 'Drama' "
                          "for 'Dramma', 'Film-Noir' for 'Film-Nior'?); ") in err, err
    code, _, err = run_cli(capsys, "cold-start", model_dir, "--genre", "Xyzzy", "--k", 5)
    assert code == 2 and "unknown genre 'Xyzzy'; this model's genres" in err, err
    # a --with column mistyped, as a filter's attribute is
    film = str(model.films.ids[0])
    assert "region" in model.user_table.attributes
    code, _, err = run_cli(capsys, "audience", model_dir, film, "--with", "regon", "--csv")
    assert code == 2 and "unknown --with column 'regon' (did you mean 'region'?)" in err, err
