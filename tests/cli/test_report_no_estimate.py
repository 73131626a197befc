"""``campaign report``'s text says why a block has no uplift (``--json``'s ``no_estimate``),
once per reason naming its blocks: it printed ``n/a`` for the control rate and uplift of a
film without controls and no word why, though the README promises "A group without controls
gets no estimate and says why". Oracle: the plan's groups as stored (which (film, wave) holds
targets, which controls) and the blocks' ``no_estimate`` of the ``--json`` body."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from helpers import run_cli

from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.store import open_store

CREATED = "2024-03-01T00:00:00+00:00"
#: (film, wave): (targets, controls): film B has no control group; film A's wave 2 no targets
GROUPS = {("A", 1): (4, 4), ("A", 2): (0, 3), ("B", 1): (4, 0), ("B", 2): (4, 0)}
WHY = ": uplift cannot be measured"


def _store(url: str) -> None:
    film, user, wave, group = [], [], [], []
    for (f, w), (t, c) in GROUPS.items():
        for i in range(t + c):
            film.append(f)
            user.append(f"{f}{w}-{i}")
            wave.append(w)
            group.append("target" if i < t else "control")
    n = len(film)
    rows = pa.Table.from_arrays([
        pa.array(["plan-e"] * n), pa.array(film), pa.array(user),
        pa.array(np.array(wave, np.int16)), pa.array(group),
        pa.array(np.arange(1, n + 1, dtype=np.int32)), pa.array(np.full(n, 0.1)),
        pa.array(np.full(n, 0.1))], schema=PLAN_SCHEMA)
    store = open_store(url)
    store.save_plan("plan-e", {"created": CREATED, "model_version": "m", "films": [
        {"film_id": "A"}, {"film_id": "B"}], "parameters": {"waves": 2},
        "horizon": {"days": 30}}, rows)
    store.close()


def test_no_estimate_is_said_once_per_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    url = f"sqlite:///{tmp_path / 's.db'}"
    _store(url)
    code, out, err = run_cli(capsys, "campaign", "report", "plan-e", "--store", url, "--json")
    assert code == 0, err
    body = json.loads(out)
    blocks = {"wave 2": body["waves"][1]}
    for f in body["films"]:
        blocks[f"film {f['film_id']}"] = f
        blocks.update({f"film {f['film_id']} wave {w['wave']}": w for w in f["waves"]})
    # the stored groups: film B has no controls anywhere, film A's wave 2 no targets, and
    # wave 2 pairs B's targets with A's controls, of no same (film, wave)
    assert {k: b["no_estimate"] for k, b in blocks.items() if b.get("no_estimate")} == {
        "film B": "no control group" + WHY, "film B wave 1": "no control group" + WHY,
        "film B wave 2": "no control group" + WHY, "film A wave 2": "no targets" + WHY,
        "wave 2": "no wave of any film holds both targets and controls" + WHY}
    assert not body["overall"].get("no_estimate") and not body["waves"][0].get("no_estimate")
    code, out, err = run_cli(capsys, "campaign", "report", "plan-e", "--store", url)
    assert code == 0, err
    said = [line for line in out.splitlines() if line.endswith(WHY)]
    assert said == [
        "note: in wave 2: no wave of any film holds both targets and controls" + WHY,
        "note: in wave 2 of film A: no targets" + WHY,
        "note: in film B and each of its waves: no control group" + WHY], out
