"""``attributes`` of a model whose users file held ``user_id`` alone says the file was read
and held no attribute column (it said "no users file was given", and to give one)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from helpers import run_cli as run
from helpers import timeless_log

from recommender.model import artifact


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return timeless_log(tmp_path_factory.mktemp("users-file"))[1]


def _train(capsys: pytest.CaptureFixture[str], data: Path, out: Path, *extra: object) -> None:
    code, _, err = run(capsys, "train", "--data", data, "--out", out, "--no-tune",
                       "--factors", 4, "--iterations", 2, "--segments", 2, *extra)
    assert code == 0, err


def test_a_users_file_of_user_id_alone_is_said_read(
        capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path) -> None:
    ids = sorted({r["user_id"] for r in csv.DictReader(open(data / "interactions.csv"))})
    users = tmp_path / "users.csv"
    users.write_text("user_id\n" + "".join(f"{u}\n" for u in ids))
    _train(capsys, data, tmp_path / "with", "--users", users)
    _train(capsys, data, tmp_path / "without")
    # the oracle: what training was given, and the model's own (empty) attribute list
    for name, given in (("with", True), ("without", False)):
        model = artifact.load(tmp_path / name)
        assert model.user_table.attributes == {}
        code, out, err = run(capsys, "attributes", tmp_path / name)
        assert code == 0, err
        assert ("no users file was given" in out) is not given, out
        assert ("the users file read to train held no attribute column" in out) is given, out
        assert "user_id,age,gender" in out or not given
        # the summary's portrait says the same
        code, out, err = run(capsys, "summary", tmp_path / name, str(model.films.ids[0]))
        assert code == 0, err
        last = out.rstrip().splitlines()[-1]
        assert last.startswith("Portrait: none. "), last
        assert ("no users file was given" in last) is not given, last
        assert ("the users file read to train held no attribute column" in last) is given


def test_a_model_whose_meta_does_not_say_names_both_causes(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A model trained before ``meta.json`` said whether a users file was read: either."""
    import dataclasses

    from helpers import synthetic_model

    from recommender.io.dataset import UserTable

    model = synthetic_model(n_users=40, n_films=6, seed=2)
    model = dataclasses.replace(model, user_table=UserTable(model.users.ids.copy(), {}))
    assert "users_file_read" not in (model.meta.get("data") or {})
    code, out, err = run(capsys, "attributes", artifact.save(model, tmp_path / "m"))
    assert code == 0, err
    assert "no users file was given to train, or the one given held user_id alone" in out


def test_the_count_column_says_what_it_counts(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Its header said "count" beside "users without a value": a count of users, as read.
    Oracle: the distinct values the users hold (a city named in two regions is one value,
    though the list, as --filter takes them, adds its two towns: it counted 3)."""
    import json

    import numpy as np
    from helpers import synthetic_model

    model = synthetic_model(n_users=40, n_films=6, seed=2)
    attrs = model.user_table.attributes
    attrs["region"] = np.asarray(["North", "South"] * 20, dtype=str)
    attrs["city"] = np.asarray(["Springfield"] * 30 + ["Ashby"] * 9 + [""], dtype=str)
    path = artifact.save(model, tmp_path / "m")
    body = json.loads(run(capsys, "attributes", path, "--json")[1])
    held = {name: {str(v) for v in column} - {""} for name, column in attrs.items()}
    assert len(body["attributes"]["city"]) > len(held["city"]) == 2  # the towns listed
    code, out, err = run(capsys, "attributes", path)
    assert code == 0, err
    lines = out.splitlines()
    header = [c.strip() for c in lines[0].split("  ") if c.strip()]
    assert header[2] == "distinct values (count)", header
    starts = [i for i, ch in enumerate(lines[1])  # where each column's dashes start
              if ch == "-" and (i == 0 or lines[1][i - 1] == " ")]
    for line in lines[2:2 + len(body["attributes"])]:
        name = line.split()[0]
        cell = line[starts[2]:].split()[0]
        assert int(cell) == len(held[name]), line
    towns = sorted(set(body["attributes"]["city"]) - held["city"])
    assert f"city: its values also list {len(towns)} towns of a name held in several " \
        f"regions ({towns[0]}...)" in out, out
