"""A new film's audience summary (``cold_summary.cold_start_summary``): its tiers are its
cold-start audience's rings, each tier's expected conversion is the mean over the tier's ranks
of its calibration mix's ``p`` (``calibrated_from``, as its distribution reports it), computed
here from ``calibration.p_at`` film by film, and its segments and portrait count the ranked
users as the ranked list places them, leaving out cells under the minimum cell."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from service_fixtures import build_model

from recommender.distribution.cold_summary import cold_start_summary
from recommender.distribution.demand import cold_start_demand
from recommender.errors import UnknownFilmError
from recommender.model import calibration
from recommender.model.model import Model
from recommender.query.audience import cold_start_page

ASKED = [({"00002": 2.0, "00007": 1.0}, []), (["00002"], ["G1"]), ([], ["G0", "G3"])]


@pytest.fixture(scope="module")
def model() -> Model:
    return build_model()


def ranked(model: Model, like: Any, genres: list[str]) -> Any:
    """The new film's whole ranked list, every user, as the cold-start audience gives it."""
    page, _ = cold_start_page(model, like, genres, k=model.n_users)
    assert len(page.user_idx) == model.n_users
    return page


def mixed(model: Model, like: Any, genres: list[str], ranks: np.ndarray) -> np.ndarray:
    """The mix's p at each of ``ranks`` (1-based of every user), film by film: the weights are
    the distribution's ``calibrated_from``, each film's p its own ``calibration.p_at``."""
    body = cold_start_demand(model, like, genres, "region")
    share = body["cold_start"]["calibrated_from"]
    assert abs(sum(share.values()) - 1) < 1e-5
    frac = (np.asarray(ranks, np.float64) - 1) / model.n_users
    return sum(w * calibration.p_at(model.calibration, model.film_index(f), frac)
               for f, w in share.items())


@pytest.mark.parametrize(("like", "genres"), ASKED)
def test_tiers_are_the_ranked_list_rings_and_their_mix_conversion(
        model: Model, like: Any, genres: list[str]) -> None:
    page = ranked(model, like, genres)
    body = cold_start_summary(model, like, genres)
    assert body["candidates"] == model.n_users and body["viewers"] == 0
    everyone = mixed(model, like, genres, page.rank)
    assert calibration.measured(model.calibration) and everyone.mean() > 0
    assert body["base_conversion"] == pytest.approx(everyone.mean(), abs=1e-5)
    tiers = np.asarray(page.tier, dtype=object)
    for row in body["tiers"]:
        mine = tiers == row["tier"]
        assert row["size"] == int(mine.sum())
        ranks = page.rank[mine]
        assert row["rank_range"] == [int(ranks.min()), int(ranks.max())]
        scores = page.score[mine]
        assert row["score_range"] == pytest.approx([scores.min(), scores.max()], abs=1e-6)
        conv = mixed(model, like, genres, ranks).mean()
        assert row["expected_conversion"] == pytest.approx(conv, abs=1e-5)
        assert row["conversion_lift"] == pytest.approx(conv / everyone.mean(), abs=2e-3)
        # no honest interval for a borrowed calibration: null, and the note says why
        assert row["expected_conversion_interval"] is None
        assert row["conversion_lift_interval"] is None
    convs = [r["expected_conversion"] for r in body["tiers"]]
    assert convs == sorted(convs, reverse=True)  # the rings fall core > extended > broad
    assert body["conversion_interval_note"].startswith("no interval")
    assert "known films it is calibrated from" in body["conversion_note"]
    assert body["cold_start"] == cold_start_demand(model, like, genres, "region")["cold_start"]


@pytest.mark.parametrize("min_cell", [1, 5, 10, 25])
@pytest.mark.parametrize("tier", [None, "all", "broad"])
def test_portrait_and_segments_count_the_ranked_users_above_min_cell(
        model: Model, min_cell: int, tier: str | None) -> None:
    like, genres = ["00002"], ["G1"]
    page = ranked(model, like, genres)
    body = cold_start_summary(model, like, genres, tier=tier, min_cell=min_cell)
    scope = body["portrait_scope"]
    lo, hi = scope["rank_range"]
    pictured = page.user_idx[(page.rank >= lo) & (page.rank <= hi)]
    assert scope["users"] == len(pictured) == hi - lo + 1
    shown = 0
    for name, rows in body["portrait"].items():
        values = np.asarray(model.user_table.attributes[name]).astype(str)
        for r in rows:
            count = int((values[pictured] == r["value"]).sum())
            everyone = int((values == r["value"]).sum())
            assert r["count"] == count
            assert r["base_share"] == pytest.approx(everyone / model.n_users, abs=1e-4)
            # a cell of some users but fewer than min_cell is left out, and so is one
            # leaving that few of the value's users outside the scope
            assert count == 0 or count >= min_cell
            assert everyone - count == 0 or everyone - count >= min_cell
            shown += 1
    labels = np.asarray(model.segments.labels)
    for row in body["tiers"]:
        members = page.user_idx[np.asarray(page.tier, dtype=object) == row["tier"]]
        for s in row["segments"]:
            count = int((labels[members] == s["segment"]).sum())
            assert s["count"] == count and (count == 0 or count >= min_cell)
    if min_cell == 1:  # nothing is small: every value of the scope is shown
        assert shown == sum(len(np.unique(v)) for k, v in model.user_table.attributes.items()
                            if k in body["portrait"])
    else:
        assert body["suppressed_cells"] > 0


def test_unknown_comparable_films_are_skipped_as_the_cold_start_skips_them(
        model: Model) -> None:
    alone = cold_start_summary(model, ["00002"], ["G1"])
    body = cold_start_summary(model, ["00002", "ghost"], ["G1"])
    assert body["cold_start"]["unknown_film_ids"] == ["ghost"]
    assert {k: v for k, v in body.items() if k != "cold_start"} == \
        {k: v for k, v in alone.items() if k != "cold_start"}
    only = cold_start_summary(model, ["ghost"], ["G1"])
    assert only["cold_start"]["genres_only"] is not None
    with pytest.raises(UnknownFilmError):
        cold_start_summary(model, ["ghost"], [])
    with pytest.raises(UnknownFilmError):  # as the cold-start audience refuses it
        cold_start_page(model, ["ghost"], [])


@pytest.mark.parametrize(("like", "genres"), ASKED)
def test_the_horizon_says_a_new_films_p_is_borrowed_not_calibrated_for_it(
        model: Model, like: Any, genres: list[str]) -> None:
    """The summary's conversion line said "calibrated per film" (the model's horizon, as a
    known film's) of a new film, whose p is its comparables' or its genres' nearest films'."""
    body = cold_start_summary(model, like, genres)
    own = calibration.horizon(model.calibration)["description"]
    said = body["horizon"]["description"]
    assert own.startswith("probability (calibrated per film")
    source = ("its comparable films' calibrations" if like
              else "the calibrations of its genres' nearest known films")
    assert said.startswith(f"probability (borrowed from {source}, each calibrated per film")
    rest = said[said.index(", each calibrated per film") + len(", each "):]
    assert "probability (" + rest == own  # the rest as the model's
