"""The tie rule of a breakdown's screens (equal remainders: the larger expected_total first,
then the place first by name, "other" last) was in ``screens.py``'s docstring alone: the
README, the body's ``units.screens`` and the CLI's line under the table say it, and a tie
follows it. Oracle: two places of identical users (a film every candidate scores alike,
viewers split evenly), so their expected totals are equal to the bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from helpers import synthetic_model

from recommender.distribution.demand import demand_by_place
from recommender.distribution.screens import TIE_RULE

ROOT = Path(__file__).resolve().parents[2]


def test_equal_remainders_go_to_the_place_first_by_name() -> None:
    m = synthetic_model(n_users=120, n_films=6, seed=2)
    f = 3
    m.film_factors[f] = 0.0  # every candidate scores the same: one p for all
    viewers = set(m.film_viewers(f).tolist())
    seen = [u for u in range(120) if u in viewers]
    unseen = [u for u in range(120) if u not in viewers]
    place = np.full(120, "", dtype=object)
    # "Beta" and "Alpha" alike (equal viewers and non-viewers), "Big" larger
    half = len(seen) // 2
    for name, members in (("Beta", seen[:half] + unseen[:30]),
                          ("Alpha", seen[half:2 * half] + unseen[30:60]),
                          ("Big", seen[2 * half:] + unseen[60:])):
        place[members] = name
    m.user_table.attributes["region"] = place.astype(str)
    ahead = 0
    for screens in range(1, 12):
        body = demand_by_place(m, str(m.films.ids[f]), "region", screens=screens, min_cell=1)
        rows = {r["place"]: r for r in body["places"]}
        assert rows["Alpha"]["expected_total"] == rows["Beta"]["expected_total"]
        # whenever the two differ, the extra screen went to Alpha (first by name)
        gap = rows["Alpha"]["screens"] - rows["Beta"]["screens"]
        assert gap in (0, 1), screens
        ahead += gap
    assert ahead  # the tie was met
    said = body["units"]["screens"]
    assert f"largest remainder ({TIE_RULE})" in said
    assert TIE_RULE == ("equal remainders go to the larger expected total first, then to the "
                        "place first by name, 'other' last")
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert ("Equal fractional parts (to 9 decimals) go to the larger `expected_total` first, "
            "then to the place first by name") in readme
