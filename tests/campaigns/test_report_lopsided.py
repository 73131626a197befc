"""A split of targets and controls far from even warns, in the plan and in its report.

11 targets against 990 controls (or the reverse) are each many, so no small-groups warning
was said, yet the uplift's interval is about 4.8 times as wide as an even split of the same
1,001 users gives. The threshold is worked out from the interval's width: Newcombe's interval
itself (``report.newcombe``) is the oracle of ``width_vs_even``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from helpers import synthetic_model

from recommender.campaigns.plan import plan_slate
from recommender.campaigns.report import group_stats, newcombe, strata_stats
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.small_groups import LOPSIDED_WIDTH, lopsided_warning, width_vs_even
from recommender.cli.report_notes import grouped_notes
from recommender.model import artifact
from service.app import create_app
from service.report_schemas import Report
from service.settings import Settings


def _width(targets: int, controls: int, rate: float) -> float:
    """Newcombe's 95% interval's width at the same ``rate`` in both groups."""
    _, low, high = newcombe(rate * targets, targets, rate * controls, controls)
    return high - low


@pytest.mark.parametrize("rate", [0.05, 0.2, 0.5])
@pytest.mark.parametrize("share", [0.003, 0.01, 0.05, 0.1, 0.3, 0.7, 0.95, 0.99])
def test_width_vs_even_is_newcombes_own_ratio(rate: float, share: float) -> None:
    total = 200_000
    c = round(share * total)
    got = width_vs_even(total - c, c)
    want = _width(total - c, c, rate) / _width(total // 2, total // 2, rate)
    assert got == pytest.approx(want, rel=0.02)


def test_the_threshold_is_twice_an_even_splits_width() -> None:
    """It warns from a control share of 6.7% down (93.3% up), and not at the default 0.1."""
    for t, c in ((11, 990), (990, 11), (9_340, 660), (660, 9_340), (10**6, 5 * 10**4)):
        said = lopsided_warning(t, c)
        assert said is not None and width_vs_even(t, c) >= LOPSIDED_WIDTH
        assert f"{t:,} targets against {c:,} controls" in said
    for t, c in ((900, 100), (100, 900), (9_320, 680), (500, 500), (11, 0), (0, 990)):
        assert lopsided_warning(t, c) is None
    assert "about 4.8x as wide" in str(lopsided_warning(11, 990))


@pytest.mark.parametrize(("targets", "controls"), [(11, 990), (990, 11), (4_000, 90)])
def test_a_report_block_warns_of_a_lopsided_split(targets: int, controls: int) -> None:
    block = group_stats(targets, targets // 5, controls, controls // 10, 0.0, 0.0)
    assert block["split_warning"] == lopsided_warning(targets, controls)
    assert "warning" not in block  # each group has 10 or more: not a small-groups warning
    Report.model_fields["overall"].annotation.model_validate(block)  # type: ignore[union-attr]
    assert "split_warning" not in group_stats(900, 180, 100, 10, 0.0, 0.0)
    # fewer than 10 in a group (one wave's rounding: 19 and 1): that warning alone
    for few in (group_stats(19, 3, 1, 0, 0.0, 0.0), group_stats(4, 2, 396, 4, 0.0, 0.0)):
        assert few["warning"] and "split_warning" not in few
    lines = grouped_notes([(("overall", None, None), block)])
    assert len(lines) == 1 and lines[0].startswith("warning: a split of targets and controls")
    assert block["split_warning"] in lines[0]


def test_plan_and_report_say_it_on_the_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    model = synthetic_model(n_users=600, n_films=8, seed=6)
    folder = artifact.save(dataclasses.replace(model, calibration=dict(
        model.calibration, horizon_days=30.0)), tmp_path / "model")
    films = [str(f) for f in model.films.ids[[1, 4]]]
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n" + "".join(f"{f},12\n" for f in films))
    store = f"sqlite:///{tmp_path / 'store.db'}"
    plans = {}
    for holdout in ("0.1", "0.95"):
        code, out, err = run(capsys, "plan", folder, "--slate", slate, "--out",
                             tmp_path / f"p{holdout}.csv", "--store", store, "--json",
                             "--holdout", holdout, "--waves", "1")
        assert code == 0, err
        body = json.loads(out)
        plans[holdout], summary = body["plan_id"], body["summary"]
        t, c = summary["totals"]["contacts"], summary["totals"]["control"]
        want = lopsided_warning(t, c, what="uplift's 95% interval will be")
        assert summary.get("split_warning") == want
        assert (want is None) == (holdout == "0.1")
        assert (f"warning: {want}" in err) == (want is not None)
    code, out, err = run(capsys, "campaign", "report", plans["0.95"], "--store", store, "--json")
    assert code == 0, err
    body = json.loads(out)
    Report.model_validate(body)
    o = body["overall"]
    assert o["split_warning"] == lopsided_warning(o["measured_targets"], o["controls"],
                                                  o["control_effective_size"])
    with TestClient(create_app(Settings(model_path=str(folder), store=store))) as client:
        http = client.get(f"/campaigns/{plans['0.95']}/report").json()
        shown = client.get(f"/campaigns/{plans['0.95']}").json()
    assert http["overall"]["split_warning"] == o["split_warning"]  # the HTTP body's, as --json
    assert "split_warning" in json.dumps(shown)  # the stored summary keeps it
    code, out, err = run(capsys, "campaign", "show", plans["0.95"], "--store", store)
    assert code == 0 and f"warning: {shown['summary']['split_warning']}" in err, err
    code, out, err = run(capsys, "campaign", "report", plans["0.95"], "--store", store)
    assert code == 0, err
    assert any(line.startswith("warning: a split of targets and controls far from even in ")
               and "overall" in line for line in out.splitlines()), out


def test_a_block_of_strata_says_its_share_held_out_of_its_rows_not_of_its_effective_size(
        ) -> None:
    """Two strata, 1,000 targets against 10 controls and 10 against 1,000: half the rows are
    held out, but the controls weigh as an effective 10.2 for targets spread unlike them. The
    warning said "an effective 10.2 controls (1% of the plan rows held out)", an even split
    "of the same 1,020 rows" (the block has 2,020), and to hold out nearer 0.5 (it does)."""
    n_t, n_c = np.array([1_000, 10]), np.array([10, 1_000])
    block = strata_stats(n_t, n_t // 10, n_c, n_c // 10, 0.0, 0.0)
    t, c, eff = block["measured_targets"], block["controls"], block["control_effective_size"]
    assert (t, c) == (1_010, 1_010) and eff < 11
    said = block["split_warning"]
    share = 100 * c / (t + c)  # of the rows themselves
    assert f"{t:,} targets against {c:,} controls ({share:.3g}% of the {t + c:,} rows held out)" \
        in said, said
    assert f"an effective {eff:,.3g} controls" in said
    assert f"about {width_vs_even(t, eff):.2g}x as wide" in said
    assert f"an even split of an effective {t + eff:,.0f} rows" in said
    assert "holdout nearer 0.5" in said and "alone would not mend" in said
    # the controls' own rows far from even too: the holdout's advice, as one stratum says it
    lop = strata_stats(np.array([1_000, 500]), np.array([100, 50]), np.array([20, 10]),
                       np.array([2, 1]), 0.0, 0.0)
    assert lop["split_warning"].endswith("a holdout nearer 0.5 measures the uplift more tightly")
    assert "(1.96% of the 1,530 rows held out)" in lop["split_warning"]


def test_a_small_plan_at_the_default_holdout_is_not_told_to_hold_out_nearer_half() -> None:
    """A budget of 14 at the default holdout, 0.1, selects 14 targets and 1 control (its
    rounding): the plan's summary warned of a lopsided split and to hold out nearer 0.5,
    where the README says the default does not warn (the report says the small-groups
    warning of such a block instead). The holdout's own share decides, the realized
    counts say how wide."""
    model = synthetic_model(n_users=400, n_films=8, seed=3)
    film = str(model.films.ids[1])
    told = {}
    for holdout in (0.05, 0.1, 0.2, 0.9, 0.95):
        for budget in (5, 14, 30):
            summary = plan_slate(model, [SlateFilm(film, budget)], holdout=holdout,
                                 progress=False).summary
            t, c = summary["totals"]["contacts"], summary["totals"]["control"]
            lopsided = width_vs_even(1 - holdout, holdout) >= LOPSIDED_WIDTH
            want = lopsided_warning(t, c, what="uplift's 95% interval will be") if lopsided \
                else None
            assert summary.get("split_warning") == want, (holdout, budget, t, c)
            told[holdout, budget] = (t, c, want is not None)
    assert told[0.1, 14] == (14, 1, False)  # the case that warned
    assert told[0.05, 14][2] and told[0.95, 5][2]
