"""A film's demand by place (``recommender.distribution.demand``) on a synthetic model: the
numbers against a brute-force recomputation, the sums, the minimum cell rule, the screens,
bad input, and the cold start."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from helpers import brute_order, dense_seen, synthetic_model

from recommender.distribution.demand import (
    NO_CINEMAS,
    cold_start_demand,
    demand_by_place,
    film_probabilities,
)
from recommender.distribution.slate import pooled_cinemas
from recommender.errors import InvalidParameterError, UnknownFilmError
from recommender.io.places import Cinemas
from recommender.model import calibration
from recommender.model.model import Model
from recommender.query.audience import cold_start_vector


@pytest.fixture(scope="module")
def model() -> Model:
    m = synthetic_model(n_users=400, n_films=40, seed=3)
    rng = np.random.default_rng(5)
    # a cinema per user (some with few users), a city, and a non-place attribute
    sizes = [60, 60, 50, 50, 40, 40, 30, 30, 20, 9, 6, 3, 2]
    cinema = np.repeat([f"c{i:02d}" for i in range(len(sizes))], sizes)[:400]
    m.user_table.attributes["cinema"] = rng.permutation(cinema).astype(str)
    m.user_table.attributes["city"] = np.where(np.arange(400) % 7 == 0, "", "Big").astype(str)
    return m


def brute(model: Model, f: int, by: str) -> dict[str, dict[str, float]]:
    """Each place's users, viewers and expected new viewers, recomputed user by user."""
    scores = (np.asarray(model.user_factors, np.float64)
              @ np.asarray(model.film_factors[f], np.float64)).astype(np.float32)
    seen = dense_seen(model)[:, f]
    cand = np.flatnonzero(~seen)
    p = run_mean_p(model, f, scores, cand)
    out: dict[str, dict[str, float]] = {}
    values = model.user_table.attributes[by]
    for u in range(model.n_users):
        row = out.setdefault(str(values[u]), {"users": 0, "viewers": 0, "new": 0.0})
        row["users"] += 1
        row["viewers"] += int(seen[u])
    for i, u in enumerate(cand.tolist()):
        out[str(values[u])]["new"] += float(p[i])
    return out


def run_mean_p(model: Model, f: int, scores: Any, cand: Any) -> Any:
    """Each candidate's probability, user by user: the mean of ``p_at`` over the ranks its
    run of equal scores spans (1 + the candidates scoring strictly higher, to that plus the
    run's length), so tied users share it and none is owed the run's first rank."""
    n = len(cand)
    out = []
    for u in cand.tolist():
        higher = int((scores[cand] > scores[u]).sum())
        equal = int((scores[cand] == scores[u]).sum())
        ranks = np.arange(higher, higher + equal) / n
        out.append(float(calibration.p_at(model.calibration, f, ranks).mean()))
    return np.array(out)


def test_tied_scores_share_their_runs_mean_probability() -> None:
    """With small integer factors many scores tie; tied users get the same probability, the
    mean over the ranks their run spans (before, the run's first rank: a film with nothing
    fitted, every candidate tied, got its best probability for every user)."""
    model = synthetic_model(n_users=300, n_films=10, ties=True, seed=1)
    scores = (model.user_factors @ model.film_factors[2]).astype(np.float32)
    cand = np.flatnonzero(~dense_seen(model)[:, 2])
    assert len(np.unique(scores[cand])) < len(cand) / 3  # plenty of ties
    p = film_probabilities(model, scores, 2, model.film_viewers(2))
    np.testing.assert_allclose(p[cand], run_mean_p(model, 2, scores, cand), rtol=1e-12)
    assert (p[dense_seen(model)[:, 2]] == 0).all()
    # the total is what an untied ranking would expect: the sum of p over every rank
    by_rank = calibration.p_at(model.calibration, 2, np.arange(len(cand)) / len(cand))
    assert p.sum() == pytest.approx(by_rank.sum(), rel=1e-12)


def test_a_film_with_nothing_fitted_expects_its_mean_everywhere_and_says_so(
        model: Model) -> None:
    zero = replace(model, film_factors=np.asarray(model.film_factors).copy())
    zero.film_factors[5] = 0.0
    film = str(zero.films.ids[5])
    body = demand_by_place(zero, film, "region", min_cell=1)
    assert body["note"] is not None and "scores the same" in body["note"]
    cand = np.flatnonzero(~dense_seen(zero)[:, 5])
    mean = calibration.p_at(zero.calibration, 5, np.arange(len(cand)) / len(cand)).mean()
    assert body["expected_new"] == pytest.approx(mean * len(cand), abs=1e-3)
    # each place's expected_new follows its candidates alone
    for place, row in rows(body).items():
        users = zero.user_table.attributes["region"] == place
        n = int((users & ~dense_seen(zero)[:, 5]).sum())
        assert row["expected_new"] == pytest.approx(mean * n, abs=1e-3)
    assert demand_by_place(model, film, "region", min_cell=1)["note"] is None


def rows(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["place"]: r for r in body["places"]}


@pytest.mark.parametrize("f", [0, 7, 23])
def test_numbers_match_brute_force_and_add_up(model: Model, f: int) -> None:
    film = str(model.films.ids[f])
    body = demand_by_place(model, film, "region", min_cell=1)
    truth = brute(model, f, "region")
    got = rows(body)
    assert set(got) == set(truth)
    for place, t in truth.items():
        r = got[place]
        assert (r["users"], r["viewers"]) == (t["users"], t["viewers"])
        assert r["expected_new"] == pytest.approx(t["new"], abs=2e-3)
        assert r["expected_total"] == pytest.approx(t["viewers"] + t["new"], abs=2e-3)
    assert body["users"] == model.n_users == sum(r["users"] for r in body["places"])
    assert body["viewers"] == len(model.film_viewers(f))
    assert sum(r["expected_total"] for r in body["places"]) == pytest.approx(
        body["expected_total"], abs=0.01)
    for key in ("share", "user_share", "viewing_share"):
        assert sum(r[key] for r in body["places"]) == pytest.approx(1.0, abs=1e-5)
    viewing = np.bincount(np.unique(model.user_table.attributes["region"],
                                    return_inverse=True)[1], weights=model.user_counts())
    for r in body["places"]:
        assert r["index_vs_users"] == pytest.approx(100 * r["share"] / r["user_share"], abs=0.1)
        assert r["index_vs_viewing"] == pytest.approx(100 * r["share"] / r["viewing_share"],
                                                      abs=0.1)
    assert sorted(r["viewing_share"] for r in body["places"]) == pytest.approx(
        sorted(viewing / viewing.sum()), abs=1e-6)
    totals = [r["expected_total"] for r in body["places"]]
    assert totals == sorted(totals, reverse=True)
    assert body["screens"] is None and all(r["screens"] is None for r in body["places"])


def test_min_cell_merges_small_places_into_other(model: Model) -> None:
    film = str(model.films.ids[4])
    full = rows(demand_by_place(model, film, "cinema", min_cell=1))
    body = demand_by_place(model, film, "cinema", min_cell=10)
    got = rows(body)
    assert body["min_cell"] == 10
    small = {p for p, r in full.items() if r["users"] < 10}
    assert small == {"c09", "c10", "c11", "c12"}
    # 9 + 6 + 3 + 2 = 20 users: enough, so no named place joins them
    assert body["merged_places"] == 4 and set(got) == set(full) - small | {"other"}
    other = got["other"]
    assert other["users"] == sum(full[p]["users"] for p in small) == 20
    assert other["viewers"] == sum(full[p]["viewers"] for p in small)
    assert other["expected_new"] == pytest.approx(sum(full[p]["expected_new"] for p in small),
                                                  abs=2e-3)
    assert body["places"][-1]["place"] == "other"
    assert all(r["users"] >= 10 for r in body["places"])
    # a larger cell size pools more; the merged cell grows until it is itself large enough
    big = demand_by_place(model, film, "cinema", min_cell=45)
    assert all(r["users"] >= 45 for r in big["places"])
    assert sum(r["users"] for r in big["places"]) == model.n_users


def test_min_cell_from_the_environment(model: Model, monkeypatch: pytest.MonkeyPatch) -> None:
    film = str(model.films.ids[4])
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "35")
    body = demand_by_place(model, film, "cinema")
    assert body["min_cell"] == 35 and all(r["users"] >= 35 for r in body["places"])
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "lots")
    with pytest.raises(InvalidParameterError, match="RECOMMENDER_MIN_CELL"):
        demand_by_place(model, film, "cinema")


def test_users_without_a_place_are_apart_and_never_merged() -> None:
    # the review's case: a handful of users without a region (new users from events) next to
    # real regions; they used to form a tiny "unknown" cell that the minimum cell rule merged
    # with the smallest real region, swallowing it into "other"
    m = synthetic_model(n_users=200, n_films=30, seed=8)
    sizes = {"North": 100, "East": 60, "South": 36, "": 4}
    values = np.repeat(list(sizes), list(sizes.values()))
    m.user_table.attributes["region"] = np.random.default_rng(2).permutation(values).astype(str)
    f = 3
    truth = brute(m, f, "region")
    body = demand_by_place(m, str(m.films.ids[f]), "region", min_cell=10)
    got = rows(body)
    assert set(got) == {"North", "East", "South"} and body["merged_places"] == 0
    for place, row in got.items():
        assert row["users"] == truth[place]["users"] == sizes[place]
        assert row["viewers"] == truth[place]["viewers"]
        assert row["expected_new"] == pytest.approx(truth[place]["new"], abs=1e-3)
    assert body["users"] == 196 and sum(r["share"] for r in body["places"]) == pytest.approx(1)
    # 4 users: counted, their figures hidden like any cell under min_cell
    assert body["users_without_place"] == {"users": 4, "viewers": None, "expected_new": None,
                                           "expected_total": None}
    shown = demand_by_place(m, str(m.films.ids[f]), "region", min_cell=3)["users_without_place"]
    assert shown["users"] == 4 and shown["viewers"] == truth[""]["viewers"]
    assert shown["expected_new"] == pytest.approx(truth[""]["new"], abs=1e-3)
    assert shown["expected_total"] == pytest.approx(truth[""]["viewers"] + truth[""]["new"],
                                                    abs=2e-3)
    # a real small place is still merged, and only with real places
    small = demand_by_place(m, str(m.films.ids[f]), "region", min_cell=40)
    assert {r["place"]: r["users"] for r in small["places"]} == {"North": 100,
                                                                  "other": 60 + 36}
    assert small["users_without_place"]["users"] == 4
    # screens go to the places only
    alloc = demand_by_place(m, str(m.films.ids[f]), "region", screens=7, min_cell=10)
    assert sum(r["screens"] for r in alloc["places"]) == 7


def test_cinema_screens_without_a_table_say_so(model: Model) -> None:
    body = demand_by_place(model, str(model.films.ids[1]), "cinema", screens=15)
    assert body["model_version"] == model.version  # a saved CLI --json says what made it
    assert body["screens"]["capped_by"] is None and body["screens"]["capacity"] is None
    assert body["screens"]["warning"] == NO_CINEMAS
    assert sum(r["screens"] for r in body["places"]) == 15


def test_screens_sum_to_n_and_follow_demand(model: Model) -> None:
    body = demand_by_place(model, str(model.films.ids[9]), "region", screens=17)
    places = body["places"]
    assert sum(r["screens"] for r in places) == 17
    assert body["screens"] == {"total": 17, "capped_by": None, "capacity": None,  # caps (and
                               "warning": None, "note": None}  # their absence) by cinema only
    for r in places:  # largest remainder: each within one screen of its exact quota
        assert abs(r["screens"] - 17 * r["share"]) < 1.0 + 1e-6


def test_screens_capped_by_cinemas(model: Model) -> None:
    ids = np.array([f"c{i:02d}" for i in range(13)] + ["c99"])
    screens = np.array([2, 1, 3, 1, 2, 2, 1, 1, 1, 4, 1, 1, 1, 9], np.int64)
    table = Cinemas(ids, np.full(14, "Big"), np.full(14, "North"), screens, screens * 100)
    film = str(model.films.ids[1])
    body = demand_by_place(model, film, "cinema", screens=15, cinemas=table, min_cell=10)
    got = rows(body)
    assert sum(r["screens"] for r in body["places"]) == 15
    assert all(r["screens"] <= r["capacity"] for r in body["places"])
    assert got["other"]["capacity"] == 4 + 1 + 1 + 1  # c09..c12 pooled; c99 has no users
    assert body["screens"]["capacity"] == sum(r["capacity"] for r in body["places"]) == 21
    assert body["screens"]["capped_by"] == (
        "cinemas.csv: 14 cinemas, 30 screens; 9 screens of 1 cinema no user names cannot be used "
        "(e.g. 'c99')")
    with pytest.raises(InvalidParameterError, match="screens=22 is more than the 21 screens"
                       ) as refused:
        demand_by_place(model, film, "cinema", screens=22, cinemas=table, min_cell=10)
    # the table's other screens are named: an id no user names (a typo, a stray space)
    assert "9 screens of 1 cinema no user names" in str(refused.value)
    assert "e.g. 'c99'" in str(refused.value)
    # named once: capped_by names it, and an ', e.g. 'c99'' after it said it again
    assert str(refused.value).count("c99") == 1, refused.value
    assert body["screens"]["warning"] is None  # every cinema users name is in the table
    # a table without c00 and with c01 misspelt: their users' demand gets no screens, said so
    # (only cinemas shown as rows are named; the pooled ones are counted)
    typo = Cinemas(np.array(["C01", *ids[2:]]), np.full(13, "Big"), np.full(13, "North"),
                   screens[1:], screens[1:] * 100)
    body = demand_by_place(model, film, "cinema", screens=10, cinemas=typo, min_cell=10)
    got = rows(body)
    assert got["c00"]["screens"] == got["c01"]["screens"] == 0 < got["c00"]["expected_new"]
    assert body["screens"]["warning"].startswith(
        "2 cinemas users name not in cinemas.csv (e.g. 'c00', 'c01' (cinemas.csv has 'C01')) "
        "get no screens, whatever their demand")  # the near miss beside it


@pytest.mark.parametrize(("by", "screens", "message"), [
    ("shoe_size", None, "'shoe_size' is not a user attribute of this model; its place "
                        "attributes are: region, city, cinema"),
    ("gender", None, "'gender' is not a place attribute"),
    ("zip_zone", None, "this model's users have no 'zip_zone' attribute"),
    ("region", 0, r"screens must be a whole number from 1 to "),
])
def test_bad_input(model: Model, by: str, screens: int | None, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        demand_by_place(model, str(model.films.ids[0]), by, screens)


def test_a_model_without_places_says_how_to_get_them(model: Model) -> None:
    """A log without a users file (FilmTrust's) was told "its place attributes are: none"
    and no more: the error names the columns and the file that bring them."""
    import dataclasses

    from recommender.io.dataset import UserTable

    bare = dataclasses.replace(model, user_table=UserTable(model.users.ids.copy(), {}))
    with pytest.raises(InvalidParameterError) as err:
        demand_by_place(bare, str(model.films.ids[0]), "region")
    assert ("its place attributes are: none (region, city, cinema, zip_zone are columns of "
            "the users file: train with a users.csv or users.parquet beside the log, or "
            "--users FILE"
            ) in str(err.value)


def test_unknown_film(model: Model) -> None:
    with pytest.raises(UnknownFilmError):
        demand_by_place(model, "no such film", "region")


def test_cold_start(model: Model) -> None:
    like = [str(model.films.ids[3]), str(model.films.ids[5])]
    body = cold_start_demand(model, like, ["Drama"], "region", screens=6, min_cell=1)
    assert body["film_id"] is None and body["viewers"] == 0
    assert body["cold_start"]["comparable_film_ids"] == like
    assert body["cold_start"]["genres"] == ["Drama"]
    # the same numbers by hand: scores from the cold-start vector, every user a candidate,
    # probabilities of the calibration mix (this model's is one curve for every film:
    # tests/distribution/test_cold_calibration_mix.py checks the mix); calibrated_as is
    # the film of its largest share
    vec = cold_start_vector(model, like, ["Drama"]).astype(np.float64)
    mix = body["cold_start"]["calibrated_from"]
    assert body["cold_start"]["calibrated_as"] == next(iter(mix))
    assert set(like) <= set(mix) and sum(mix.values()) == pytest.approx(1.0, abs=1e-5)
    stand_in = model.films.index_of(body["cold_start"]["calibrated_as"])
    scores = (np.asarray(model.user_factors, np.float64) @ vec).astype(np.float32)
    order = brute_order(scores, np.arange(model.n_users))
    p = calibration.p_at(model.calibration, stand_in, np.arange(model.n_users) / model.n_users)
    regions = model.user_table.attributes["region"]
    for r in body["places"]:
        assert r["expected_new"] == pytest.approx(float(p[regions[order] == r["place"]].sum()),
                                                  abs=2e-3)
    assert sum(r["screens"] for r in body["places"]) == 6
    # a model without calibration (--holdout 0) expects no new viewer: the refusal says why
    from dataclasses import replace

    bare = replace(model, calibration={})
    with pytest.raises(InvalidParameterError, match="no expected new viewers .no calibration"):
        cold_start_demand(bare, like, ["Drama"], "region", screens=6, min_cell=1)


def test_merged_places_stay_merged_under_a_coarser_breakdown() -> None:
    # cities nest in regions: North = N1 (60) + N2 (40) + Tiny (3); South = S1 (50) + S2 (45)
    # + Small (4) + the rest. By city, Tiny and Small pool into "other" (7 users, and more
    # until 10); by region, North less its shown cities must not give Tiny's 3 users
    m = synthetic_model(n_users=400, n_films=20, seed=8)
    city = np.repeat(["N1", "N2", "Tiny", "S1", "S2", "Small", "S3"],
                     [60, 40, 3, 50, 45, 4, 198]).astype(str)
    region = np.where(np.isin(city, ["N1", "N2", "Tiny"]), "North", "South").astype(str)
    order = np.random.default_rng(1).permutation(400)
    m.user_table.attributes["city"], m.user_table.attributes["region"] = city[order], \
        region[order]
    film = str(m.films.ids[3])
    by_city = rows(demand_by_place(m, film, "city", min_cell=10))
    by_region = rows(demand_by_place(m, film, "region", min_cell=10))
    assert {"Tiny", "Small"}.isdisjoint(by_city) and "other" in by_city
    for name, cities in (("North", ["N1", "N2", "Tiny"]), ("South", ["S1", "S2", "Small", "S3"])):
        shown = [c for c in cities if c in by_city]
        # what the two answers leave for the region's pooled cities: none, or not few
        left = by_region[name]["users"] - sum(by_city[c]["users"] for c in shown)
        assert left == 0 or left >= 10, (name, left)
    # 7 pooled users are too few, so the smallest named city (S2, 45) joins first; North's
    # pooled part (Tiny, 3) is still small, so its smallest other city (N2, 40) joins too
    assert {"N2", "S2"}.isdisjoint(by_city) and by_city["other"]["users"] == 3 + 4 + 45 + 40


def test_a_pooled_place_its_shown_finer_places_add_up_to_does_not_unpool_the_rest() -> None:
    # North = N1 (60: cinemas A, B) + N2 (40: cinema C alone) + Tiny (3: cinema T alone).
    # By city, Tiny (3) pools with the smallest other city, N2; by cinema, T pools with A.
    # N2 is C's users exactly, so with C shown by cinema, the city breakdown's "other" (Tiny
    # + N2) less C (or North less N1 less C) was Tiny's 3 users and their viewers
    m = synthetic_model(n_users=400, n_films=20, seed=8)
    city = np.repeat(["N1", "N1", "N2", "Tiny", "S1", "S2"], [30, 30, 40, 3, 150, 147])
    cinema = np.repeat(["A", "B", "C", "T", "D", "E"], [30, 30, 40, 3, 150, 147])
    region = np.where(np.isin(city, ["N1", "N2", "Tiny"]), "North", "South")
    order = np.random.default_rng(2).permutation(400)
    for name, values in (("city", city), ("cinema", cinema), ("region", region)):
        m.user_table.attributes[name] = values.astype(str)[order]
    film = str(m.films.ids[3])
    by = {a: rows(demand_by_place(m, film, a, min_cell=10)) for a in ("region", "city", "cinema")}
    city_of = dict(zip(cinema.tolist(), city.tolist(), strict=True))
    pooled = {c for c in city.tolist() if c not in by["city"]}
    assert "Tiny" in pooled
    # the pooled cities' users less those of the shown cinemas that lie in them
    left = by["city"]["other"]["users"] - sum(
        r["users"] for c, r in by["cinema"].items() if city_of.get(c) in pooled)
    assert left == 0 or left >= 10, left
    north = by["region"]["North"]["users"] - sum(
        by["city"].get(c, {"users": 0})["users"] for c in ("N1", "N2", "Tiny")) - sum(
        by["cinema"][c]["users"] for c in ("A", "B", "C", "T")
        if c in by["cinema"] and city_of[c] in pooled)
    assert north == 0 or north >= 10, north
    # a slate hides the cinemas the breakdown by cinema pools: C now among them
    assert pooled_cinemas(m, np.array(["C", "T", "D"]), 10).tolist() == ["C" not in by["cinema"],
                                                                         True, False]


def test_a_pool_of_every_place_under_min_cell_is_not_shown_beside_users_without_one() -> None:
    # 3 users name a region and 297 none: pooled into 'other' they were a row of 3 users with
    # their viewers and demand, and the film's viewers less the 297's gave the same
    m = synthetic_model(n_users=300, n_films=10, seed=1)
    m.user_table.attributes["region"] = np.array(["North"] * 3 + [""] * 297)
    film = str(m.films.ids[0])
    body = demand_by_place(m, film, "region", min_cell=10)
    assert body["places"] == [] and body["users"] == 0 and body["viewers"] == 0
    assert body["merged_places"] == 1
    assert body["users_without_place"] == {"users": 297, "viewers": None,
                                           "expected_new": None, "expected_total": None}
    with pytest.raises(InvalidParameterError, match="only 3 users have a region"):
        demand_by_place(m, film, "region", screens=3, min_cell=10)
    # at min_cell the place is shown, and so are the others' figures
    shown = demand_by_place(m, film, "region", min_cell=3)
    assert [r["users"] for r in shown["places"]] == [3]
    assert shown["users_without_place"]["viewers"] is not None


@pytest.mark.parametrize("cold", [False, True])
@pytest.mark.parametrize("min_cell", [1, 10, 1000])
def test_screens_with_no_user_in_any_place_say_so(cold: bool, min_cell: int) -> None:
    """``check_placed`` refuses a breakdown by a place no user has before any figure, with or
    without screens, for a catalog film and a cold-start one, whatever the minimum cell: the
    breakdown's own "none of the N users has a ..." (``demand._no_place``) was never reached,
    and is gone."""
    m = synthetic_model(n_users=300, n_films=10, seed=1)
    m.user_table.attributes["region"] = np.full(300, "")
    film = str(m.films.ids[0])
    for screens in (None, 3):
        with pytest.raises(InvalidParameterError,
                           match="none of the 300 users of this model has a region") as e:
            if cold:
                cold_start_demand(m, [film], [], "region", screens=screens, min_cell=min_cell)
            else:
                demand_by_place(m, film, "region", screens=screens, min_cell=min_cell)
        assert "no place to break demand down by" in str(e.value)


def test_the_cli_says_why_the_users_without_a_place_show_no_figures(
        capsys: pytest.CaptureFixture[str]) -> None:
    from recommender.cli.distribution_text import print_demand as _print_demand

    m = synthetic_model(n_users=300, n_films=10, seed=1)
    m.user_table.attributes["region"] = np.array(["North"] * 3 + [""] * 297)
    _print_demand(demand_by_place(m, str(m.films.ids[0]), "region", min_cell=10), m)
    out = capsys.readouterr().out
    assert "297 users have no region" in out
    assert "the users with a region are fewer than 10: no figures are shown" in out


def test_a_real_place_called_other_is_not_counted_as_merged() -> None:
    """A place value "other" (18 users) is the pool's own row, never a small place: every
    place had 10 users or more and the answer said "(1 merged)"; the count is of the places
    actually pooled, those under the minimum cell (an oracle from the sizes alone)."""
    for sizes in ({"North": 100, "East": 82, "other": 18},
                  {"North": 100, "East": 76, "other": 18, "South": 4, "West": 2}):
        m = synthetic_model(n_users=200, n_films=30, seed=8)  # merges are kept per model
        values = np.repeat(list(sizes), list(sizes.values()))
        m.user_table.attributes["zip_zone"] = np.random.default_rng(2).permutation(
            values).astype(str)
        body = demand_by_place(m, str(m.films.ids[3]), "zip_zone", min_cell=10)
        small = {p for p, n in sizes.items() if n < 10}
        assert body["merged_places"] == len(small), (sizes, body["merged_places"])
        got = rows(body)
        assert set(got) == set(sizes) - small
        assert got["other"]["users"] == 18 + sum(sizes[p] for p in small)
