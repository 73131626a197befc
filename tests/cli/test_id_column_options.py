"""``--id-column NAME`` on every command that reads an id list from a file, as ``lookalike``'s.

``audiences --films``, ``recommend --users`` and ``--watched`` and ``plan --exclude`` read a
CRM export by the column its header names like an id; one named otherwise (``Customer``) was
refused ("names no id column") with no way to choose it, as ``lookalike --id-column`` does.
Oracle: the same command given the column's ids as a plain list, one per line; the refusals
name the file's columns.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from helpers import run_cli as run
from service_fixtures import ODD_FILM_ID, ODD_USER_ID, save_model


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("id-column") / "model")


def _lists(tmp_path: Path, ids: list[str], name: str) -> tuple[Path, Path]:
    """(a plain list of ``ids``, a CSV export holding them in its second column, ``name``,
    among columns no header rule reads as ids, a cell quoted where it holds a comma)."""
    plain = tmp_path / f"{name}-plain.txt"
    plain.write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
    crm = tmp_path / f"{name}-crm.csv"
    with open(crm, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Email", name, "Name"])
        w.writerows([f"p{n}@x.org", i, f"Smith, {n}"] for n, i in enumerate(ids))
    return plain, crm


def _ok(capsys: pytest.CaptureFixture[str], *argv: object) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    return out


def test_audiences_films_read_by_the_column_named(model_dir: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    plain, crm = _lists(tmp_path, ["00003", ODD_FILM_ID, "00005"], "Title Code")
    _ok(capsys, "audiences", model_dir, "--films", plain, "-k", 5, "--out", tmp_path / "a.csv")
    _ok(capsys, "audiences", model_dir, "--films", crm, "--id-column", "title_code", "-k", 5,
        "--out", tmp_path / "b.csv")
    want = (tmp_path / "a.csv").read_bytes()
    assert want.count(b"\n") == 1 + 3 * 5 and (tmp_path / "b.csv").read_bytes() == want


def test_recommend_users_and_watched_read_by_the_column_named(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain, crm = _lists(tmp_path, ["u4", ODD_USER_ID, "u9"], "Customer")
    _ok(capsys, "recommend", model_dir, "--users", plain, "-k", 3, "--out", tmp_path / "a.parquet")
    _ok(capsys, "recommend", model_dir, "--users", crm, "--id-column", "Customer", "-k", 3,
        "--out", tmp_path / "b.parquet")
    want = pq.read_table(tmp_path / "a.parquet")
    assert want.num_rows == 9 and pq.read_table(tmp_path / "b.parquet").equals(want)
    plain, crm = _lists(tmp_path, ["00002", "00007", ODD_FILM_ID], "Film")
    want_body = json.loads(_ok(capsys, "recommend", model_dir, "--watched", plain, "--json"))
    got = json.loads(_ok(capsys, "recommend", model_dir, "--watched", crm, "--id-column", "FILM",
                         "--json"))
    assert got == want_body and want_body["films"] and not want_body["unknown_film_ids"]


def test_plan_exclude_read_by_the_column_named(model_dir: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n00000,60\n00002,60\n", encoding="utf-8")
    opted = ["u0", "u1", ODD_USER_ID, "u12", "u24"]
    plain, crm = _lists(tmp_path, opted, "Subscriber")
    rows = {}
    for name, given in (("plain", [plain]), ("crm", [crm, "--id-column", "subscriber"])):
        out = tmp_path / f"{name}.csv"
        _ok(capsys, "plan", model_dir, "--slate", slate, "--out", out, "--holdout", 0,
            "--exclude", *given)
        with open(out, newline="", encoding="utf-8") as f:
            rows[name] = [{k: v for k, v in r.items() if k != "plan_id"}
                          for r in csv.DictReader(f)]
    assert rows["crm"] == rows["plain"] and len(rows["plain"]) == 120
    assert not set(opted) & {r["user_id"] for r in rows["plain"]}


COMMANDS = [  # each command, its list option and the rest of its arguments
    ("lookalike", "--seeds", ["-k", "3"]),
    ("audiences", "--films", ["--out", "OUT.csv"]),
    ("recommend", "--users", ["--out", "OUT.csv"]),
    ("recommend", "--watched", []),
    ("plan", "--exclude", ["--slate", "SLATE", "--out", "OUT.csv"]),
]


@pytest.mark.parametrize(("command", "option", "more"), COMMANDS)
def test_a_column_not_in_the_header_is_refused_naming_the_columns(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, command: str, option: str, more: list[str]) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n00000,10\n", encoding="utf-8")
    more = [str(slate) if m == "SLATE" else str(tmp_path / m) if m == "OUT.csv" else m
            for m in more]
    _, crm = _lists(tmp_path, ["u4", "u9"], "Customer Code")
    columns = "its columns: 'Email', 'Customer Code', 'Name'"
    code, out, err = run(capsys, command, model_dir, option, crm, "--id-column", "customer",
                         *more)
    assert code == 2 and out == "", err
    assert (f"error: {crm}, line 1: expected one id per line, or a CSV with one id column; the "
            f"header 'Email,Customer Code,Name' has no column named 'customer' ({columns})"
            ) in err, err
    # without the option the header names no id column: refused, naming the columns too
    code, out, err = run(capsys, command, model_dir, option, crm, *more)
    assert code == 2 and out == "" and "names no id column" in err and columns in err, err
    assert err.endswith(": name the column of ids so, or choose it with --id-column NAME\n")
    assert not (tmp_path / "OUT.csv").exists()


@pytest.mark.parametrize("argv", [
    ["recommend", "MODEL", "--user", "u4", "--id-column", "Customer"],
    ["audiences", "MODEL", "--all", "--out", "OUT.csv", "--id-column", "Film"],
    ["plan", "MODEL", "--slate", "SLATE", "--out", "OUT.csv", "--id-column", "Customer"],
])
def test_an_id_column_nothing_reads_is_refused(model_dir: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               argv: list[str]) -> None:
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n00000,10\n", encoding="utf-8")
    given = {"MODEL": model_dir, "SLATE": slate, "OUT.csv": tmp_path / "o.csv"}
    code, out, err = run(capsys, *[given.get(a, a) for a in argv])
    assert code == 2 and out == "", err
    flag = next(a for a in argv if a in ("--user", "--all", "--slate"))
    lists = {"--user": "--users or --watched", "--all": "--films", "--slate": "--exclude"}
    assert (f"--id-column names the column of ids of the {lists[flag]} file; this run "
            f"reads no such file: give {lists[flag]}, or leave --id-column out") in err, err
    assert not (tmp_path / "o.csv").exists()
