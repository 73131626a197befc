"""Each tuning trial's progress line says how many trials the search can run at most and the
seconds since it began: a default ``train`` counted "tuning trial 35" with no end in sight
(``tune --trials`` draws a bar with its total). Silent without progress."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from test_tuning import SMALL, planted_groups

from recommender.model.config import TUNABLE
from recommender.model.tuning import tune

LINE = re.compile(r"^tuning trial (\d+) of at most (\d+): .*\((\d+\.\d) s; (\d+\.\d) s since "
                  r"the search began\)$")


def _lines(err: str) -> list[re.Match[str]]:
    lines = [ln for ln in err.splitlines() if ln.startswith("tuning trial")]
    assert lines, err
    found = [LINE.match(ln) for ln in lines]
    assert all(found), lines
    return [m for m in found if m is not None]


def test_a_default_search_never_passes_the_total_it_says(
        capsys: pytest.CaptureFixture[str]) -> None:
    _, report = tune(planted_groups(), replace(SMALL, fixed=()), progress=True)
    found = _lines(capsys.readouterr().err)
    most = {int(m[2]) for m in found}
    assert len(most) == 1, most  # one total, said from the first trial on
    assert [int(m[1]) for m in found] == list(range(1, len(report["trials"]) + 1))
    assert len(report["trials"]) <= most.pop()
    elapsed = [float(m[4]) for m in found]
    assert elapsed == sorted(elapsed)


def test_the_total_is_exact_where_only_the_prior_is_searched(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Every ALS parameter and the family fixed: the starting setting, then one trial per
    prior weight other than the starting one (0.1, 0.3, 1, 3): 5 trials, of at most 5."""
    cfg = replace(SMALL, fixed=(*TUNABLE, "family"))
    _, report = tune(planted_groups(), cfg, progress=True)
    found = _lines(capsys.readouterr().err)
    assert [(int(m[1]), int(m[2])) for m in found] == [(n, 5) for n in range(1, 6)]
    assert len(report["trials"]) == 5


def test_silent_without_progress(capsys: pytest.CaptureFixture[str]) -> None:
    tune(planted_groups(), replace(SMALL, fixed=(*TUNABLE, "family")), progress=False)
    assert capsys.readouterr().err == ""
