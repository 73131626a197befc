"""``GET /campaigns`` and ``campaign list`` give each plan's figures per wave: targets, controls,
expected conversions (the sum of the targets' stored p), whether and how the wave went out,
and the totals of the sent and the pending waves. The list gave the whole plan's totals alone,
so a plan withdrawn after 1 of its 3 waves read as if all had gone out.

Oracle: the plan CSV ``recommender plan --out`` wrote for the same plan, counted here per wave;
the send time recorded by ``campaign sent``; ``--json`` is the HTTP body of the same store.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from helpers import run_cli as run
from service_fixtures import ODD_FILM_ID, save_model

from recommender.campaigns.store import open_store
from service.app import create_app
from service.settings import Settings


def _per_wave(csv_path: Path) -> dict[int, tuple[int, int, float]]:
    """{wave: (targets, controls, sum of the targets' p)} counted from a plan CSV."""
    found: dict[int, list[Any]] = {}
    with open(csv_path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            w = found.setdefault(int(r["wave"]), [0, 0, 0.0])
            if r["group"] == "target":
                w[0] += 1
                w[2] += float(r["p"])
            else:
                assert r["group"] == "control", r
                w[1] += 1
    return {k: (v[0], v[1], v[2]) for k, v in found.items()}


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two plans made by the CLI (3 waves each, 20% controls) in one store: the first with
    wave 1 recorded sent and then withdrawn after 1 sent wave, the second untouched."""
    tmp = tmp_path_factory.mktemp("waves")
    model = save_model(tmp / "model")
    slate = tmp / "slate.csv"
    slate.write_text(f"film_id,budget\n00000,40\n{ODD_FILM_ID},25\n", encoding="utf-8")
    db = tmp / "store.db"
    plans = []
    for n, seed in enumerate((5, 6)):
        out = tmp / f"plan{n}.csv"
        _cli(["plan", model, "--slate", slate, "--out", out, "--cap", 2, "--holdout", 0.2,
              "--waves", 3, "--seed", seed, "--store", db])
        with open(out, newline="", encoding="utf-8") as f:
            plans.append((next(csv.DictReader(f))["plan_id"], out))
    yield {"model": model, "db": db, "plans": plans}


def _cli(argv: list[Any]) -> None:
    from recommender.cli import main

    assert main([str(a) for a in argv]) == 0, argv


def _listed(capsys: pytest.CaptureFixture[str], db: Path) -> dict[str, Any]:
    code, out, err = run(capsys, "campaign", "list", "--store", db, "--json")
    assert code == 0, err
    return dict(json.loads(out))


def test_each_waves_figures_are_its_rows_and_a_withdrawal_splits_them(
        stored: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    (withdrawn, withdrawn_csv), (fresh, fresh_csv) = stored["plans"]
    db = stored["db"]
    code, out, err = run(capsys, "campaign", "sent", withdrawn, "--wave", 1, "--store", db,
                         "--json")  # now: a send is never in the future
    assert code == 0, err
    recorded = json.loads(out)
    assert run(capsys, "campaign", "withdraw", withdrawn, "--sent-waves", 1, "--store",
               db)[0] == 0
    plans = {p["plan_id"]: p for p in _listed(capsys, db)["plans"]}
    for plan_id, path in stored["plans"]:
        counted = _per_wave(path)
        entry = plans[plan_id]
        assert entry["planned_waves"] == 3 and sorted(counted) == [1, 2, 3]
        assert [w["wave"] for w in entry["per_wave"]] == [1, 2, 3]
        for w in entry["per_wave"]:
            targets, controls, conv = counted[w["wave"]]
            assert (w["targets"], w["controls"]) == (targets, controls), (plan_id, w)
            assert w["expected_conversions"] == pytest.approx(conv, abs=1e-5), (plan_id, w)
        assert sum(w["controls"] for w in entry["per_wave"]) > 0  # the controls are counted
        # the waves add up to the summary's whole-plan totals (kept as they were)
        assert sum(w["targets"] for w in entry["per_wave"]) == entry["totals"]["contacts"]
        assert sum(w["expected_conversions"] for w in entry["per_wave"]) == pytest.approx(
            entry["totals"]["expected_conversions"], abs=1e-5)
    # the withdrawn plan: wave 1 sent at the recorded time, waves 2 and 3 never went out
    waves = plans[withdrawn]["per_wave"]
    assert [(w["sent"], w["sent_by"], w["withdrawn_unsent"], w["replanned"]) for w in waves] == [
        (True, "recorded", False, False), (False, None, True, False), (False, None, True, False)]
    assert (waves[0]["sent_at"], waves[0]["sent_at_utc"]) == (recorded["sent_at"],
                                                               recorded["sent_at_utc"])
    assert waves[0]["sent_at_utc"].endswith("Z")
    assert waves[1]["sent_at"] is None and waves[1]["sent_at_utc"] is None
    one = _per_wave(withdrawn_csv)[1]
    sent = plans[withdrawn]["sent_totals"]
    assert (sent["waves"], sent["targets"], sent["controls"]) == (1, one[0], one[1])
    assert sent["expected_conversions"] == pytest.approx(one[2], abs=1e-5)
    assert plans[withdrawn]["pending_totals"] == {"waves": 0, "targets": 0, "controls": 0,
                                                  "expected_conversions": 0.0}
    # the plan never sent: nothing went out, every wave is still to go
    assert plans[fresh]["sent_totals"] == {"waves": 0, "targets": 0, "controls": 0,
                                           "expected_conversions": 0.0}
    counted = _per_wave(fresh_csv)
    pending = plans[fresh]["pending_totals"]
    assert (pending["waves"], pending["targets"]) == (3, sum(c[0] for c in counted.values()))
    assert not any(w["sent"] or w["withdrawn_unsent"] for w in plans[fresh]["per_wave"])
    # the table: a compact column of what went out; --waves each wave's row
    code, out, _ = run(capsys, "campaign", "list", "--store", db, "--waves")
    assert code == 0
    lines = out.splitlines()
    row = next(line for line in lines if line.startswith(withdrawn))
    assert f"1 of 3; {one[0]:,}; {one[2]:.2f}" in row, row
    detail = [line.split("  ") for line in lines if line.startswith(f"{withdrawn}  ")][1:]
    assert len(detail) == 3, lines
    cells = [[c.strip() for c in d if c.strip()] for d in detail]
    assert cells[0][1:] == ["1", str(one[0]), str(one[1]), f"{one[2]:.2f}", "sent (recorded)",
                            recorded["sent_at_utc"]]
    assert cells[1][-1] == cells[2][-1] == "withdrawn unsent"


def test_the_json_is_the_http_body(stored: dict[str, Any],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    db = stored["db"]
    with TestClient(create_app(Settings(model_path=str(stored["model"]), store=str(db)))) as c:
        body = c.get("/campaigns").json()
        first = stored["plans"][1][0]
        nxt = c.post(f"/campaigns/{first}/next", json={"sent_waves": 2}).json()["plan_id"]
        after = c.get("/campaigns").json()
    assert _listed(capsys, db) == {**after}
    assert body["plans"][0]["per_wave"]  # the listing before the next wave had them too
    entry = next(p for p in after["plans"] if p["plan_id"] == first)
    # a next wave planned after 2 sent waves: those went out, wave 3 is re-planned there
    assert [(w["sent_by"], w["replanned"]) for w in entry["per_wave"]] == [
        ("next_wave", False), ("next_wave", False), (None, True)]
    assert entry["sent_totals"]["waves"] == 2 and entry["pending_totals"]["waves"] == 0
    assert next(p for p in after["plans"] if p["plan_id"] == nxt)["sent_totals"]["waves"] == 0


def test_the_page_is_counted_in_one_grouped_query(stored: dict[str, Any]) -> None:
    """The rows of a page are read by one GROUP BY (per 500 plans), not a query per plan."""
    store = open_store(str(stored["db"]))
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "campaign_plan_rows" in statement:
            seen.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", note)
    try:
        total, plans = store.list_plans()
    finally:
        store.close()
    assert total == len(plans) >= 3
    assert len(seen) == 1 and "GROUP BY" in seen[0], seen
