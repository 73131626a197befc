"""A rare film's summary: its probabilities keep enough significant digits that the lift shown
can be rebuilt from the conversions shown, in the JSON and in the CLI's table and legend.

Rounded to 5 decimals, ml-100k's film 1500 showed an extended conversion of 0.00063 over a
base of 0.00020 beside a lift of 3.206 (0.00063 / 0.00020 = 3.15). Oracle: the ratio of the
figures as printed, against the lift printed beside them, and Python's own exponent format
for 4 significant digits."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from helpers import run_cli as run
from helpers import synthetic_model

from recommender.model import artifact
from recommender.model.probability_digits import probability_text, round_probability

# the lift (3 decimals) is rounded too: its own half a unit in the last place, and the two
# probabilities' (4 significant digits each: at most 0.05% each)
TOLERANCE = 0.0011


@pytest.fixture(scope="module")
def rare(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A model whose calibration measured a hit rate of at most 20 in 400,000 per rank bin:
    every probability is below 0.0001, most of them below 0.00001."""
    m = synthetic_model(n_users=600, n_films=20, seed=11)
    m.calibration = {**m.calibration, "candidates": [400_000] * 1000}
    return artifact.save(m, tmp_path_factory.mktemp("rare") / "model"), str(m.films.ids[0])


def _close(ratio: float, lift: float) -> bool:
    return abs(ratio / lift - 1) < TOLERANCE


def test_the_json_keeps_four_significant_digits_and_its_lift_rebuilds(
        rare: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    path, film = rare
    code, out, err = run(capsys, "summary", path, film, "--json")
    assert code == 0, err
    body = json.loads(out)
    base = body["base_conversion"]
    assert 0 < base < 0.0001
    assert base == float(f"{base:.3e}")  # 4 significant digits, not 0.00001 (5 decimals)
    tiers = [t for t in body["tiers"] if t["conversion_lift"] is not None]
    assert len(tiers) == 3
    for t in tiers:
        conv = t["expected_conversion"]
        assert conv == float(f"{conv:.3e}")
        assert _close(conv / base, t["conversion_lift"]), (t, base)


def test_the_table_and_its_legend_show_figures_the_lift_rebuilds_from(
        rare: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    path, film = rare
    code, out, err = run(capsys, "summary", path, film)
    assert code == 0, err
    legend = re.search(r"lift = conversion / that of a random candidate \(([0-9.]+)\), the ratio "
                       r"of the unrounded means", out)
    assert legend, out
    base = float(legend.group(1))
    assert "e" not in legend.group(1) and base > 0
    rows = 0
    for tier in ("core", "extended", "broad"):
        row = next(line for line in out.splitlines() if line.startswith(tier + " "))
        cells = row.split()
        # tier, share_pct, size, ranks, scores (x to y), conversion, interval '-', lift, '-'
        conv, lift = float(cells[7]), float(cells[9])
        assert _close(conv / base, lift), (row, base)
        rows += 1
    assert rows == 3


@pytest.mark.parametrize("p", [6.2876e-4, 1.9612e-4, 3.1311e-6, 0.00999961, 0.0099949,
                               0.0407123, 0.528681, 0.0, 1.0])
def test_a_probability_keeps_four_significant_digits_below_a_hundredth(p: float) -> None:
    shown = round_probability(p)
    want = float(f"{p:.3e}") if p < 0.01 else round(p, 5)
    if want >= 0.01:  # rounded up to 0.01: 5 decimals
        want = round(p, 5)
    assert shown == want
    text = probability_text(p)
    assert "e" not in text and float(text) == shown
    significant = text.replace(".", "").lstrip("0")  # trailing zeros count: 0.01000 has 4
    assert len(significant) >= (4 if shown else 0), text
    assert math.isclose(shown, p, rel_tol=5e-4, abs_tol=5e-6)



def test_a_new_films_summary_keeps_them_too(rare: tuple[Path, str],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """The cold-start summary rounds its borrowed probabilities the same way."""
    path, film = rare
    code, out, err = run(capsys, "cold-start", path, "--like", film, "--summary", "--json")
    assert code == 0, err
    body = json.loads(out)
    base = body["base_conversion"]
    assert 0 < base < 0.0001 and base == float(f"{base:.3e}")
    for t in body["tiers"]:
        assert _close(t["expected_conversion"] / base, t["conversion_lift"]), (t, base)
