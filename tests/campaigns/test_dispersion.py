"""The report's dispersion check: its statistic against Pearson's chi-square (scipy) and a
stratified oracle written out cell by cell (the hypergeometric covariances, one group left
out and the rest inverted), the pooling of small places, and a stored plan whose places
share a planted shock (the check fires, the note says so) or respond independently (a fixed
seed: it does not), with every interval of the report left as it was."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from helpers import synthetic_model
from scipy import stats

from recommender.campaigns.dispersion import (
    LEVEL,
    MIN_EXPECTED,
    dispersion,
    place_counts,
    place_dispersion,
    pooled_groups,
)
from recommender.campaigns.events import check_events, record_events
from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.report import campaign_report
from recommender.campaigns.store import open_store
from recommender.model.model import Model
from service.report_schemas import Report


def _rows_of(counts: list[tuple[int, int, int, int]]) -> tuple[np.ndarray, ...]:
    """(stratum, place, converted) rows from (stratum, place, rows, conversions) cells."""
    s, p, c = [], [], []
    for stratum, place, n, x in counts:
        s += [stratum] * n
        p += [place] * n
        c += [True] * x + [False] * (n - x)
    return np.array(s, np.int64), np.array(p, np.int64), np.array(c, bool)


def test_one_stratum_is_pearsons_chi_square_of_the_table() -> None:
    """With one stratum the statistic is (N - 1) / N times Pearson's chi-square of the 2 x G
    table (the hypergeometric covariance against the binomial variance)."""
    n, x = [100, 80, 120, 60], [30, 12, 45, 9]
    s, p, c = _rows_of([(0, i, n[i], x[i]) for i in range(4)])
    got = place_dispersion(place_counts(s, p, c, 4))
    chi2, _, dof, _ = stats.chi2_contingency(np.array([x, np.subtract(n, x)]),
                                             correction=False)
    q = chi2 * (sum(n) - 1) / sum(n)
    assert got["statistic"] == pytest.approx(q, abs=1e-4) and got["df"] == dof == 3
    assert got["p_value"] == pytest.approx(stats.chi2.sf(q, 3), rel=1e-3)
    assert got["phi"] == pytest.approx(q / 3, abs=1e-4)
    assert (got["groups"], got["places"], got["pooled_places"]) == (4, 4, 0)
    assert (got["rows"], got["conversions"]) == (sum(n), sum(x))


def _cmh_oracle(cells: list[tuple[int, int, int, int]], places: int) -> float:
    """The generalized Cochran-Mantel-Haenszel statistic written out: per stratum, each
    place's hypergeometric mean and the covariances between places, summed; the last place
    left out and the rest's covariance inverted (it has full rank G - 1 here)."""
    strata = sorted({st for st, _, _, _ in cells})
    d = np.zeros(places)
    cov = np.zeros((places, places))
    for st in strata:
        n = np.zeros(places)
        x = np.zeros(places)
        for s_, pl, rows, conv in cells:
            if s_ == st:
                n[pl] += rows
                x[pl] += conv
        big_n, big_k = n.sum(), x.sum()
        d += x - n * big_k / big_n
        f = big_k * (big_n - big_k) / (big_n ** 2 * (big_n - 1))
        for i in range(places):
            for j in range(places):
                cov[i, j] += f * (n[i] * (big_n - n[i]) if i == j else -n[i] * n[j])
    keep = d[:-1]
    return float(keep @ np.linalg.solve(cov[:-1, :-1], keep))


def test_strata_expect_each_place_from_its_own_films() -> None:
    """Two films of different rates (0.5 and 0.1) in different shares by place: the oracle
    is the generalized Cochran-Mantel-Haenszel statistic written out cell by cell; places
    that differ only by their mix of films read no dispersion."""
    cells = [(0, 0, 60, 33), (0, 1, 20, 8), (0, 2, 40, 19),
             (1, 0, 40, 3), (1, 1, 100, 12), (1, 2, 60, 5)]
    s, p, c = _rows_of(cells)
    q = _cmh_oracle(cells, 3)
    got = place_dispersion(place_counts(s, p, c, 3))
    assert got["statistic"] == pytest.approx(q, abs=1e-4) and got["df"] == 2
    assert got["p_value"] == pytest.approx(stats.chi2.sf(q, 2), rel=1e-3)
    # each place at exactly its films' rates: nothing to see, where pooled rates read a lot
    mixed = [(0, 0, 80, 40), (1, 0, 20, 2), (0, 1, 20, 10), (1, 1, 80, 8)]
    even = place_dispersion(place_counts(*_rows_of(mixed), 2))
    assert even["statistic"] == pytest.approx(0.0, abs=1e-9)
    flat = place_dispersion(place_counts(*_rows_of([(0, pl, n, x) for _, pl, n, x in mixed]),
                                         2))
    table = np.array([[42, 18], [58, 82]])  # the two places' conversions, then the others
    assert flat["statistic"] == pytest.approx(
        stats.chi2_contingency(table, correction=False)[0] * 199 / 200, abs=1e-4)
    assert flat["p_value"] < 0.001


def test_the_covariance_between_places_finds_a_shock_their_own_variances_hide() -> None:
    """Places whose shares differ between strata: place 0 converts above its films' rates in
    both; each place's own variance (the sum of (x - e)^2 / v, this check before) reads it
    as chance, the covariance between places does not (the oracle: written out)."""
    cells = [(0, 0, 90, 60), (0, 1, 10, 2), (1, 0, 10, 8), (1, 1, 90, 40)]
    s, p, c = _rows_of(cells)
    counts = place_counts(s, p, c, 2)
    q = _cmh_oracle(cells, 2)
    got = place_dispersion(counts)
    assert got["statistic"] == pytest.approx(q, abs=1e-4) and got["df"] == 1
    own = float(np.sum((counts.observed - counts.expected) ** 2 / counts.variance))
    assert stats.chi2.sf(own, 1) > LEVEL / 2 > got["p_value"]
    assert got["statistic"] > 2 * own


def test_groups_whose_strata_fix_their_counts_are_not_tested() -> None:
    """Each place in a stratum of its own: the strata's conversions fix every place's count,
    so nothing can vary between places whatever the rates."""
    got = place_dispersion(place_counts(*_rows_of([(0, 0, 50, 20), (1, 1, 50, 10)]), 2))
    assert got["statistic"] is None and got["df"] is None and "more than one" in got["note"]


def test_small_places_are_pooled_until_the_pool_is_testable() -> None:
    # expected conversions at a rate of 0.2: 20, 16, 2, 1 (places 2 and 3 too small, and
    # together still 3 < 5, so the smallest other place, 1, joins them); place 4 has no row
    n = [100, 80, 10, 5, 0]
    s, p, c = _rows_of([(0, i, n[i], n[i] // 5) for i in range(5)])
    counts = place_counts(s, p, c, 5)
    assert counts.expected.tolist() == pytest.approx([20, 16, 2, 1, 0])
    group, pooled = pooled_groups(counts)
    assert group.tolist() == [0, 1, 1, 1, -1] and pooled == 3
    got = place_dispersion(counts)
    assert (got["groups"], got["df"], got["places"]) == (2, 1, 4)
    # a pool that cannot reach MIN_EXPECTED with everything in it: nothing to test
    few = place_dispersion(place_counts(*_rows_of([(0, 0, 10, 1), (0, 1, 10, 2)]), 2))
    assert few["statistic"] is None and few["groups"] == 1 and "too few" in few["note"]
    assert MIN_EXPECTED == 5


START = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp())


def _store_plan(tmp_path: Path, model: Model, factor: dict[str, float], seed: int
                ) -> tuple[Any, dict[str, Any]]:
    """A plan of two films over the model's users (each user one row, 30% held out) whose
    rows convert at their film's and group's rate times their region's ``factor``."""
    rng = np.random.default_rng(seed)
    users = model.users.ids
    n = len(users)
    film = np.where(np.arange(n) < n // 2, "A", "B")
    group = np.where(rng.random(n) < 0.3, "control", "target")
    rate = np.where(film == "A", 0.1, 0.15) * np.where(group == "target", 2.0, 1.0)
    region = model.user_table.attributes["region"]
    p = rate * np.array([factor.get(r, 1.0) for r in region.tolist()])
    conv = rng.random(n) < p
    rows = pa.Table.from_arrays([
        pa.array(["plan-d"] * n), pa.array(film), pa.array(users),
        pa.array(np.ones(n, np.int16)), pa.array(group),
        pa.array(np.arange(1, n + 1, dtype=np.int32)), pa.array(np.full(n, 0.1)),
        pa.array(np.full(n, 0.1))], schema=PLAN_SCHEMA)
    store = open_store(str(tmp_path / f"s{seed}.db"))
    store.save_plan("plan-d", {"created": "2024-03-01T00:00:00+00:00", "model_version": "m",
                               "films": [{"film_id": "A"}, {"film_id": "B"}],
                               "horizon": {"days": 14}}, rows)
    record_events(store, check_events([
        {"event_id": f"e{i}", "user_id": str(users[i]), "film_id": str(film[i]),
         "timestamp": START + 3600} for i in np.flatnonzero(conv).tolist()]))
    return store, {"conv": conv, "group": group, "region": region}


def test_a_shared_shock_fires_the_check_and_independent_draws_do_not(tmp_path: Path) -> None:
    model = synthetic_model(n_users=4000, n_films=4, seed=5)
    shocked, _ = _store_plan(tmp_path, model, {"North": 0.5, "South": 1.5}, seed=1)
    body = campaign_report(shocked, "plan-d", 14, model=model)
    d = body["dispersion"]
    assert d["attribute"] == "region" and d["beyond_chance"] is True and d["level"] == LEVEL
    # each arm tested at 0.01 / 2: the targets' 670 conversions show it beyond doubt; the
    # controls' 139 vary 3.6 times as much as independent draws do, short of the level
    assert d["targets"]["p_value"] < LEVEL / 2 and d["targets"]["beyond_chance"] is True
    assert d["targets"]["phi"] > 10 and d["controls"]["phi"] > 2
    assert all(d[arm]["df"] == d[arm]["groups"] - 1 == 3 for arm in ("controls", "targets"))
    assert "vary more than one rate per film and wave allows" in body["note"]
    assert "which the check cannot tell apart; if a shock," in body["note"]
    assert "relative uplift held" in body["note"] and "What the intervals assume" in body["note"]
    Report.model_validate(body)  # the published schema holds the block
    # no interval changes: the same report without places, but for the block and the note
    plain = campaign_report(shocked, "plan-d", 14)
    assert plain["dispersion"]["attribute"] is None and "no model given" in \
        plain["dispersion"]["note"]
    assert {k: v for k, v in plain.items() if k not in ("dispersion", "note")} == \
        {k: v for k, v in body.items() if k not in ("dispersion", "note")}
    assert body["note"].startswith(plain["note"].split("; each wave")[0])

    calm, truth = _store_plan(tmp_path, model, {}, seed=2)
    body = campaign_report(calm, "plan-d", 14, model=model)
    d = body["dispersion"]
    assert d["beyond_chance"] is False and "vary more" not in body["note"]
    for arm, is_target in (("controls", False), ("targets", True)):
        m = (truth["group"] == "target") == is_target
        assert d[arm]["rows"] == int(m.sum())
        assert d[arm]["conversions"] == int(truth["conv"][m].sum())  # every row placed
        assert d[arm]["p_value"] >= LEVEL / 2 and d[arm]["places"] == 4
    assert d["unplaced_rows"] == 0 and d["note"].count("not beyond chance") == 2


def test_users_without_a_place_and_models_without_places_are_said(tmp_path: Path) -> None:
    model = synthetic_model(n_users=400, n_films=4, seed=6)
    rows = pa.Table.from_arrays([
        pa.array(["p"] * 4), pa.array(["A"] * 4), pa.array(["user-0000", "user-0001",
                                                            "stranger", "user-0002"]),
        pa.array(np.ones(4, np.int16)), pa.array(["target", "control", "target", "control"]),
        pa.array(np.arange(1, 5, dtype=np.int32)), pa.array(np.full(4, 0.1)),
        pa.array(np.full(4, 0.1))], schema=PLAN_SCHEMA)
    block = dispersion(rows, np.zeros(4, bool), model)
    assert block["unplaced_rows"] == 1 and block["beyond_chance"] is None
    assert block["targets"]["rows"] == 1 and "not checked by region" in block["note"]
    model.user_table.attributes.pop("region")
    none = dispersion(rows, np.zeros(4, bool), model)
    assert none["attribute"] is None and "no place attribute" in none["note"]


def test_places_differing_only_in_spaces_stay_two(tmp_path: Path) -> None:
    """A place's value is kept byte for byte, as the distribution's places keep it: "North"
    and "North " are two places (the check stripped each label and merged them); a value of
    spaces alone is no place, as a blank one is (the oracle: the values counted by hand)."""
    model = synthetic_model(n_users=300, n_films=4, seed=7)
    n = len(model.users.ids)
    region = np.array([("North", "North ", "  ")[i % 3] for i in range(n)], dtype=object)
    model.user_table.attributes["region"] = region
    rows = pa.Table.from_arrays([
        pa.array(["p"] * n), pa.array(["A"] * n), pa.array(model.users.ids),
        pa.array(np.ones(n, np.int16)),
        pa.array(["target" if i % 2 else "control" for i in range(n)]),
        pa.array(np.arange(1, n + 1, dtype=np.int32)), pa.array(np.full(n, 0.1)),
        pa.array(np.full(n, 0.1))], schema=PLAN_SCHEMA)
    block = dispersion(rows, np.zeros(n, bool), model)
    blank = sum(1 for r in region if not r.strip())
    assert block["unplaced_rows"] == blank == n // 3
    for arm, odd in (("controls", 0), ("targets", 1)):
        placed = {r for i, r in enumerate(region) if i % 2 == odd and r.strip()}
        assert placed == {"North", "North "}
        assert block[arm]["places"] == len(placed) == 2, block[arm]
