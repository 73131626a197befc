"""Rings by name (``tier=``), segments by label, and summaries over a chosen ring with small cells
suppressed.

Oracles: the brute-force ranking (helpers.brute_audience), the simple-loop tier of each rank
(helpers.tier_names), and attribute / segment counts recomputed with ``np.unique`` on the
pictured users.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import brute_audience, determined, percentile, synthetic_model, tier_names
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError
from recommender.model.config import DEFAULT_TIERS
from recommender.model.model import Model
from recommender.query.audience import (
    audience_summary,
    cold_start_audience,
    film_audience,
    lookalikes,
)
from recommender.query.filters import resolve_segment

NAMES = [name for name, _ in DEFAULT_TIERS]


@pytest.fixture(scope="module")
def model() -> Model:
    m = synthetic_model(n_users=1500, n_films=30, seed=3)
    labels = ["Heavy viewers (140 films/user)", "Drama & Comedy fans", "Horror fans",
              "Fans of Film 3"]
    for info, label in zip(m.segments.info, labels, strict=True):
        info["label"] = label
    return m


def ring_of(total: int, name: str) -> tuple[int, int]:
    """(first, last) rank of a ring, from the simple loop over every rank."""
    ranks = [r + 1 for r, t in enumerate(tier_names(total, DEFAULT_TIERS)) if t == name]
    return (ranks[0], ranks[-1]) if ranks else (0, -1)


@pytest.mark.parametrize("name", NAMES)
def test_a_ring_pages_within_itself(model: Model, name: str) -> None:
    f = 5
    fid = str(model.films.ids[f])
    order, scores = brute_audience(model, f)
    total = len(order)
    first, last = ring_of(total, name)
    size = last - first + 1
    page = film_audience(model, fid, k=10**5, tier=name.upper())  # any case
    assert page.ring == {"tier": name, "rank_range": [first, last], "size": size}
    assert page.total == size and page.offset == 0
    assert page.user_idx.tolist() == order[first - 1:last].tolist()
    assert page.rank.tolist() == list(range(first, last + 1))
    assert np.allclose(page.percentile, percentile(page.rank, total))
    assert np.array_equal(page.score, scores[first - 1:last])
    assert set(page.tier) == {name}
    # offset 0 is the ring's first user; pages walk the ring and stop at its end
    paged = film_audience(model, fid, k=4, offset=3, tier=name)
    assert paged.rank.tolist() == list(range(first + 3, min(first + 7, last + 1)))
    assert paged.to_json()["ring"] == page.ring and paged.to_json()["offset"] == 3
    past = film_audience(model, fid, k=5, offset=size, tier=name)
    assert len(past.user_idx) == 0 and past.total == size
    assert f"the ring has {size:,} users" in past.shown_text()
    assert paged.shown_text().startswith(f"showing {name} ring users 4-")


def test_a_ring_with_a_segment_and_a_filter(model: Model) -> None:
    f = 8
    fid = str(model.films.ids[f])
    order, _ = brute_audience(model, f)
    first, last = ring_of(len(order), "broad")
    ring = order[first - 1:last]
    rank = {int(u): r for r, u in enumerate(order.tolist(), start=1)}
    labels = np.asarray(model.segments.labels)
    region = np.asarray(model.user_table.attributes["region"])
    want = [u for u in ring.tolist() if labels[u] == 2 and region[u] == "North"]
    page = film_audience(model, fid, k=1000, tier="broad", segment="horror FANS",
                         filters={"region": ["north"]})
    assert page.user_idx.tolist() == want and page.total == len(want)
    assert page.rank.tolist() == [rank[u] for u in want]  # ranks stay global
    assert set(page.tier) == {"broad"} and page.ring is not None
    assert page.ring["size"] == last - first + 1
    second = film_audience(model, fid, k=2, offset=1, tier="broad", segment=2,
                           filters={"region": "North"})
    assert second.user_idx.tolist() == want[1:3]


def test_unknown_tier_lists_the_tiers(model: Model) -> None:
    with pytest.raises(InvalidParameterError, match="core, extended, broad"):
        film_audience(model, str(model.films.ids[0]), tier="outer")
    with pytest.raises(InvalidParameterError, match="unknown tier 'all'"):
        film_audience(model, str(model.films.ids[0]), tier="all")


def test_lookalikes_and_cold_start_take_a_ring(model: Model) -> None:
    seeds = [str(u) for u in model.users.ids[:5]]
    whole, _ = lookalikes(model, seeds, k=10**5)
    ring, _ = lookalikes(model, seeds, k=10**5, tier="extended")
    first, last = ring_of(whole.total, "extended")
    assert ring.user_idx.tolist() == whole.user_idx[first - 1:last].tolist()
    fid = str(model.films.ids[1])
    whole = cold_start_audience(model, [fid], k=10**5)
    ring = cold_start_audience(model, [fid], k=10**5, tier="core")
    first, last = ring_of(whole.total, "core")
    assert ring.user_idx.tolist() == whole.user_idx[first - 1:last].tolist()


def test_segments_by_number_or_label(model: Model) -> None:
    assert resolve_segment(model, None) is None
    assert resolve_segment(model, 2) == resolve_segment(model, "2") == 2
    assert resolve_segment(model, "drama & comedy fans") == 1  # any case
    assert resolve_segment(model, "heavy") == 0  # part of one label
    assert resolve_segment(model, "Fans of Film 3") == 3
    sizes = np.bincount(np.asarray(model.segments.labels))
    with pytest.raises(InvalidParameterError) as e:
        resolve_segment(model, "romance")
    message = str(e.value)
    assert "unknown segment 'romance'" in message
    for i, info in enumerate(model.segments.info):  # each segment, its label and its size
        assert f"{i}: {info['label']} ({sizes[i]:,} users)" in message
    with pytest.raises(InvalidParameterError, match="ambiguous: it matches segments 1, 2, 3"):
        resolve_segment(model, "fans")
    with pytest.raises(InvalidParameterError, match=r"segment must be in \[0, 3\], got 9"):
        resolve_segment(model, 9)


# ------------------------------------------------------------------ summaries


def cells(values: NDArray[Any], users: NDArray[np.int64]) -> dict[str, int]:
    """How many of ``users`` have each value (values nobody has are left out)."""
    uniq, counts = np.unique(values[users], return_counts=True)
    return dict(zip(uniq.tolist(), counts.tolist(), strict=True))


def shown_cells(counts: dict[str, int], min_cell: int, n_values: int,
                base: dict[str, int] | None = None) -> tuple[dict[str, int], int]:
    """The cells a summary may show, by the rule written out plainly: a group of fewer than
    min_cell users shows none of its ``n_values`` cells, and so does one whose complement
    (all users ``base`` less the group) is that small; otherwise cells of 1..min_cell-1
    users are hidden, and those whose complement (base count less count: what a row's
    base_share gives away) is 1..min_cell-1; if that hides exactly one, the smallest other
    non-empty one goes too."""
    base = base or {}
    outside = {v: b - counts.get(v, 0) for v, b in base.items()}
    if 0 < sum(counts.values()) < min_cell or 0 < sum(outside.values()) < min_cell:
        return {}, n_values
    hidden = {v for v, c in counts.items() if 0 < c < min_cell}
    hidden |= {v for v, c in outside.items() if 0 < c < min_cell}
    if len(hidden) == 1:
        rest = sorted((c, v) for v, c in counts.items() if v not in hidden and c > 0)
        rest = rest or sorted((0, v) for v, c in outside.items() if v not in hidden and c > 0)
        if rest:
            hidden.add(rest[0][1])
    return {v: c for v, c in counts.items() if v not in hidden}, len(hidden)


@pytest.mark.parametrize("tier, names", [(None, ["core", "extended"]), ("broad", ["broad"]),
                                         ("core+extended", ["core", "extended"]),
                                         ("extended,broad", ["extended", "broad"]),
                                         ("all", ["all"])])
@pytest.mark.parametrize("min_cell", [1, 10, 40])
def test_portrait_of_a_chosen_ring_with_small_cells_suppressed(
        model: Model, tier: str | None, names: list[str], min_cell: int) -> None:
    f = 11
    fid = str(model.films.ids[f])
    order, _ = brute_audience(model, f)
    total = len(order)
    if names == ["all"]:
        first, last = 1, total
    else:
        first, last = ring_of(total, names[0])[0], ring_of(total, names[-1])[1]
    pictured = order[first - 1:last]
    s = audience_summary(model, fid, tier=tier, min_cell=min_cell)
    scope = s["portrait_scope"]
    assert scope["tiers"] == names and scope["rank_range"] == [first, last]
    assert scope["users"] == len(pictured) and scope["default"] == (tier is None)
    assert str(len(pictured)) in scope["note"]
    assert s["min_cell"] == min_cell
    suppressed = 0
    for attribute, rows in s["portrait"].items():
        values = np.asarray(model.user_table.attributes[attribute])
        truth, base = cells(values, pictured), cells(values, np.arange(len(values)))
        want, hidden = shown_cells(truth, min_cell, len(np.unique(values)), base)
        # every cell the scope's own rule hides stays hidden; every shown cell is the true
        # count, not small, nor its users outside the scope (what else is hidden, so that
        # no other scope's cells work one out: tests/query/test_portrait_scopes.py)
        got = {r["value"]: r["count"] for r in rows}
        assert set(got) <= set(want) | {v for v in base if v not in truth}, attribute
        for v, n in got.items():
            assert n == truth.get(v, 0) and not 0 < n < min_cell
            assert not 0 < base[v] - n < min_cell
        suppressed += len(np.unique(values)) - len(rows)
        assert len(np.unique(values)) - len(rows) >= hidden
        if min_cell == 1:
            assert got == {**{v: 0 for v in base}, **want}
        for r in rows:  # every cell with its count, share and lift against all users
            assert r["share"] == pytest.approx(r["count"] / len(pictured), abs=1e-4)
    # the segment splits of the tiers and of the whole ranking (their sum) are hidden
    # together: every shown cell is the true count and not small, every small non-empty
    # cell is hidden, and no tier, no overall split and no segment across them holds
    # exactly one hidden cell (it would be the published total less the shown cells)
    labels = np.asarray(model.segments.labels)
    sizes = np.bincount(labels)
    lo = 1
    columns = []
    for row in s["tiers"]:
        if row["rank_range"]:
            users = order[row["rank_range"][0] - 1:row["rank_range"][1]]
            lo = max(lo, row["rank_range"][1])
        else:
            users = order[:0]
        columns.append((cells(labels, users), row["segments"]))
        assert all(r["size"] == sizes[r["segment"]] for r in row["segments"])
    columns.append((cells(labels, order[:lo]), s["segments"]))
    table = np.zeros((model.segments.n, len(columns)), np.int64)
    hide = np.zeros(table.shape, bool)
    for j, (truth, rows) in enumerate(columns):
        shown = {int(r["segment"]): r["count"] for r in rows}
        for seg in range(model.segments.n):
            n = int(truth.get(seg, truth.get(str(seg), 0)))
            table[seg, j] = n
            hide[seg, j] = seg not in shown
            if seg in shown:
                assert shown[seg] == n and (n == 0 or n >= min_cell)
    suppressed += int(hide.sum())
    # no hidden cell is pinned down by the published numbers (independent LP oracle), but
    # one whose whole row and column are hidden (it is then a published total itself)
    for r, c in determined(table, hide, True):
        assert hide[r].all() and hide[:, c].all(), (r, c)
    assert s["suppressed_cells"] == suppressed
    if min_cell == 1:
        assert suppressed == 0


@pytest.mark.parametrize("given", ["core,extended", "Core+Extended", "core extended"])
def test_several_rings_say_how_a_list_takes_adjacent_ones(model: Model, given: str) -> None:
    """A list shows one ring: ``core,extended`` (as a summary takes it) was refused "unknown
    tier ... (did you mean 'extended'?)". The refusal says what the list offers instead, and
    that holds: the ranking with no tier, k at the extended ring's last rank, is exactly the
    core ring then the extended ring (oracle: the brute-force ranking's rings)."""
    f = 5
    fid = str(model.films.ids[f])
    with pytest.raises(InvalidParameterError) as refused:
        film_audience(model, fid, tier=given)
    text = str(refused.value)
    assert "did you mean" not in text and "unknown tier" not in text
    assert text == (
        f"tier {given!r} names several rings; a list shows one ring at a time (a summary's "
        "portrait takes adjacent rings); for core and extended together, leave the tier out: "
        "the ranking runs from rank 1 through the rings in order, each row's tier naming its "
        "ring, to the extended ring's last rank (its rank_range, shown with the tier extended "
        "alone); without a segment or filter, k equal to that rank lists exactly core and "
        "extended; the tiers are: core, extended, broad")
    order, _ = brute_audience(model, f)
    first, _ = ring_of(len(order), "core")
    _, last = ring_of(len(order), "extended")
    assert film_audience(model, fid, tier="extended").ring["rank_range"][1] == last
    both = film_audience(model, fid, k=last)
    assert first == 1 and both.user_idx.tolist() == order[:last].tolist()
    assert set(tier_names(len(order), DEFAULT_TIERS)[:last]) == {"core", "extended"}
    with pytest.raises(InvalidParameterError, match="list each with its own tier"):
        film_audience(model, fid, tier="core,broad")
    with pytest.raises(InvalidParameterError, match=r"from the extended ring's first rank to "
                                                    r"the broad ring's last"):
        lookalikes(model, [str(model.users.ids[0])], tier="extended,broad")


def test_summary_refuses_a_bad_scope(model: Model) -> None:
    fid = str(model.films.ids[0])
    with pytest.raises(InvalidParameterError, match="core, extended, broad"):
        audience_summary(model, fid, tier="inner")
    # what else a summary takes is said too (it listed the ring names alone)
    for bad in ("inner", "core,inner"):
        with pytest.raises(InvalidParameterError, match=r"unknown tier 'inner'; the tiers are: "
                           r"core, extended, broad; a summary also takes adjacent tiers "
                           r"joined by ',' \(core,extended\) or 'all' \(the whole ranking\)"):
            audience_summary(model, fid, tier=bad)
    with pytest.raises(InvalidParameterError, match="adjacent"):
        audience_summary(model, fid, tier="core,broad")
    for slip in ("core,", ",core", "core,,extended", " + core"):  # not read as "core"
        with pytest.raises(InvalidParameterError, match="empty name"):
            audience_summary(model, fid, tier=slip)
    joined = audience_summary(model, fid, tier=" Core + extended ")["portrait_scope"]
    assert joined["tiers"] == ["core", "extended"]
    with pytest.raises(InvalidParameterError, match="min_cell"):
        audience_summary(model, fid, min_cell=0)


def test_a_small_group_sharing_one_value_shows_no_cell() -> None:
    """All the core users of a film are women and there are fewer than min_cell of them: the
    portrait once hid the one non-empty cell and showed the others' zeros, so the published
    group size gave the hidden count (all 9 core users of ML-100K film 29 were men)."""
    m = synthetic_model(n_users=400, n_films=12, seed=4)
    f = 3
    order, _ = brute_audience(m, f)
    core = order[:ring_of(len(order), "core")[1]]
    assert 0 < len(core) < 10
    gender = np.array(["M", "X"] * (m.n_users // 2), dtype=object)
    gender[core] = "F"
    m.user_table.attributes["gender"] = gender.astype(str)
    s = audience_summary(m, str(m.films.ids[f]), tier="core", min_cell=10)
    assert s["portrait_scope"]["users"] == len(core)
    assert s["portrait"]["gender"] == [] and s["suppressed_cells"] >= 3
    # a group of min_cell or more shows its cells as before
    s = audience_summary(m, str(m.films.ids[f]), tier="all", min_cell=10)
    # F (fewer than 10 outside the core) is hidden with its partner, the smaller of M and X
    assert len(s["portrait"]["gender"]) == 1


def test_a_portrait_does_not_give_away_a_small_cell_outside_its_group() -> None:
    """Each portrait row publishes its count and its base_share (its share of all users, so
    its base count): their difference is the users with that value outside the pictured
    group. With the whole ranking pictured that is the film's viewers: ML-100K's Kolya
    (film 242) showed salesman with base_share 0.0127 (12 of 943 users) and count 11 of its
    non-viewers, so 1 salesman had watched it. No row may leave 1..min_cell-1 users outside."""
    m = synthetic_model(n_users=400, n_films=12, seed=4)
    n = m.n_users
    for f in range(m.n_films):
        fid = str(m.films.ids[f])
        for tier in ("all", None, "broad"):
            s = audience_summary(m, fid, tier=tier, min_cell=10)
            for attribute, rows in s["portrait"].items():
                values = np.asarray(m.user_table.attributes[attribute]).astype(str)
                for r in rows:
                    base = round(r["base_share"] * n)
                    assert base == int((values == r["value"]).sum())
                    assert not 0 < base - r["count"] < 10, (fid, tier, attribute, r)


def test_a_segment_row_does_not_give_away_a_small_cell_outside_its_ring() -> None:
    """Each segment row of a summary publishes its count and its segment's size: their
    difference is the segment's users outside the ring (for the all-rings split, the film's
    viewers in the segment with the users past the rings). ML-100K's film 377 showed a
    segment of 13 with 12 in the ring: 1 user. No shown row may leave 1..min_cell-1 out.
    Planted: segment 0 holds 3 viewers of film 0 and its 60 best-ranked candidates, no other
    user, under one ring of 30% (the row read 60 of 63: the 3 viewers)."""
    from recommender.model.model import Segments

    m = synthetic_model(n_users=400, n_films=12, seed=4)
    viewers = np.asarray(m.seen_by_film[0].indices, np.int64)
    ranked, _ = brute_audience(m, 0)
    labels = np.asarray(m.segments.labels, np.int16).copy()
    labels[labels == 0] = 1
    labels[np.r_[viewers[:3], ranked[:60]]] = 0
    m.segments = Segments(labels, [{**i, "size": int((labels == i["segment"]).sum())}
                                   for i in m.segments.info])
    sizes = np.bincount(np.asarray(m.segments.labels, np.int64))
    checked = 0
    for tiers in ((("core", 30.0),), DEFAULT_TIERS):
        for f in range(m.n_films):
            s = audience_summary(m, str(m.films.ids[f]), min_cell=10, tiers=tiers)
            for rows in [s["segments"], *(t.get("segments", []) for t in s["tiers"])]:
                for r in rows:
                    assert r["size"] == sizes[r["segment"]]
                    assert not 0 < r["size"] - r["count"] < 10, (f, tiers, r)
                    checked += 1
    assert checked > 20


def test_a_segment_row_with_the_films_viewer_segments_leaves_no_small_group() -> None:
    """The film's detail (``film_details``: GET /films/{id}, ``recommender film``) shows its
    viewers by segment; beside it a summary row's size less its count less those viewers is
    the segment's candidates outside the ring. On the demo model the heavy viewers' all-rings
    row left 1 such user for several films (film 0555612: 240 less 203 viewers less 36).
    Planted: segment 0 holds 20 viewers of film 0, its 60 best-ranked candidates and 3
    candidates past the ring (the row read 60 of 83, and the detail 20 viewers: 3 users)."""
    from recommender.model.model import Segments
    from recommender.query.catalog import film_details

    m = synthetic_model(n_users=400, n_films=12, seed=4)
    viewers = np.asarray(m.seen_by_film[0].indices, np.int64)
    ranked, _ = brute_audience(m, 0)
    assert len(viewers) >= 20
    labels = np.asarray(m.segments.labels, np.int16).copy()
    labels[labels == 0] = 1
    labels[np.r_[viewers[:20], ranked[:60], ranked[-3:]]] = 0
    m.segments = Segments(labels, [{**i, "size": int((labels == i["segment"]).sum())}
                                   for i in m.segments.info])
    sizes = np.bincount(np.asarray(m.segments.labels, np.int64))
    checked = 0
    for tiers in ((("core", 30.0),), DEFAULT_TIERS):
        for f in range(m.n_films):
            fid = str(m.films.ids[f])
            shown = {r["segment"]: r["count"] for r in film_details(
                m, fid, min_cell=10)["viewer_segments"]}
            s = audience_summary(m, fid, min_cell=10, tiers=tiers)
            for rows in [s["segments"], *(t.get("segments", []) for t in s["tiers"])]:
                for r in rows:
                    if r["segment"] in shown:
                        rest = sizes[r["segment"]] - shown[r["segment"]] - r["count"]
                        assert not 0 < rest < 10, (f, tiers, r, rest)
                        checked += 1
    assert shown and checked > 20
