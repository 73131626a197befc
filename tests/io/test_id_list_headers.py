"""A first line of an id list that is a column name: one rule in every reader. A seed list
headed ``user_id`` was read one seed short without a word, and a model whose user id is
``user_id`` lost that user (an opt-out lost) wherever the name was spelled so, while
``USER_ID`` was kept as an id. Now a first line named like an id column (``user_id``,
``film_id``, ``userId``, ``movieId``, in any case or spacing) that the model does not hold is
skipped with a note saying it was read as a header; one the model holds is an id; a list
without one reads as before. Oracle: the lines written here and the ids the model holds."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import run_cli as run
from helpers import synthetic_model

from recommender.io.id_lists import (
    read_id_list,
    read_id_list_as_known,
    read_id_list_index,
    read_id_list_lines,
    read_opt_outs,
    read_seed_lines,
)
from recommender.io.ids import IdMap
from recommender.model import artifact

IDS = ["u1", "u2", "u3"]
HEADERS = ["user_id", "USER_ID", "userId", "User ID", "film_id", "movieId"]


def ids_of(reader: str, path: Path, ids: IdMap, said: Callable[[str], None]) -> list[str]:
    """The ids ``reader`` reads from ``path``, as strings in file order."""
    if reader == "index":
        return [str(ids.ids[i]) for i in read_id_list_index(path, ids, said=said).tolist()]
    if reader == "lines":
        return [s for _, s in read_id_list_lines(path, ids, said)]
    if reader == "seeds":
        return [s for _, s in read_seed_lines(path, ids, said)]
    if reader == "opt_outs":
        return read_opt_outs(path, ids, said)
    return read_id_list_as_known(path, ids, said)


READERS = ["index", "lines", "seeds", "opt_outs", "as_known"]


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("header", HEADERS)
def test_a_header_the_model_does_not_hold_is_skipped_and_said(
        tmp_path: Path, reader: str, header: str) -> None:
    path = tmp_path / "ids.txt"
    path.write_text(f"{header}\n" + "\n".join(IDS) + "\n", encoding="utf-8")
    told: list[str] = []
    assert ids_of(reader, path, IdMap(IDS), told.append) == IDS
    assert told == [f"{path}: line 1 {header!r} read as a header (a column name, not an id "
                    "the model holds) and skipped; an id list needs no header"]


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("header", HEADERS)
def test_a_first_line_the_model_holds_is_an_id(tmp_path: Path, reader: str,
                                               header: str) -> None:
    held = IdMap([header, *IDS])
    path = tmp_path / "ids.txt"
    path.write_text(f"{header}\n" + "\n".join(IDS) + "\n", encoding="utf-8")
    told: list[str] = []
    assert ids_of(reader, path, held, told.append) == [header, *IDS]
    assert told == []


@pytest.mark.parametrize("reader", READERS)
def test_a_list_without_a_header_reads_as_before(tmp_path: Path, reader: str) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("\n".join(IDS) + "\n", encoding="utf-8")
    told: list[str] = []
    assert ids_of(reader, path, IdMap(IDS), told.append) == IDS
    assert told == []


def test_without_a_model_a_header_is_skipped_and_said(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("movieId\n10\n20\n", encoding="utf-8")
    told: list[str] = []
    assert read_id_list(path, told.append) == ["10", "20"]
    assert told == [f"{path}: line 1 'movieId' read as a header (a column name) and skipped; "
                    "an id list needs no header"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model whose first user's id is ``user_id``."""
    model = synthetic_model(n_users=60, n_films=10, seed=4)
    users = model.users.ids.astype(object)
    users[0] = "user_id"
    users = np.asarray(users, dtype=str)
    table: Any = dataclasses.replace(model.user_table, user_ids=users.copy())
    renamed = dataclasses.replace(model, users=IdMap(users), user_table=table)
    return artifact.save(renamed, tmp_path_factory.mktemp("header-ids") / "m")


def test_the_cli_says_a_header_it_skipped_and_keeps_an_id_named_so(
        capsys: pytest.CaptureFixture[str], model_dir: Path, tmp_path: Path) -> None:
    users = [str(u) for u in artifact.load(model_dir).users.ids]
    assert users[0] == "user_id"
    seeds = tmp_path / "seeds.txt"
    # the model holds user "user_id": the first line is a seed, and nothing is said
    seeds.write_text("user_id\n" + "\n".join(users[1:4]) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "lookalike", model_dir, "--seeds", seeds, "-k", 3)
    assert code == 0, err
    assert "Lookalikes of 4 seed users" in out and "header" not in err, (out, err)
    # a film list headed film_id, which the model does not hold: skipped and said
    films = tmp_path / "films.txt"
    film_ids = [str(f) for f in artifact.load(model_dir).films.ids[:2]]
    films.write_text("film_id\n" + "\n".join(film_ids) + "\n", encoding="utf-8")
    code, _, err = run(capsys, "audiences", model_dir, "--films", films, "--out",
                       tmp_path / "a.csv")
    assert code == 0, err
    assert (f"note: {films}: line 1 'film_id' read as a header (a column name, not an id "
            "the model holds) and skipped") in err, err
    assert {line.split(",")[0] for line in (tmp_path / "a.csv").read_text().splitlines()[1:]} \
        == set(film_ids)
