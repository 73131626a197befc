"""``campaign report`` says each kind of warning once, naming the blocks it concerns (a plan of
2 films x 3 waves, every block of few controls, printed the same warning on 12 lines); the
``--json`` body and the HTTP report keep their per-block warnings."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from helpers import synthetic_model

import recommender.campaigns.report as report_module
from recommender.campaigns.small_groups import small_groups_kind, small_groups_warning
from recommender.cli.report_notes import places_text, sized_places
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings


def _blocks(body: dict) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    """Every block of a report body with the name the table gives it."""
    out = [("overall", body["overall"])] + [(f"wave {w['wave']}", w) for w in body["waves"]]
    for f in body["films"]:
        out.append((f"film {f['film_id']}", f))
        out += [(f"film {f['film_id']} wave {w['wave']}", w) for w in f["waves"]]
    return out


def _places(body: dict[str, Any]) -> list[tuple[str, tuple[str, str | None, int | None]]]:
    """Every block's table name and its place, in _blocks's order."""
    out: list[tuple[str, tuple[str, str | None, int | None]]] = [
        ("overall", ("overall", None, None))]
    out += [(f"wave {w['wave']}", ("wave", None, w["wave"])) for w in body["waves"]]
    for f in body["films"]:
        out.append((f"film {f['film_id']}", ("film", f["film_id"], None)))
        out += [(f"film {f['film_id']} wave {w['wave']}", ("film", f["film_id"], w["wave"]))
                for w in f["waves"]]
    return out


def test_each_kind_of_warning_is_one_line_naming_its_blocks(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    # one report time for the CLI's and HTTP's bodies (a second apart, their as_of differed)
    monkeypatch.setattr(report_module, "report_now", lambda: 1_800_000_000)
    model = synthetic_model(n_users=300, n_films=8, seed=6)
    folder = artifact.save(dataclasses.replace(model, calibration=dict(
        model.calibration, horizon_days=30.0)), tmp_path / "model")
    films = [str(f) for f in model.films.ids[[1, 4]]]
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n" + "".join(f"{f},24\n" for f in films))
    store = f"sqlite:///{tmp_path / 'store.db'}"
    code, out, err = run(capsys, "plan", folder, "--slate", slate, "--out", tmp_path / "p.csv",
                         "--store", store, "--json")
    assert code == 0, err
    plan_id = json.loads(out)["plan_id"]
    code, out, err = run(capsys, "campaign", "report", plan_id, "--store", store, "--json",
                         "--model", folder)
    assert code == 0, err
    body = json.loads(out)
    with TestClient(create_app(Settings(model_path=str(folder), store=store))) as client:
        http = client.get(f"/campaigns/{plan_id}/report").json()
    assert {k: v for k, v in http.items() if k != "created"} == \
        {k: v for k, v in body.items() if k != "created"}
    blocks = _blocks(body)
    warned: dict[tuple[bool, bool], list[str]] = {}
    for name, b in blocks:  # the contract: each block keeps its own warning
        if b.get("warning"):
            warned.setdefault(small_groups_kind(b["warning"]), []).append(name)
    assert sum(map(len, warned.values())) >= 12 and len(warned) == 2, warned
    code, out, err = run(capsys, "campaign", "report", plan_id, "--store", store)
    assert code == 0, err
    lines = [line for line in out.splitlines() if line.startswith("warning: ")]
    assert len(lines) == len(warned), lines  # one a kind, not one a block
    for (targets, controls), names in warned.items():
        line = next(x for x in lines if ("targets" in x.split(" in ")[0]) is targets
                    and ("controls" in x.split(" in ")[0]) is controls)
        n = re.search(r" in (\d+) blocks? \(", line)
        assert n is not None and int(n.group(1)) == len(names), line
    # no block's own line any more
    assert not any(line.startswith(f"{name}: ") for name, _ in blocks for line in
                   out.splitlines())
    # each block's sizes in its kind's line, as --json has them (the measured targets and
    # the controls, effective over strata where the block has several), blocks of equal
    # sizes named together in the table's order (the line named the blocks alone)
    places = {name: place for name, place in _places(body)}
    for (targets, controls), names in warned.items():
        line = next(x for x in lines if ("targets" in x.split(" in ")[0]) is targets
                    and ("controls" in x.split(" in ")[0]) is controls)
        alike: dict[str, list[tuple[str, str | None, int | None]]] = {}
        for name, b in blocks:
            if name in names:
                c = b.get("control_effective_size")
                shown = f"{b['controls']:g}" if c is None else f"{c:.3g}"
                alike.setdefault(f"targets {b['measured_targets']:,}, controls {shown}",
                                 []).append(places[name])
        assert len(alike) < len(names)  # some blocks alike: said once
        film_waves = {f["film_id"]: [w["wave"] for w in f["waves"]] for f in body["films"]}
        sized = ", ".join(f"{places_text(ps, film_waves).replace('; ', ' and ')} ({sizes})"
                          for sizes, ps in alike.items())
        assert f" blocks ({sized}; " in line, (sized, line)


def test_places_are_named_compactly() -> None:
    """Oracle: each named place, spelled out block by block."""
    film_waves = {"A": [1, 2, 3], "B": [1, 2, 3], "C": [1, 2]}
    every = [("film", f, None) for f in film_waves] + [
        ("film", f, w) for f, ws in film_waves.items() for w in ws]
    assert places_text([("overall", None, None), *every], film_waves) == \
        "overall; every film and each of its waves"
    assert places_text([("wave", None, 1), ("wave", None, 2), ("wave", None, 3),
                        ("wave", None, 5), ("film", "A", None), ("film", "A", 2),
                        ("film", "B", 1), ("film", "B", 3), ("film", "C", None),
                        ("film", "C", 1), ("film", "C", 2)], film_waves) == \
        "waves 1-3, 5; film A and its wave 2; waves 1, 3 of film B; film C and each of its waves"
    assert places_text([("film", "A", None), ("film", "B", None), ("film", "A", 1),
                        ("film", "B", 1), ("film", "C", 2)], film_waves) == \
        "films A, B and their wave 1; wave 2 of film C"
    # every wave of a film without the film's own block: not "film A and each of its waves"
    assert places_text([("film", "A", 1), ("film", "A", 2), ("film", "A", 3)], film_waves) == \
        "each wave of film A"
    assert places_text([("film", f, w) for f, ws in film_waves.items() for w in ws],
                       film_waves) == "each wave of every film"


def test_a_warning_carries_its_kind_as_data() -> None:
    """Oracle: the thresholds themselves; the kind survives a copy and a pickle, and the text
    is the plain string --json and the HTTP report carry."""
    import copy
    import pickle

    from recommender.campaigns.small_groups import FEW_IN_GROUP, small_groups_warning

    for targets in (0, 1, FEW_IN_GROUP - 1, FEW_IN_GROUP, 500):
        for controls in (0.5, 1.0, FEW_IN_GROUP - 0.001, float(FEW_IN_GROUP), 400.0):
            for strata, of in ((1, 0), (3, targets + 7)):
                said = small_groups_warning(targets, controls, strata, of)
                few = (targets < FEW_IN_GROUP, controls < FEW_IN_GROUP)
                if not any(few):
                    assert said is None
                    continue
                assert said is not None
                for again in (said, copy.deepcopy(said), pickle.loads(pickle.dumps(said))):
                    assert small_groups_kind(again) == few, (targets, controls, str(again))
                    assert getattr(again, "sizes", None) == (targets, controls, strata)
                assert json.dumps({"w": said}) == json.dumps({"w": str(said)})


def test_grouped_by_the_recorded_kind_not_by_its_words() -> None:
    """Blocks are grouped by the kind recorded where the warning was made: a wording whose
    counts do not spell 'target' or 'control' (reworded, translated) still groups right."""
    from recommender.campaigns.small_groups import APPROXIMATE, SmallGroupsWarning
    from recommender.cli.report_notes import grouped_notes

    few_t = SmallGroupsWarning(f"3 cibles (moins de 10): {APPROXIMATE}", (True, False))
    few_c = SmallGroupsWarning(f"2 témoins (moins de 10): {APPROXIMATE}", (False, True))
    lines = grouped_notes([(("overall", None, None), {"warning": few_c}),
                           (("film", "A", None), {"warning": few_t}),
                           (("film", "A", 1), {"warning": few_t}),
                           (("film", "B", None), {})])
    assert lines == [
        "warning: fewer than 10 controls in 1 block (overall; controls: a block over several "
        "(film, wave) strata counts their effective size, --json's control_effective_size): "
        + APPROXIMATE,
        "warning: fewer than 10 targets in 2 blocks (film A and each of its waves; targets: "
        "those compared with controls of their film and wave): " + APPROXIMATE]


@pytest.mark.parametrize(("targets", "controls", "strata"), [
    (8, 1234.567, 3), (4, 2_500_000.0, 1), (8, 999.7, 2), (3, 99.96, 2), (9, 2.6667, 3),
    (5, 40.0, 1)])
def test_the_sizes_of_few_targets_against_many_controls_read_plainly(
        targets: int, controls: float, strata: int) -> None:
    """Few targets may face many controls (a holdout near 0.99): the grouped line said them
    as ``controls 1.23e+03``, ``2.5e+06``. Oracle: the number read back (thousands separators
    aside) is the controls to within the 3 significant digits (or the whole row) shown."""
    said = small_groups_warning(targets, controls, strata, targets)
    assert said is not None
    line = sized_places([(("overall", None, None), said)], {})
    head, shown = line.removesuffix(")").split(", controls ")
    assert head == f"overall (targets {targets:,}" and "e" not in shown, line
    assert abs(float(shown.replace(",", "")) - controls) <= max(0.5, controls * 5e-3), line
