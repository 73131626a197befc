"""An id repeated in an id list (``--films``, ``--users``, ``--watched``, ``--seeds``,
``--exclude``) is read once, and every command that reads one says on stderr how many lines
it dropped and the first few (they were dropped without a word)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from helpers import run_cli as run
from helpers import synthetic_model

from recommender.io.id_lists import read_id_list, read_id_list_index, read_opt_outs
from recommender.model import artifact
from recommender.model.model import Model


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return artifact.save(synthetic_model(n_users=150, n_films=25, seed=6),
                         tmp_path_factory.mktemp("dups") / "model")


@pytest.fixture(scope="module")
def model(model_dir: Path) -> Model:
    return artifact.load(model_dir)


def id_file(tmp_path: Path, ids: list[str], name: str = "ids.txt") -> Path:
    p = tmp_path / name
    p.write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
    return p


def said(err: str, path: Path, n: int, first: str, line: int) -> bool:
    """The note names the file, the count of duplicates and the first one with its line."""
    lines = [ln for ln in err.splitlines() if "duplicate" in ln]
    return (len(lines) == 1 and str(path) in lines[0]
            and f"{n} duplicate id{'s' if n > 1 else ''} dropped" in lines[0]
            and f"{first!r} (line {line})" in lines[0])


def test_the_io_readers_tell_the_duplicates(model: Model, tmp_path: Path) -> None:
    u = [str(x) for x in model.users.ids[:3]]
    p = id_file(tmp_path, [u[0], u[1], u[0], u[2], u[1], f"  {u[1]}  ", u[0]])
    told: list[str] = []
    assert read_id_list(p, said=told.append) == u  # each once, in file order
    assert len(told) == 1 and "4 duplicate ids dropped" in told[0]
    assert f"{u[0]!r} (line 3), {u[1]!r} (line 5), {u[1]!r} (line 6) and 1 more" in told[0]
    told.clear()
    assert list(read_id_list_index(p, model.users, said=told.append)) == [0, 1, 2]
    assert len(told) == 1 and "4 duplicate ids dropped" in told[0]
    told.clear()
    assert read_opt_outs(p, model.users, said=told.append) == u
    assert len(told) == 1 and "4 duplicate ids dropped" in told[0]
    told.clear()  # no duplicate: not a word
    assert read_id_list(id_file(tmp_path, u, "plain.txt"), said=told.append) == u
    assert told == []


def test_audiences_films(model_dir: Path, model: Model, tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    f = [str(x) for x in model.films.ids[:2]]
    p = id_file(tmp_path, [f[0], f[1], f[0]])
    code, _, err = run(capsys, "audiences", model_dir, "--films", p, "--k", 3,
                       "--out", tmp_path / "a.csv")
    assert code == 0, err
    assert said(err, p, 1, f[0], 3)
    with open(tmp_path / "a.csv", encoding="utf-8", newline="") as fh:
        films = [r["film_id"] for r in csv.DictReader(fh)]
    assert films == [f[0]] * 3 + [f[1]] * 3  # each film once


def test_recommend_users(model_dir: Path, model: Model, tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    u = [str(x) for x in model.users.ids[:2]]
    p = id_file(tmp_path, [u[0], u[0], u[1], u[1]])
    code, _, err = run(capsys, "recommend", model_dir, "--users", p, "--k", 2,
                       "--out", tmp_path / "r.csv")
    assert code == 0, err
    assert said(err, p, 2, u[0], 2)
    assert f"{u[1]!r} (line 4)" in err


def test_recommend_watched_json_keeps_stdout_the_body(model_dir: Path, model: Model,
                                                      tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    f = [str(x) for x in model.films.ids[:2]]
    p = id_file(tmp_path, [f[0], f[1], f[1]])
    code, out, err = run(capsys, "recommend", model_dir, "--watched", p, "--json")
    assert code == 0, err
    assert said(err, p, 1, f[1], 3)
    json.loads(out)  # stdout is the body alone


def test_lookalike_seeds(model_dir: Path, model: Model, tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    u = [str(x) for x in model.users.ids[:2]]
    p = id_file(tmp_path, ["user_id", u[0], u[1], u[0]])
    code, out, err = run(capsys, "lookalike", model_dir, "--seeds", p, "--json")
    assert code == 0, err
    assert said(err, p, 1, u[0], 4)
    assert json.loads(out)["users"]


def test_plan_exclude(model_dir: Path, model: Model, tmp_path: Path,
                      capsys: pytest.CaptureFixture[str],
                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    u = [str(x) for x in model.users.ids[:2]]
    p = id_file(tmp_path, [u[0], u[1], u[0]], "optout.txt")
    slate = tmp_path / "slate.csv"
    slate.write_text(f"film_id,budget\n{model.films.ids[0]},5\n", encoding="utf-8")
    code, _, err = run(capsys, "plan", model_dir, "--slate", slate, "--out",
                       tmp_path / "plan.csv", "--exclude", p)
    assert code == 0, err
    assert said(err, p, 1, u[0], 3)
