"""A users-file column named as a column the engine's audience exports write (``segment``,
``tier``, ``rank``, ``score``, ``title``) is warned of at train, and ``audiences --with
segment`` is refused naming the clash: it wrote the engine's segment and dropped the
attribute without a word, while ``--filter segment=VIP`` filters on the attribute.

Oracle: the users file written here (which users are VIP), and the export's header."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli


@pytest.fixture()
def trained(tmp_path: Path, capsys: Any) -> tuple[Path, str, set[str]]:
    folder = tmp_path / "data"
    folder.mkdir()
    users = [f"u{u:02d}" for u in range(40)]
    vip = {u for i, u in enumerate(users) if i % 3 == 0}
    (folder / "interactions.csv").write_text("user_id,film_id\n" + "".join(
        f"{u},f{(i + k) % 10}\n" for i, u in enumerate(users) for k in range(4)),
        encoding="utf-8")
    (folder / "users.csv").write_text("user_id,segment,tier,region\n" + "".join(
        f"{u},{'VIP' if u in vip else 'Standard'},gold,{'North' if i % 2 else 'South'}\n"
        for i, u in enumerate(users)), encoding="utf-8")
    code, _, err = run_cli(capsys, "train", "--data", folder, "--out", tmp_path / "m",
                           "--no-tune", "--factors", 4, "--iterations", 2)
    assert code == 0, err
    return tmp_path / "m", str(err), vip


def test_train_warns_of_each_shadowed_column(trained: tuple[Path, str, set[str]]) -> None:
    _, err, _ = trained
    for name in ("segment", "tier"):
        assert (f"warning: the users file's column {name!r} has the name of a column the "
                f"engine's audience exports write") in err
        assert f"--with {name} is refused naming the clash" in err
    assert "column 'region' has the name" not in err


def test_with_a_shadowed_column_is_refused_and_filter_reads_the_attribute(
        trained: tuple[Path, str, set[str]], tmp_path: Path, capsys: Any) -> None:
    model, _, vip = trained
    out, films = tmp_path / "a.csv", tmp_path / "films.txt"
    films.write_text("f1\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "audiences", model, "--films", films, "--k", 40, "--out", out,
                           "--with", "region,segment")
    assert code == 2 and not out.exists(), err
    assert "--with segment: it is both a column the audience export writes (the engine's " \
        "segment) and a user attribute of the users file ('segment')" in err
    code, _, err = run_cli(capsys, "audiences", model, "--films", films, "--k", 40, "--out", out,
                           "--with", "region", "--filter", "segment=VIP")
    assert code == 0, err
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows and {r["user_id"] for r in rows} <= vip
    assert list(rows[0])[-1] == "region"


def test_with_segment_is_refused_over_http_naming_the_clash(
        trained: tuple[Path, str, set[str]]) -> None:
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    model, _, _ = trained
    with TestClient(create_app(Settings(model_path=str(model)))) as client:
        r = client.get("/films/f1/audience.csv", params={"k": 5, "with": "segment"})
        ok = client.get("/films/f1/audience.csv", params={"k": 5, "with": "region"})
    assert r.status_code == 422 and ok.status_code == 200
    assert r.json()["detail"].startswith(
        "with segment: it is both a column the audience export writes (the engine's segment) "
        "and a user attribute of the users file ('segment')")


def test_title_segment_label_and_a_capitalised_segment_are_refused_too(tmp_path: Path,
                                                              capsys: Any) -> None:
    """A users file's ``title`` or ``segment_label`` was warned of at train, but ``--with
    title`` wrote the film's title without a word (the attribute dropped). A ``Segment``
    column is the attribute ``segment`` (the users readers lower-case names), so ``--with
    segment`` or ``--with Segment`` is refused as for a ``segment`` column: beside the
    engine's ``segment``, a ``Segment`` header is one column to Spark, SQL and spreadsheets."""
    folder = tmp_path / "data"
    folder.mkdir()
    users = [f"u{u:02d}" for u in range(30)]
    (folder / "interactions.csv").write_text("user_id,film_id\n" + "".join(
        f"{u},f{(i + k) % 8}\n" for i, u in enumerate(users) for k in range(4)),
        encoding="utf-8")
    (folder / "users.csv").write_text("user_id,title,segment_label,Segment,region\n" + "".join(
        f"{u},Dr,L{i % 2},S{i % 3},R{i % 2}\n" for i, u in enumerate(users)), encoding="utf-8")
    code, _, err = run_cli(capsys, "train", "--data", folder, "--out", tmp_path / "m",
                           "--no-tune", "--factors", 4, "--iterations", 2)
    assert code == 0, err
    for name in ("title", "segment_label", "segment"):
        assert f"warning: the users file's column {name!r} has the name of a column" in err
        assert f"--with {name} is refused naming the clash" in err
    films, out = tmp_path / "films.txt", tmp_path / "a.csv"
    films.write_text("f1\n", encoding="utf-8")
    for typed, said in (("title", "--with title: it is both a column the audience export "
                                  "writes (the engine's title) and a user attribute of the "
                                  "users file ('title')"),
                        ("segment_label", "(the engine's segment_label) and a user attribute "
                                          "of the users file ('segment_label')"),
                        ("Segment", "--with segment: it is both a column the audience export "
                                    "writes (the engine's segment) and a user attribute of "
                                    "the users file ('segment'), which the export cannot "
                                    "write under the same name; --filter segment=...")):
        code, _, err = run_cli(capsys, "audiences", tmp_path / "m", "--films", films, "--k",
                               10, "--out", out, "--with", f"region,{typed}")
        assert code == 2 and not out.exists() and said in err, err
    code, _, err = run_cli(capsys, "audiences", tmp_path / "m", "--films", films, "--k", 10,
                           "--out", out, "--with", "region")
    assert code == 0, err
    with out.open(encoding="utf-8") as f:
        assert next(csv.reader(f))[-1] == "region"


def test_http_is_told_its_own_filter_spelling(trained: tuple[Path, str, set[str]],
                                              capsys: Any) -> None:
    """Over HTTP the refusal said "--filter tier=...", a CLI option the caller has none of."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    model, _, _ = trained
    code, _, err = run_cli(capsys, "audience", model, "f1", "--with", "tier")
    assert code == 2 and "; --filter tier=... filters on the attribute" in err, err
    with TestClient(create_app(Settings(model_path=str(model), warm_cache=False))) as c:
        r = c.get("/films/f1/audience.csv", params={"with": "tier"})
    assert r.status_code == 422, r.text
    said = r.json()["detail"]
    assert "with tier: it is both a column" in said and "--" not in said, said
    assert "; filter=tier=... filters on the attribute" in said, said
