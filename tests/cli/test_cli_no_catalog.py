"""A log that came without a catalog (no titles, years or genres: FilmTrust, a ticket export)
prints its film tables without three columns that are blank in every row."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli as run
from helpers import synthetic_model

from recommender.io.dataset import Catalog
from recommender.model import artifact


def _header(out: str) -> list[str]:
    """The column names of the first table of ``out`` (the line above its dashes)."""
    lines = out.splitlines()
    dashes = next(i for i, line in enumerate(lines) if set(line.replace(" ", "")) == {"-"})
    return lines[dashes - 1].split()


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("no-catalog")
    titled = synthetic_model(n_users=60, n_films=12, seed=4)
    n = len(titled.films)
    bare = dataclasses.replace(titled, catalog=Catalog(
        titled.catalog.film_ids, np.full(n, "", dtype=str), np.zeros(n, np.int32),
        np.full(n, "", dtype=str)))
    return artifact.save(titled, root / "titled"), artifact.save(bare, root / "bare")


@pytest.mark.parametrize("argv", [("similar", "{fid}"), ("recommend", "--user", "{uid}"),
                                  ("search", "{fid}")])
def test_film_tables_leave_out_catalog_columns_no_film_has(
        capsys: pytest.CaptureFixture[str], models: tuple[Path, Path],
        argv: tuple[str, ...]) -> None:
    titled, bare = models
    model = artifact.load(titled)
    ids = {"fid": str(model.films.ids[2]), "uid": str(model.users.ids[2])}
    args = [a.format(**ids) for a in argv]
    code, out, err = run(capsys, args[0], titled, *args[1:])
    assert code == 0, err
    with_catalog = _header(out)
    assert "title" in with_catalog
    code, out, err = run(capsys, args[0], bare, *args[1:])
    assert code == 0, err
    # the same table, less the catalog's columns (each blank in every row)
    assert _header(out) == [c for c in with_catalog if c not in ("title", "year", "genres")]


def test_a_column_asked_for_is_kept_though_blank(
        capsys: pytest.CaptureFixture[str], models: tuple[Path, Path], tmp_path: Path) -> None:
    """Only film tables leave out the catalog's blank columns: ``audience --with title`` on a
    log without titles printed no title column, the one column asked for (a user attribute
    named ``year`` or ``genres`` too). Oracle: the columns of the same page exported as CSV."""
    import csv
    import io

    _, bare = models
    fid = str(artifact.load(bare).films.ids[2])
    code, out, err = run(capsys, "audience", bare, fid, "--k", "3", "--with", "title", "--csv")
    assert code == 0, err
    exported = next(csv.reader(io.StringIO(out)))
    assert "title" in exported
    code, out, err = run(capsys, "audience", bare, fid, "--k", "3", "--with", "title")
    assert code == 0, err
    # the table's columns are the CSV's, its film_id aside (the film is the table's title)
    assert sorted(_header(out)) == sorted(c for c in exported if c != "film_id"), out


def test_segments_leave_out_top_genres_when_the_catalog_has_no_genres(
        capsys: pytest.CaptureFixture[str], models: tuple[Path, Path]) -> None:
    """``segments`` on a log without genres printed a top_genres column blank in every row,
    under a legend explaining genre lifts. Oracle: the titled model's table, less that column,
    and the JSON body, whose segments name no genre."""
    import json

    titled, bare = models
    code, out, err = run(capsys, "segments", titled)
    assert code == 0, err
    with_genres = _header(out)
    assert "top_genres" in with_genres
    code, body, err = run(capsys, "segments", bare, "--json")
    assert code == 0, err
    assert not any(s["top_genres"] for s in json.loads(body)["segments"])
    code, out, err = run(capsys, "segments", bare)
    assert code == 0, err
    assert _header(out) == [c for c in with_genres if c != "top_genres"]
    assert "top_genres: lift" not in out
    assert "no genres" in out


def test_a_title_searched_without_titles_is_said_to_have_none(
        capsys: pytest.CaptureFixture[str], models: tuple[Path, Path]) -> None:
    """``search MODEL 'a title'`` on a log without titles said "0 films match" and nothing of
    why. Oracle: the titled model finds a film by its title; the bare one, by the same title,
    none, and says no film has one; by the film's id, both find it and say nothing of it."""
    titled, bare = models
    model = artifact.load(titled)
    title, fid = str(model.catalog.titles[2]), str(model.films.ids[2])
    code, out, err = run(capsys, "search", titled, title)
    assert code == 0, err
    assert fid in out and "no film has a title" not in out
    code, out, err = run(capsys, "search", bare, title)
    assert code == 0, err
    assert out.startswith("0 films match") and "no film has a title" in out, out
    assert "--films" in out
    code, out, err = run(capsys, "search", bare, fid)
    assert code == 0, err
    assert fid in out and "no film has a title" not in out


def test_attributes_of_a_model_without_any_print_no_empty_table(
        capsys: pytest.CaptureFixture[str], models: tuple[Path, Path], tmp_path: Path) -> None:
    """``attributes`` on a log without a users file printed its sentence and then a table's
    header and dashes with no row under them. Oracle: ``--json``'s attributes, none."""
    import json

    from recommender.io.dataset import UserTable

    model = artifact.load(models[1])
    bare = artifact.save(dataclasses.replace(model, user_table=UserTable(model.users.ids)),
                         tmp_path / "no-attributes")
    code, body, err = run(capsys, "attributes", bare, "--json")
    assert code == 0, err
    assert json.loads(body)["attributes"] == {}
    code, out, err = run(capsys, "attributes", bare)
    assert code == 0, err
    assert "no attributes" in out and "--users" in out
    assert not any(set(line.replace(" ", "")) == {"-"} for line in out.splitlines()), out


@pytest.mark.parametrize("command", ["audience", "summary", "film"])
def test_a_film_without_a_title_is_not_named_by_its_id_twice(
        capsys: pytest.CaptureFixture[str], models: tuple[Path, Path], command: str) -> None:
    """``audience``, ``summary`` and ``film`` of a film without a title printed its id as a
    title ("Audience for 0001074 [film 0001074]"). Oracle: the catalog's own title and year
    on the titled model, and ``similar``'s header (``film_named``) on the bare one."""
    from recommender.query.catalog import with_year

    titled, bare = models
    model = artifact.load(titled)
    fid = str(model.films.ids[2])
    title = with_year(str(model.catalog.titles[2]), int(model.catalog.years[2]))
    code, out, err = run(capsys, command, titled, fid)
    assert code == 0, err
    assert f"{title} [film {fid}]" in out.splitlines()[0]
    code, similar, err = run(capsys, "similar", bare, fid)
    assert code == 0, err
    named = similar.splitlines()[0].removeprefix("Films similar to ")
    assert named == f"film {fid}"
    code, out, err = run(capsys, command, bare, fid)
    assert code == 0, err
    first = out.splitlines()[0]
    assert f"[film {fid}]" not in first and named in first, first
