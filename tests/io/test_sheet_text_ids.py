"""Excel's text-keeping form of an id, ``="0041"`` (a CSV cell with its quotes doubled: a formula
whose value is the text, so a spreadsheet keeps the leading zeros), was trained as the literal
id ``="0041"`` without a word, ``audience M 0041`` said only "unknown film_id", a catalog's
``0041`` was blamed on dropped leading zeros, and ``events import --model`` named it unknown
with no "did you mean". Ids stay byte for byte; each place now names the form and the id
meant (the oracle: the id written inside the formula, by hand)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli

from recommender.io.csvsafe import sheet_text
from recommender.io.ids import IdMap
from recommender.io.readers import read_id_list_as_known


def _log(path: Path, wrap: bool) -> Path:
    """A small log whose film ids are ``0041``, ``0042`` and ``f9``, each in Excel's
    ``="..."`` form where ``wrap``."""
    def film(f: str) -> str:
        return f'"=""{f}"""' if wrap else f
    rows = [("u1", "0041"), ("u2", "0041"), ("u2", "0042"), ("u3", "f9"), ("u1", "0042"),
            ("u3", "0041")]
    path.write_text("user_id,film_id,rating\n" + "".join(
        f"{u},{film(f)},4\n" for u, f in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(("cell", "inner"), [('="0041"', "0041"), ('="a""b"', 'a"b'),
                                             (' ="7" ', "7"), ('=""', None), ("0041", None),
                                             ('="0041', None), ('=0041', None)])
def test_sheet_text_takes_the_id_out_of_the_form(cell: str, inner: str | None) -> None:
    assert sheet_text(cell) == inner


def test_train_warns_naming_the_form_and_the_id_meant(tmp_path: Path, capsys: object) -> None:
    code, _, err = run_cli(capsys, "train", "--data", _log(tmp_path / "log.csv", True),
                           "--no-tune", "--out", tmp_path / "m")
    assert code == 0, err
    line = next(x for x in err.splitlines() if "text-keeping form" in x)
    assert line.startswith("warning: 3 film ids of the log are written in a spreadsheet's")
    assert "'=\"0041\"' for '0041'" in line and "'=\"0042\"' for '0042'" in line, line
    code, _, err = run_cli(capsys, "train", "--data", _log(tmp_path / "plain.csv", False),
                           "--no-tune", "--out", tmp_path / "m2")
    assert code == 0 and "text-keeping form" not in err, err


def test_the_unknown_id_hint_offers_the_id_meant_either_way() -> None:
    ids = IdMap(["0041", '="0042"', "7"])
    assert ids.same_but_zeros('="0041"') == ["0041"]
    assert ids.same_but_zeros('="41"') == ["0041"]  # and leading zeros aside too
    assert ids.same_but_zeros("0042") == ['="0042"']  # a model trained with the formulas
    assert ids.same_but_zeros('="x"') == [] and ids.same_but_zeros("x") == []


def test_audience_of_the_id_meant_says_did_you_mean(tmp_path: Path, capsys: object) -> None:
    model = tmp_path / "m"
    assert run_cli(capsys, "train", "--data", _log(tmp_path / "log.csv", True), "--no-tune",
                   "--out", model)[0] == 0
    code, _, err = run_cli(capsys, "audience", model, "0041")
    assert code != 0 and "unknown film_id '0041'; did you mean '=\"0041\"'?" in err, err


def test_a_catalog_of_the_plain_ids_names_the_form(tmp_path: Path, capsys: object) -> None:
    films = tmp_path / "films.csv"
    films.write_text("film_id,title\n0041,Alpha\n0042,Beta\nf9,Gamma\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "train", "--data", _log(tmp_path / "log.csv", True),
                           "--films", films, "--no-tune", "--out", tmp_path / "m")
    assert code == 0, err
    assert (f"warning: {films}: 3 of its film ids match a film of the log only once a "
            "spreadsheet's text-keeping form") in err, err
    assert "'0041' for '=\"0041\"'" in err, err


def test_events_import_offers_the_id_meant(tmp_path: Path, capsys: object) -> None:
    model = tmp_path / "m"
    assert run_cli(capsys, "train", "--data", _log(tmp_path / "log.csv", False), "--no-tune",
                   "--out", model)[0] == 0
    events = tmp_path / "events.csv"
    events.write_text('event_id,user_id,film_id,timestamp\ne1,u1,"=""0042""",1700000000\n')
    code, _, err = run_cli(capsys, "events", "import", events, "--store", tmp_path / "s.db",
                           "--model", model)
    assert code == 0, err
    assert "('=\"0042\"')" in err and "did you mean '0042'?" in err, err


def test_an_id_list_line_in_the_form_reads_the_id_it_keeps(tmp_path: Path) -> None:
    listed = tmp_path / "seeds.txt"
    listed.write_text('"=""0041"""\n="0042"\n="f9"\n', encoding="utf-8")
    ids = IdMap(["0041", "0042", '="f9"'])
    # the id the model holds as written stays itself ('="f9"')
    assert read_id_list_as_known(listed, ids) == ["0041", "0042", '="f9"']
