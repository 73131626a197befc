"""``campaign show`` of a stored plan whose summary lacks a part or a field it tabulates (an
older engine's, or a hand-made one): each such cell reads "unknown" and a note names the part
and the plan (it was a ``KeyError``: a traceback, under ``--json`` too). The oracle: the same
plan with the field shows the same, apart from the field's own cells."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli
from service_fixtures import save_model
from test_summary_fields import restored

#: the parts ``campaign show`` tabulates, and fields within them
DROPPED = ["optimality", "naive", "totals", "films", "model_version", "optimality.gap",
           "films.film_id", "films.budget",
           "naive.planner_gain", "films.title", "films.dual_price", "totals.contacts"]


def dropped(summary: dict[str, Any], path: str) -> dict[str, Any]:
    """``summary`` without ``path`` (``a.b``: ``b`` of ``a``, or of each item of list ``a``)."""
    out: dict[str, Any] = json.loads(json.dumps(summary))
    head, _, tail = path.partition(".")
    if not tail:
        del out[head]
        return out
    for part in out[head] if isinstance(out[head], list) else [out[head]]:
        del part[tail]
    return out


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A model folder, a SQLite store holding one plan made by ``recommender plan``, its id."""
    import recommender.cli as cli

    root = tmp_path_factory.mktemp("fields")
    model_dir = save_model(root / "model")
    (root / "slate.csv").write_text("film_id,budget\n00000,20\n00002,20\n", encoding="utf-8")
    db = root / "store.db"
    out = root / "plan.json"
    assert cli.main(["plan", str(model_dir), "--slate", str(root / "slate.csv"), "--out",
                     str(root / "a.csv"), "--waves", "3", "--store", str(db), "--summary",
                     str(out)]) == 0
    return model_dir, db, json.loads(out.read_text(encoding="utf-8"))["plan_id"]


def stored_summary(db: Path, plan_id: str) -> dict[str, Any]:
    with sqlite3.connect(db) as con:
        text = con.execute("SELECT summary FROM campaign_plans WHERE plan_id = ?",
                           (plan_id,)).fetchone()[0]
    found: dict[str, Any] = json.loads(text)
    return found


def words(text: str) -> list[str]:
    """The lines of a table, spaces collapsed, without the dashed rules (their widths follow
    the cells')."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip(" -")]


@pytest.mark.parametrize("path", DROPPED)
def test_show_says_a_missing_field_is_unknown(planned: tuple[Path, Path, str], path: str,
                                             tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    _, source, plan_id = planned
    db = tmp_path / "store.db"
    shutil.copy(source, db)
    full = stored_summary(db, plan_id)
    code, whole, _ = run_cli(capsys, "campaign", "show", plan_id, "--store", db)
    assert code == 0
    code, whole_json, _ = run_cli(capsys, "campaign", "show", plan_id, "--store", db, "--json")
    assert code == 0
    restored(db, plan_id, dropped(full, path))
    code, out, err = run_cli(capsys, "campaign", "show", plan_id, "--store", db)
    assert code == 0, err
    part = path.partition(".")[0]
    if "." not in path and part != "model_version":  # a whole part: named, its cells unknown
        assert f"note: plan {plan_id}'s stored summary has no '{part}'" in err
    before, after = words(whole), words(out)
    if path == "films":  # no film row: the rest reads the same
        before = [b for b in before if not re.match(r"0000[02] ", b)]
    assert len(after) == len(before), out
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert changed or path == "films", "the field said nothing?"  # films: the note says it
    for b, a in changed:  # only the field's own cells differ, and they say unknown
        assert "unknown" in a, (b, a)
        assert a.replace("unknown", "").split() != b.split()
    code, body, err = run_cli(capsys, "campaign", "show", plan_id, "--store", db, "--json")
    assert code == 0, err
    assert json.loads(body) == {**json.loads(whole_json), "summary": dropped(
        json.loads(whole_json)["summary"], path)}


