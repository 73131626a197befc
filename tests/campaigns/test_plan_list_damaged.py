"""The list of plans (``GET /campaigns``, ``campaign list``) with one plan whose stored summary
is damaged (no JSON, a film without ``film_id`` or ``budget``, a part that is no object): the
page is listed, that plan with what can be read and ``incomplete`` naming the rest (a
``KeyError`` or ``TypeError`` was a 500 and a traceback for every plan on the page). The
oracle: the same page before the damage, every other plan's entry unchanged."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli
from test_show_unknown_fields import planned, stored_summary

__all__ = ["planned"]  # the module's fixture: a plan made by ``recommender plan``


def no_first_id(s: dict[str, Any]) -> Any:
    del s["films"][0]["film_id"]
    return s


def no_second_budget(s: dict[str, Any]) -> Any:
    del s["films"][1]["budget"]
    return s


#: damage, the parts ``incomplete`` names, and how the entry differs from the whole one's
CASES: dict[str, tuple[Callable[[dict[str, Any]], Any], list[str],
                       Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "film without film_id": (no_first_id, ["films[0].film_id"], lambda e: {
        **e, "films": e["films"][1:], "titles": {f: t for f, t in e["titles"].items()
                                                 if f != e["films"][0]}}),
    "film without budget": (no_second_budget, ["films[1].budget"], lambda e: e),
    "films null": (lambda s: {**s, "films": None}, ["films"],
                   lambda e: {**e, "films": [], "titles": {}}),
    "film a string": (lambda s: {**s, "films": ["00000", *s["films"][1:]]},
                      ["films[0].film_id", "films[0].budget"], lambda e: {
                          **e, "films": e["films"][1:],
                          "titles": {f: t for f, t in e["titles"].items()
                                     if f != e["films"][0]}}),
    "totals a string": (lambda s: {**s, "totals": "x"}, ["totals"],
                        lambda e: {**e, "totals": {}}),
    # a totals object without its figures, or with one of another type: the row's cells for
    # them were blank or read "many" with nothing said (the entry keeps the others)
    "totals without contacts": (
        lambda s: {**s, "totals": {k: v for k, v in s["totals"].items() if k != "contacts"}},
        ["totals.contacts"],
        lambda e: {**e, "totals": {k: v for k, v in e["totals"].items() if k != "contacts"}}),
    "expected conversions a string": (
        lambda s: {**s, "totals": {**s["totals"], "expected_conversions": "many"}},
        ["totals.expected_conversions"],
        lambda e: {**e, "totals": {k: v for k, v in e["totals"].items()
                                   if k != "expected_conversions"}}),
    "horizon a list": (lambda s: {**s, "horizon": [1]}, ["horizon"],
                       lambda e: {**e, "horizon_days": None}),
    # a wave count past slate.MAX_WAVES is not read: per_wave listed every one of 2,000,000
    # waves on each GET /campaigns (the rows and sends name the plan's waves instead)
    "two million waves": (lambda s: {**s, "parameters": {**s["parameters"], "waves": 2_000_000}},
                          ["parameters.waves"], lambda e: e),
    "no JSON object": (lambda s: [s], ["summary"], lambda e: {
        **e, "films": [], "titles": {}, "totals": {}, "horizon_days": None}),
}


def twin(db: Path, plan_id: str, other: str) -> None:
    """A second plan, ``other``: ``plan_id``'s row under another id (its rows are not read)."""
    with sqlite3.connect(db) as con:
        con.row_factory = sqlite3.Row
        row = dict(con.execute("SELECT * FROM campaign_plans WHERE plan_id = ?",
                               (plan_id,)).fetchone())
        row["plan_id"] = other
        con.execute(f"INSERT INTO campaign_plans ({', '.join(row)}) VALUES "
                    f"({', '.join('?' * len(row))})", list(row.values()))


@pytest.mark.parametrize("case", list(CASES))
def test_a_damaged_summary_is_listed_as_read(planned: tuple[Path, Path, str], case: str,
                                             tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    model_dir, source, plan_id = planned
    db = tmp_path / "store.db"
    db.write_bytes(source.read_bytes())
    twin(db, plan_id, "plan-other")
    damage, named, differs = CASES[case]
    settings = Settings(model_path=str(model_dir), store=str(db), warm_cache=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        r = client.get("/campaigns")
        assert r.status_code == 200, r.text
        whole = {p["plan_id"]: p for p in r.json()["plans"]}
        assert [p["incomplete"] for p in whole.values()] == [[], []]
        damaged = damage(stored_summary(db, plan_id))
        with sqlite3.connect(db) as con:
            text = "{not json" if case == "no JSON object" else json.dumps(damaged)
            con.execute("UPDATE campaign_plans SET summary = ? WHERE plan_id = ?",
                        (text, plan_id))
        r = client.get("/campaigns")
    assert r.status_code == 200, r.text
    body = r.json()
    listed = {p["plan_id"]: p for p in body["plans"]}
    assert listed["plan-other"] == whole["plan-other"]  # the page is not broken by one
    assert listed[plan_id] == {**differs(whole[plan_id]), "incomplete": named}
    code, out, err = run_cli(capsys, "campaign", "list", "--store", db, "--model", model_dir,
                             "--json")
    assert code == 0, err
    assert json.loads(out) == body  # the CLI lists as GET /campaigns does
    code, out, err = run_cli(capsys, "campaign", "list", "--store", db)
    assert code == 0, err
    assert f"plan {plan_id}: its stored summary" in out
    assert f"has no readable {', '.join(named)}" in out
    assert "plan plan-other:" not in out
    # the line names each figure the row lacks, by its column (its unit with it): the oracle
    # is the twin's whole row (it said "listed without them", and "n/a (not recorded)" of a
    # damaged horizon, as of a plan stored before summaries recorded one)
    rows = cells(out)
    line = next(x for x in out.splitlines() if x.startswith(f"plan {plan_id}: "))
    lacking = [h for h, mine, whole in zip(rows["plan_id"], rows[plan_id], rows["plan-other"],
                                           strict=True)
               if h != "plan_id" and mine != whole]
    for header in lacking:
        assert header in line.split(": ", 2)[2], (header, line)
    assert lacking or "no figure of its row is missing" in line, line
    assert "n/a (not recorded)" not in out


def cells(out: str) -> dict[str, list[str]]:
    """``campaign list``'s table by its rows' first cell (the header's too), each row's cells
    cut where the dashed rule's columns are (a blank cell stays "")."""
    lines = out.splitlines()
    rule = next(i for i, x in enumerate(lines) if x.startswith("---"))
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", lines[rule])]
    rows = [[x[a:b].strip() for a, b in spans] for x in lines[rule - 1:]
            if x and not x.startswith("---")]
    return {r[0]: r for r in rows if r[0]}


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", "null"])
def test_a_summary_that_is_no_object_is_refused_naming_the_plan(
        planned: tuple[Path, Path, str], text: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A plan's own reads (its summary, report, CSV; ``campaign show`` and ``report``) refuse a
    stored summary that is no JSON object naming the plan (HTTP 409, as a summary without
    'created' is; CLI exit 2), where a ``JSONDecodeError`` or ``TypeError`` was a 500 and a
    traceback; another plan of the store reads as before (the oracle)."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    model_dir, source, plan_id = planned
    db = tmp_path / "store.db"
    db.write_bytes(source.read_bytes())
    twin(db, plan_id, "plan-other")
    with sqlite3.connect(db) as con:
        con.execute("UPDATE campaign_plans SET summary = ? WHERE plan_id = ?", (text, plan_id))
    said = f"plan {plan_id}'s stored summary is not a JSON object"
    settings = Settings(model_path=str(model_dir), store=str(db), warm_cache=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        for tail in ("", "/report", "/plan.csv"):
            r = client.get(f"/campaigns/{plan_id}{tail}")
            assert r.status_code == 409 and said in r.json()["detail"], (tail, r.text)
            assert client.get(f"/campaigns/plan-other{tail}").status_code == 200, tail
        paths = client.get("/openapi.json").json()["paths"]
    for path in ("/campaigns/{plan_id}", "/campaigns/{plan_id}/plan.csv"):
        assert "409" in paths[path]["get"]["responses"], path
    for argv in (("campaign", "show", plan_id), ("campaign", "report", plan_id)):
        code, _, err = run_cli(capsys, *argv, "--store", db)
        assert code == 2 and said in err and "Traceback" not in err, (argv, err)


@pytest.mark.parametrize(("case", "said"), [
    ("film without film_id", "has no 'film_id' in its film 1 ('films[0]')"),
    ("film without budget", "has no 'budget' in its film 2 ('films[1]')"),
    ("films null", "has 'films' 'None', not a list of its films")])
def test_a_report_or_next_wave_of_a_damaged_film_refuses_naming_it(
        planned: tuple[Path, Path, str], case: str, said: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The report counts by film and a next wave plans each film's remaining budget: a
    stored film without its id (or, for a next wave, its budget) is refused naming the film,
    the field and the plan (HTTP 409, CLI exit 2), and nothing is stored; it was a
    ``KeyError``: a 500 and a traceback. The oracle: the same plan whole reports."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    model_dir, source, plan_id = planned
    db = tmp_path / "store.db"
    db.write_bytes(source.read_bytes())
    settings = Settings(model_path=str(model_dir), store=str(db), warm_cache=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get(f"/campaigns/{plan_id}/report").status_code == 200
        with sqlite3.connect(db) as con:
            con.execute("UPDATE campaign_plans SET summary = ? WHERE plan_id = ?", (json.dumps(
                CASES[case][0](stored_summary(db, plan_id))), plan_id))
        answers = [client.get(f"/campaigns/{plan_id}/report"),
                   client.post(f"/campaigns/{plan_id}/next", json={"sent_waves": 1})]
        if case == "film without budget":  # the report needs no budget
            assert answers.pop(0).status_code == 200
        for r in answers:
            assert r.status_code == 409 and said in r.json()["detail"], r.text
            assert f"plan {plan_id}'s stored summary" in r.json()["detail"]
        assert client.get("/campaigns").json()["total"] == 1  # nothing stored
    runs = [("campaign", "report", plan_id, "--store", db),
            ("plan", model_dir, "--after", plan_id, "--store", db, "--out", tmp_path / "n.csv")]
    for argv in runs[1:] if case == "film without budget" else runs:
        code, _, err = run_cli(capsys, *argv)
        assert code == 2 and said in err and "Traceback" not in err, (argv, err)
    assert not (tmp_path / "n.csv").exists()


#: each plan's own route, as a client calls it (a body its validation takes)
PLAN_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("get", "/campaigns/{plan_id}", None), ("get", "/campaigns/{plan_id}/report", None),
    ("get", "/campaigns/{plan_id}/plan.csv", None),
    ("post", "/campaigns/{plan_id}/withdraw", {"sent_waves": 1}),
    ("post", "/campaigns/{plan_id}/waves/{wave}/sent", {}),
    ("post", "/campaigns/{plan_id}/next", {"sent_waves": 1})]


def test_every_route_refusing_a_summary_that_is_no_object_documents_it(
        planned: tuple[Path, Path, str], tmp_path: Path) -> None:
    """A plan route that answers 409 for a stored summary that is no JSON object lists that
    409 in its OpenAPI entry (withdraw and wave-sent documented other 409s only). The oracle:
    what each route answers, not a list of the routes that should."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    model_dir, source, plan_id = planned
    db = tmp_path / "store.db"
    db.write_bytes(source.read_bytes())
    with sqlite3.connect(db) as con:
        con.execute("UPDATE campaign_plans SET summary = '[1]' WHERE plan_id = ?", (plan_id,))
    said = f"plan {plan_id}'s stored summary is not a JSON object"
    settings = Settings(model_path=str(model_dir), store=str(db), warm_cache=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        paths = client.get("/openapi.json").json()["paths"]
        refusing = []
        for method, path, body in PLAN_ROUTES:
            r = client.request(method.upper(), path.format(plan_id=plan_id, wave=1),
                               json=body)
            assert r.status_code in (200, 409), (path, r.text)
            if r.status_code == 409 and said in r.json()["detail"]:
                refusing.append(path)
                documented = paths[path][method]["responses"].get("409", {})
                assert "not a JSON object" in documented.get("description", ""), (
                    path, documented)
    assert refusing == [p for _, p, _ in PLAN_ROUTES]  # each refuses it (they all read it)
