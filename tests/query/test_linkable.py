"""A pseudonymised export carries user attributes only when they single nobody out: beside a
pseudonym, ``with=age,gender,occupation,cinema`` made 89% of the demo's users the only ones
with their values, so a "pseudonymised" list named them to anyone who knew those of a person.
Oracle: class sizes counted by brute force (a Counter over the users' value tuples)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli, train_folder

from recommender.errors import InvalidParameterError
from recommender.io import demo
from recommender.model import artifact
from recommender.model.model import Model
from recommender.query.linkable import check_filtered, check_linkable, class_sizes, safe_columns
from recommender.query.pseudonym import ENV_KEY
from service.app import create_app
from service.settings import Settings

KEY = "a-key-of-at-least-16-bytes"
ATTRS = ["age", "gender", "occupation", "region", "cinema"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("linkable")
    folder = demo.generate(tmp / "data", seed=4, n_users=400, n_films=60, n_interactions=5_000)
    return artifact.save(train_folder(folder, factors=8, iterations=3, segments=3),
                         tmp / "model")


@pytest.fixture(scope="module")
def model(model_dir: Path) -> Model:
    return artifact.load(model_dir)


def brute_sizes(model: Model, attrs: tuple[str, ...]) -> np.ndarray:
    table = model.user_table.attributes
    keys = [tuple(str(table[a][u]) for a in attrs) for u in range(model.n_users)]
    counts = Counter(keys)
    return np.array([counts[k] for k in keys])


def test_class_sizes_and_the_safe_columns_against_brute_force(model: Model) -> None:
    users = np.arange(0, model.n_users, 3)
    for size in (1, 2, 3):
        for attrs in combinations(ATTRS, size):
            np.testing.assert_array_equal(class_sizes(model, attrs), brute_sizes(model, attrs))
            short = (brute_sizes(model, attrs)[users] < 10).any()
            if short:
                with pytest.raises(InvalidParameterError, match="could be linked back"):
                    check_linkable(model, list(attrs) + ["title"], users, 10)
            else:
                check_linkable(model, list(attrs), users, 10)
    kept = safe_columns(model, ATTRS, users, 10)
    assert not (brute_sizes(model, tuple(kept))[users] < 10).any()
    larger = [s for n in range(len(kept) + 1, len(ATTRS) + 1) for s in combinations(ATTRS, n)]
    assert all((brute_sizes(model, s)[users] < 10).any() for s in larger)
    check_linkable(model, ["title", "segment_label"], users, 10)  # no user attribute: no check


def test_cli_and_http_refuse_linkable_pseudonymised_rows(
        model_dir: Path, model: Model, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(ENV_KEY, KEY)
    film = str(model.films.ids[int(np.argmax(model.film_counts()))])
    fine = ",".join(safe_columns(model, ["gender", "region"], np.arange(model.n_users), 10))
    assert fine  # the demo's gender and region single nobody out
    code, _, err = run_cli(capsys, "audience", model_dir, film, "--k", 50, "--csv",
                           "--pseudonymize", "--with", "age,gender,occupation,cinema")
    assert code == 2 and "could be linked back to them" in err and "keeping only" in err
    code, out, err = run_cli(capsys, "audience", model_dir, film, "--k", 50, "--csv",
                             "--pseudonymize", "--with", f"title,{fine}")
    assert code == 0, err
    # without pseudonyms the ids are there anyway: nothing to refuse
    code, _, err = run_cli(capsys, "audience", model_dir, film, "--k", 50, "--csv",
                           "--with", "age,gender,occupation,cinema")
    assert code == 0, err
    # the table's own columns beside pseudonyms: only those that single nobody out
    code, out, err = run_cli(capsys, "audience", model_dir, film, "--k", 50, "--pseudonymize")
    assert code == 0, err
    header = next(line for line in out.splitlines() if line.startswith("rank"))
    assert "segment_label" in header
    settings = Settings(model_path=str(model_dir), warm_cache=False)
    with TestClient(create_app(settings)) as c:
        url = f"/films/{film}/audience.csv"
        r = c.get(url, params={"k": 50, "pseudonymize": "true",
                               "with": "age,gender,occupation,cinema"})
        assert r.status_code == 422 and "could be linked back" in r.json()["detail"]
        r = c.get(url, params={"k": 50, "pseudonymize": "true", "with": fine})
        assert r.status_code == 200
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert rows and all(row["user_id"].startswith("p-") for row in rows)
        r = c.get(url, params={"k": 50, "with": "age,gender,occupation,cinema"})
        assert r.status_code == 200


def test_filters_count_as_columns_beside_pseudonyms(
        model_dir: Path, model: Model, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Rows cut by attribute filters carry those attributes: filtering on a user's age,
    gender, occupation and cinema listed that user alone by pseudonym, with no column (and a
    filter beside with= columns was not counted with them)."""
    monkeypatch.setenv(ENV_KEY, KEY)
    attrs = ("age", "gender", "occupation", "cinema")
    sizes = brute_sizes(model, attrs)
    lone = int(np.flatnonzero(sizes == 1)[0])  # the only user with these four values
    table = model.user_table.attributes
    cut = [f"{a}={table[a][lone]}" for a in attrs]
    film = str(model.films.ids[int(np.argmax(model.film_counts()))])
    flags = [x for c in cut for x in ("--filter", c)]
    # the oracle: the filtered attributes and the columns, counted together
    users = np.arange(model.n_users)
    for with_ in ((), ("gender",), ("region", "cinema")):
        short = (brute_sizes(model, ("age", *with_))[users] < 10).any()
        if short:
            with pytest.raises(InvalidParameterError, match="filtered by"):
                check_filtered(model, {"age": ["x"]}, list(with_), users, 10)
        else:
            check_filtered(model, {"age": ["x"]}, list(with_), users, 10)
    for out in ("--csv", "--json", None):
        code, _, err = run_cli(capsys, "audience", model_dir, film, "--k", 50,
                               "--include-seen", "--pseudonymize", *flags,
                               *([out] if out else []))
        assert code == 2 and "filtered by" in err and "could be linked back" in err, (out, err)
    code, out, err = run_cli(capsys, "audience", model_dir, film, "--k", 50, "--include-seen",
                             "--csv", *flags)
    assert code == 0 and len(list(csv.DictReader(io.StringIO(out)))) == 1, err
    code, _, err = run_cli(capsys, "audiences", model_dir, "--all", "--k", 20,
                           "--pseudonymize", *flags, "--out", model_dir.parent / "a.csv")
    assert code == 2 and "filtered by" in err, err
    settings = Settings(model_path=str(model_dir), warm_cache=False)
    with TestClient(create_app(settings)) as c:
        params = {"k": 50, "exclude_seen": "false", "pseudonymize": "true", "filter": cut}
        for path in ("audience", "audience.csv"):
            r = c.get(f"/films/{film}/{path}", params=params)
            assert r.status_code == 422 and "filtered by" in r.json()["detail"], path
            r = c.get(f"/films/{film}/{path}", params={**params, "pseudonymize": "false"})
            assert r.status_code == 200, path
            # a page that lists nobody (past the end) still counts the class in its total:
            # it was answered, total 1, to the recipients of pseudonyms
            r = c.get(f"/films/{film}/{path}", params={**params, "offset": 5000})
            assert r.status_code == 422 and "filtered by" in r.json()["detail"], path
    code, _, err = run_cli(capsys, "audience", model_dir, film, "--k", 50, "--include-seen",
                           "--pseudonymize", "--json", "--offset", 5000, *flags)
    assert code == 2 and "filtered by" in err, err


def test_a_batch_export_is_checked_before_anything_is_written(
        model_dir: Path, model: Model, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``audiences`` checked batch by batch and counted one batch's rows ("338 of the 12,800
    rows" of a 20,000-row export): every user it may list is checked first, and counted."""
    monkeypatch.setenv(ENV_KEY, KEY)
    out = model_dir.parent / "all.csv"
    short = int((brute_sizes(model, ("age",)) < 10).sum())
    assert short  # the demo has ages fewer than 10 users share
    code, _, err = run_cli(capsys, "audiences", model_dir, "--all", "--k", 20, "--with", "age",
                           "--pseudonymize", "--out", out)
    assert code == 2 and f"{short:,} of the {model.n_users:,} users this export may list " \
                         "share their age" in err, err
    assert not out.exists()


def test_users_without_values_are_said_to_be_the_cause(model: Model) -> None:
    """Users the model learnt from events have no attributes: "" is a value, held by few."""
    from dataclasses import replace

    table = {**model.user_table.attributes}
    gender = np.asarray(table["gender"]).copy()
    gender[:3] = ""  # three users without a profile
    table["gender"] = gender
    blanked = replace(model, user_table=replace(model.user_table, attributes=table))
    with pytest.raises(InvalidParameterError,
                       match=r"3 of the 5 rows name users who share their gender .*\(3 of them "
                             r"with no value for some of these"):
        check_linkable(blanked, ["gender"], np.arange(5), 10)


def test_the_schema_says_pseudonyms_refuse_linkable_rows(model_dir: Path) -> None:
    """The refusal is a 422 on a request valid by the schema (Schemathesis reports it as
    refused on the demo): the schema's ``pseudonymize`` says when, on both audience routes
    (it said only "403 when it has none")."""
    settings = Settings(model_path=str(model_dir), warm_cache=False, pseudonym_key=KEY)
    with TestClient(create_app(settings)) as c:
        paths = c.get("/openapi.json").json()["paths"]
    for path in ("/films/{film_id}/audience", "/films/{film_id}/audience.csv"):
        param = next(p for p in paths[path]["get"]["parameters"] if p["name"] == "pseudonymize")
        text = param["description"]
        assert "422" in text and "RECOMMENDER_MIN_CELL" in text and "filter" in text, text
