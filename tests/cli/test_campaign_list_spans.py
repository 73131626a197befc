"""``campaign list`` says why a plan's p has no span in days (its ``within (days)`` cell was
blank for a plan of a model trained on a log without times), and leaves no cell blank."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from helpers import run_cli as run
from helpers import synthetic_model

from recommender.campaigns.store import open_store
from recommender.cli.campaign_views import NO_TIMES
from recommender.model import artifact


def _rows(out: str) -> tuple[list[str], list[list[str]]]:
    """The table's header and rows, cells split on the runs of 2+ spaces between columns."""
    lines = out.splitlines()
    dashes = next(i for i, line in enumerate(lines) if set(line.replace(" ", "")) == {"-"})
    widths = [len(d) for d in lines[dashes].split("  ")]
    starts = [sum(widths[:i]) + 2 * i for i in range(len(widths))]

    def cells(line: str) -> list[str]:
        return [line[s:s + w].strip() for s, w in zip(starts, widths, strict=True)]
    body = [cells(line) for line in lines[dashes + 1:] if re.match(r"plan-", line)]
    return cells(lines[dashes - 1]), body


def test_within_cell_says_why_a_plan_has_no_span_in_days(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    base = synthetic_model(n_users=120, n_films=8, seed=5)
    timed = dict(base.calibration, horizon_days=30.0)
    models = {"timed": dataclasses.replace(base, calibration=timed),
              "untimed": base,  # rank-bin counts, no horizon_days: a log without times
              "uncalibrated": dataclasses.replace(base, calibration={})}
    store = f"sqlite:///{tmp_path / 'store.db'}"
    slate = tmp_path / "slate.csv"
    slate.write_text(f"film_id,budget\n{base.films.ids[1]},20\n")
    planned = {}
    for name, model in models.items():
        folder = artifact.save(dataclasses.replace(
            model, meta=dict(model.meta, model_version=name)), tmp_path / name)
        code, _, err = run(capsys, "plan", folder, "--slate", slate, "--out",
                           tmp_path / f"{name}.csv", "--store", store)
        assert code == 0, err
    code, out, err = run(capsys, "campaign", "list", "--store", store, "--json")
    assert code == 0, err
    listed = json.loads(out)["plans"]
    st = open_store(store)
    try:
        for p in listed:
            planned[p["model_version"]] = (p["plan_id"], p["horizon_days"],
                                           st.summary(p["plan_id"])["horizon"])
    finally:
        st.close()
    code, out, err = run(capsys, "campaign", "list", "--store", store)
    assert code == 0, err
    header, rows = _rows(out)
    within = header.index("within (days)")
    by_plan = {r[0]: r for r in rows}
    for name, (plan_id, days, horizon) in planned.items():
        cell = by_plan[plan_id][within]
        assert all(by_plan[plan_id]), (name, by_plan[plan_id])  # no blank cell
        if days is not None:
            assert name == "timed" and float(cell) == days
        elif horizon["calibrated"]:  # the summary: a random share, no span in days
            assert "no span in days" in horizon["description"]
            assert cell == "n/a (log without times)"
        else:
            assert horizon["description"].startswith("no calibration")
            assert cell == "n/a (no calibration)"
    # campaign show's header says the same (it said "within the calibration horizon")
    for plan_id, days, horizon in planned.values():
        code, out_show, err = run(capsys, "campaign", "show", plan_id, "--store", store)
        assert code == 0, err
        head = out_show.splitlines()[0]
        if days is not None:
            assert f"within {days:g} days" in head
        elif horizon["calibrated"]:
            assert "random held-out share" in head and "no span in days" in head, head
            # as the summary's horizon says: a log whose times are all equal is one too
            assert "no timestamps, or all were equal" in head, head
        else:
            assert "every p is 0, the model has no calibration" in head, head
    # each n/a said once below the table, with its meaning
    assert out.count("within (days) n/a (log without times): the model's log had no "
                     "timestamps") == 1
    assert out.count("within (days) n/a (no calibration): ") == 1


def test_listing_reads_the_horizons_in_its_own_query(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The text's n/a cells cost no statement per plan (a summary read per plan without a
    span was 2 statements a plan: 2,000 for ``--limit 1000``), and say the same as before."""
    import sqlalchemy as sa

    from recommender.campaigns.store import plans as plans_table

    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    base = synthetic_model(n_users=120, n_films=8, seed=5)  # no horizon_days: no times
    folder = artifact.save(base, tmp_path / "untimed")
    store = f"sqlite:///{tmp_path / 'store.db'}"
    slate = tmp_path / "slate.csv"
    slate.write_text(f"film_id,budget\n{base.films.ids[1]},20\n")
    code, _, err = run(capsys, "plan", folder, "--slate", slate, "--out",
                       tmp_path / "p.csv", "--store", store)
    assert code == 0, err
    statements: list[str] = []

    def listed() -> tuple[int, str]:
        statements.clear()
        code, out, err = run(capsys, "campaign", "list", "--store", store)
        assert code == 0, err
        return len(statements), out

    def count(*_: object) -> None:
        statements.append("")
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
    try:
        one, out = listed()
        st = open_store(store)
        try:
            with st.engine.begin() as conn:
                row = dict(conn.execute(sa.select(plans_table)).mappings().one())
                old = dict(json.loads(row["summary"]))
                old.pop("horizon")  # a summary stored before they recorded it
                conn.execute(sa.insert(plans_table), [
                    dict(row, plan_id=f"plan-copy{i}",
                         summary=row["summary"] if i else json.dumps(old))
                    for i in range(30)])
        finally:
            st.close()
        many, out_many = listed()
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)
    assert many == one, (one, many)
    header, rows = _rows(out_many)
    cells = [r[header.index("within (days)")] for r in rows]
    assert len(rows) == 31 and _rows(out)[1][0][header.index("within (days)")] == NO_TIMES
    assert cells.count(NO_TIMES) == 30 and cells.count("n/a (not recorded)") == 1
    assert out_many.count("within (days) n/a (not recorded): the plan was stored before") == 1
    # the horizons in pages of CHUNK plans: each plan's own summary's (the oracle), none lost
    from recommender.campaigns import plan_horizons as module

    monkeypatch.setattr(module, "CHUNK", 4)
    st = open_store(store)
    try:
        ids = [r[0] for r in rows]
        assert module.plan_horizons(st, ids) == {i: st.summary(i).get("horizon") for i in ids}
    finally:
        st.close()
