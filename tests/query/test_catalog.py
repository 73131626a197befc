"""``recommender.query.catalog``: film entries, search, a film's viewer statistics, segments
and model metadata, against oracles computed by hand from the model's arrays."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from helpers import dense_seen, synthetic_model

from recommender.errors import InvalidParameterError, UnknownFilmError, UnknownGenreError
from recommender.model.model import Model, Segments
from recommender.query.attribute_values import user_attributes
from recommender.query.catalog import (
    film_details,
    film_fields,
    film_row,
    model_info,
    search_films,
    segment_labels,
    segment_split,
    segments_table,
    viewer_segments,
)
from recommender.query.hints import known_film, title_hint, with_title_hint
from recommender.query.titles import TitleIndex, title_index


@pytest.fixture(scope="module")
def model() -> Model:
    m = synthetic_model(n_users=300, n_films=40, seed=5)
    years = np.where(np.arange(m.n_films) % 5 == 0, 0, m.catalog.years).astype(np.int32)
    genres = np.where(np.arange(m.n_films) % 7 == 0, "", m.catalog.genres)
    return dataclasses.replace(m, catalog=dataclasses.replace(m.catalog, years=years,
                                                              genres=genres))


def test_film_fields_and_rows(model: Model) -> None:
    counts = dense_seen(model).sum(axis=0)
    films = np.array([0, 3, 7, 14, 39])
    fields = film_fields(model, films)
    for f, (film_id, title, year, genres) in zip(films.tolist(), fields, strict=True):
        assert film_id == str(model.films.ids[f]) and title == f"Film {f}"
        assert year == (None if f % 5 == 0 else int(model.catalog.years[f]))
        assert genres == ([] if f % 7 == 0 else str(model.catalog.genres[f]).split("|"))
        row = film_row(model, f)
        assert list(row) == ["film_id", "title", "year", "genres", "viewers"]
        assert row == {"film_id": film_id, "title": title, "year": year, "genres": genres,
                       "viewers": int(counts[f])}


def test_search_ranks_by_match_then_viewers(model: Model) -> None:
    """``search_films`` pages the title index's ranking (its scores are checked against a
    plain-Python oracle in test_titles.py): score, then viewers, then film order; an exact
    film id ranks first; the genre filter and an empty query (every film) keep that order."""
    counts = dense_seen(model).sum(axis=0)
    titles = [str(t) for t in model.catalog.titles]

    def oracle(q: str, genre: str | None = None) -> list[str]:
        scores = (TitleIndex(titles, model.catalog.years).scores(q) if q.strip()
                  else np.ones(model.n_films))
        hits = [f for f in range(model.n_films) if scores[f] > 0
                and (genre is None or genre in str(model.catalog.genres[f]).split("|"))]
        hits.sort(key=lambda f: (-scores[f], -counts[f], f))
        return [str(model.films.ids[f]) for f in hits]

    for q, genre in (("", None), ("film 1", None), ("FILM 3", None), ("", "Drama"),
                     ("1", "Comedy"), ("nothing like it", None), ("flim 12", None)):
        total, rows = search_films(model, q, limit=1000, genre=genre)
        want = oracle(q, genre)
        assert total == len(want) and [r["film_id"] for r in rows] == want
        total, page = search_films(model, q, limit=3, offset=2, genre=genre.upper()
                                   if genre else None)
        assert total == len(want) and [r["film_id"] for r in page] == want[2:5]
    # quality before popularity: "film 1" itself, then the titles it begins
    first = [r["title"] for r in search_films(model, "film 1", limit=11)[1]]
    assert first[0] == "Film 1" and sorted(first[1:]) == [f"Film {i}" for i in range(10, 20)]
    assert search_films(model, "nothing like it") == (0, [])
    exact = str(model.films.ids[12])
    assert search_films(model, exact)[1][0]["film_id"] == exact
    assert search_films(model, f" {exact}\t")[1][0]["film_id"] == exact  # pasted with spaces
    with pytest.raises(InvalidParameterError, match="limit must be >= 1"):
        search_films(model, limit=0)
    with pytest.raises(InvalidParameterError, match="offset must be >= 0"):
        search_films(model, offset=-1)
    with pytest.raises(UnknownGenreError, match="Opera"):
        search_films(model, genre="Opera")


def test_search_index_is_built_once_per_model(model: Model) -> None:
    index = title_index(model)
    assert title_index(model) is index
    other = dataclasses.replace(model)
    assert title_index(other) is not index


def test_unknown_film_hints(model: Model) -> None:
    """An unknown film id that matches titles lists the best 5 (id, title, year), then how
    many more the search finds (it stopped at 5 without a word); one that differs from a
    known id only by leading zeros says which (``model.films.ids`` are zero-padded:
    "0001000")."""
    with pytest.raises(UnknownFilmError) as e:
        known_film(model, "film 2")
    message = str(e.value)
    # 'Film 2' is one film's title: said first (tests/service/test_title_for_an_id.py)
    assert message.startswith("unknown film_id 'film 2'; it is the title of ")
    assert "; it also matches titles: " in message
    # the other matches: the search's, less the film named first (not listed twice)
    total, want = search_films(model, "film 2", limit=6)
    titled = str(model.films.ids[[str(t) for t in model.catalog.titles].index("Film 2")])
    want = [r for r in want if r["film_id"] != titled][:5]
    assert total > 6 and len(want) == 5
    listed, more = message.split("it also matches titles: ")[1].split(" and ")
    assert more == f"{total - 6:,} more (search for it to see them)"
    assert listed.split(", ") == [
        f"{r['film_id']} {r['title']}" + (f" ({r['year']})" if r["year"] else "") for r in want]
    assert known_film(model, str(model.films.ids[3])) == 3
    with pytest.raises(UnknownFilmError) as e:
        known_film(model, "xyzzy")
    assert str(e.value) == "unknown film_id 'xyzzy'"
    with pytest.raises(UnknownFilmError, match=r"did you mean '0001000'\?$"):
        known_film(model, "1000")
    with pytest.raises(UnknownFilmError, match=r"did you mean '0001037'\?$"):
        model.film_index("00001037")


def test_several_unknown_films_each_list_the_titles_they_match(model: Model) -> None:
    """Comparable films typed as titles (``cold-start --like amelie "city of lost
    children"``): the error names each with the titles it matches, as it does one alone (it
    named them bare); an id that matches no title, or differs from one only by leading zeros,
    gets no list of its own."""
    error = model.films.unknown(UnknownFilmError, ["film 2", "xyzzy", "1000", "film 3"])
    message = str(with_title_hint(model, error))
    assert message.startswith("unknown film_id 'film 2', 'xyzzy', '1000', 'film 3'; ")
    parts = message.split("; ")
    for typed in ("film 2", "film 3"):
        own = [p for p in parts if p.startswith(f"'{typed}' also matches titles: ")]
        titled = [str(i) for i, t in zip(model.films.ids, model.catalog.titles, strict=True)
                  if str(t).lower() == typed]
        want = title_hint(model, typed, titled).removeprefix("; it also matches titles: ")
        assert len(own) == 1 and own[0].endswith(want), message
    assert not any(p.startswith(("'xyzzy' ", "'1000' ")) for p in parts)
    assert "; did you mean '0001000'?" in message
    none = model.films.unknown(UnknownFilmError, ["xyzzy", "qqqqq"])
    assert with_title_hint(model, none) is none


def test_film_details_counts_viewers_and_their_segments(model: Model) -> None:
    seen = dense_seen(model)
    counts = seen.sum(axis=0)
    labels = np.asarray(model.segments.labels)
    f = 6
    body = film_details(model, str(model.films.ids[f]), min_cell=1)
    viewers = np.flatnonzero(seen[:, f])
    assert body["viewers"] == len(viewers)
    assert body["viewer_share"] == round(len(viewers) / model.n_users, 6)
    assert body["popularity_rank"] == int((counts > counts[f]).sum()) + 1
    assert body["catalog_films"] == seen.shape[1]
    assert body["candidates"] == model.n_users - len(viewers)
    split = {r["segment"]: r for r in body["viewer_segments"]}
    for s in range(model.segments.n):
        assert split[s]["count"] == int((labels[viewers] == s).sum())
        assert split[s]["label"] == f"Segment {s}"
    with pytest.raises(UnknownFilmError, match="nope"):
        film_details(model, "nope")
    # segments of fewer viewers than min_cell are left out, with the next smallest when one
    # would be alone (the viewer count is published): shown cells are the true counts
    truth = {s: int((labels[viewers] == s).sum()) for s in range(model.segments.n)}
    bar = sorted(n for n in truth.values() if n)[1] + 1  # two non-empty cells under it
    shown = {r["segment"]: r["count"]
             for r in film_details(model, str(model.films.ids[f]), min_cell=bar)[
                 "viewer_segments"] if r["count"]}
    assert shown and all(truth[s] == n >= bar for s, n in shown.items())
    hidden = [s for s, n in truth.items() if n and s not in shown]
    assert len(hidden) >= 2 and all(truth[s] < bar for s in hidden[:2])


def test_film_details_hide_a_segment_with_few_users_who_did_not_watch(model: Model) -> None:
    """A shown viewer segment gives its size too (base_share, GET /segments), so its size
    less its count is how many of its users did not watch: 1..min_cell-1 of them is a cell
    too small to show (the summary's and the portrait's rule). A segment of all but 3 of its
    users watching was shown."""
    seen = dense_seen(model)
    f = 8
    viewers = np.flatnonzero(seen[:, f])
    others = np.flatnonzero(~seen[:, f].astype(bool))
    labels = np.asarray(model.segments.labels).copy()
    labels[labels == 0] = 1  # segment 0: the film's viewers and 3 users who did not watch
    labels[viewers] = 0
    labels[others[:3]] = 0
    m = dataclasses.replace(model, segments=Segments(labels, [dict(s) for s in
                                                              model.segments.info]))
    assert len(viewers) >= 10 and np.count_nonzero(labels == 0) == len(viewers) + 3
    shown = {r["segment"]: r["count"] for r in film_details(
        m, str(m.films.ids[f]), min_cell=10)["viewer_segments"]}
    assert 0 not in shown and shown and not any(shown.values())
    # 3 users outside is no cell under a minimum of 3: the segment is shown
    shown = {r["segment"]: r["count"] for r in film_details(
        m, str(m.films.ids[f]), min_cell=3)["viewer_segments"]}
    assert shown[0] == len(viewers)


def test_segment_labels_split_and_table(model: Model) -> None:
    info = [dict(s) for s in model.segments.info]
    info[2]["label"] = "Night owls"
    del info[1]["label"]  # a segments.json without a label: "Segment i"
    m = dataclasses.replace(model, segments=Segments(model.segments.labels, info))
    assert segment_labels(m) == ["Segment 0", "Segment 1", "Night owls", "Segment 3"]
    labels = np.asarray(m.segments.labels)
    users = np.flatnonzero(labels != 3)
    rows = segment_split(m, users)
    assert sorted(r["segment"] for r in rows) == [0, 1, 2, 3]
    assert [r["lift"] for r in rows] == sorted((r["lift"] for r in rows), reverse=True)
    for r in rows:
        assert list(r) == ["count", "share", "base_share", "lift", "segment", "label"]
        assert r["count"] == int((labels[users] == r["segment"]).sum())
        assert r["label"] == segment_labels(m)[r["segment"]]
    table = segments_table(m)
    assert [t["label"] for t in table] == segment_labels(m)
    assert [t["size"] for t in table] == np.bincount(labels).tolist()
    assert all(list(t) == ["segment", "label", "size", "share", "films_per_user", "activity",
                           "top_genres", "representative_films"] for t in table)


def test_model_info(model: Model) -> None:
    info = model_info(model)
    assert info["model_version"] == "test-0" and info["model"] == "als"
    assert (info["users"], info["films"], info["factors"]) == (300, 40, 8)
    assert info["interactions"] == int(dense_seen(model).sum())
    assert info["user_attributes"] == ["age_band", "gender", "region"]
    assert info["params"] == {"alpha": 2.0, "regularization": 0.05}
    assert info["has_calibration"] is True and info["data_fingerprint"] is None


def test_genre_names_forgive_case_spaces_hyphens_and_punctuation(model: Model) -> None:
    """"sci fi", "scifi" and "Sci Fi" were refused for the catalog's ``Sci-Fi`` (only case and
    blanks around were forgiven): a name is read ignoring case, spaces, hyphens and
    punctuation where that names exactly one genre; where it names several, the error lists
    them, and each is still reached as it is written."""
    from recommender.query.audience import cold_start_vector

    want = search_films(model, limit=1000, genre="Sci-Fi")
    assert want[0] > 0
    for name in ("sci fi", "scifi", "Sci Fi", " SCI-FI ", "sci.fi!", "Sci_Fi"):
        assert search_films(model, limit=1000, genre=name) == want, name
        np.testing.assert_array_equal(cold_start_vector(model, genres=[name]),
                                      cold_start_vector(model, genres=["Sci-Fi"]))
    # one genre however often and however it is spelt: counted once
    np.testing.assert_array_equal(cold_start_vector(model, genres=["scifi", "Sci-Fi", "Drama"]),
                                  cold_start_vector(model, genres=["Sci-Fi", "drama"]))
    from recommender.query.catalog import resolve_genres

    for name in ("sci fy", "sci", "", "-"):
        with pytest.raises(UnknownGenreError, match="this model's genres are"):
            resolve_genres(model, [name])
    # a catalog with both Sci-Fi and SciFi: "sci fi" names both
    genres = np.where(np.arange(model.n_films) % 3 == 0, "SciFi|Drama", model.catalog.genres)
    both = dataclasses.replace(model, catalog=dataclasses.replace(model.catalog, genres=genres))
    with pytest.raises(InvalidParameterError, match="'sci fi' matches 2 of this model's "
                                                    r"genres .*: Sci-Fi, SciFi; give one"):
        resolve_genres(both, ["Drama", "sci fi"])
    assert resolve_genres(both, ["scifi", "SCI-FI", " drama "]) == ["SciFi", "Sci-Fi", "Drama"]


class _PerUser(np.ndarray):
    """A user column that refuses to be listed or looped over in Python."""

    def tolist(self) -> Any:  # type: ignore[override]
        raise AssertionError("a list of every user")

    def __iter__(self) -> Any:
        raise AssertionError("a Python loop per user")


def test_user_attributes_list_each_value_once_without_a_loop_per_user() -> None:
    """``GET /users/attributes`` made a set of a list of every user, per attribute and for the
    towns (1.7 s of each request at 1M users and 5 attributes; the Studio asks on each film
    page): each value once, blanks left out, a city's towns beside it."""
    model = synthetic_model(n_users=8, n_films=5, seed=4)
    city = np.array(["S", "S", "A", "", "S", "A", "B", "S"])
    region = np.array(["N", "M", "N", "N", "", "N", "", "N"])
    model.user_table.attributes = {"city": city.view(_PerUser), "region": region.view(_PerUser)}
    assert user_attributes(model, min_cell=1) == {
        "attributes": {"city": ["A", "B", "S", "S (M)", "S (N)"], "region": ["M", "N"]},
        "hidden_values": {"city": {"values": 0, "users": 0},
                          "region": {"values": 0, "users": 0}},
        "without_value": {"city": 1, "region": 2}, "min_cell": 1}


def test_user_attributes_are_worked_out_once_per_user_table(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``GET /users/attributes`` sorted every attribute's users on each request (0.6 s of CPU
    at 1M users and 6 attributes; the Studio asks on each film page): kept per user table, so
    a second answer, and one of a model derived from events of known users (which shares the
    table), sorts nothing; users new from events (a new table) are counted. Oracle: np.unique
    and the blanks of the columns as written here."""
    from recommender.query import attribute_values
    from recommender.serving.overlay import Overlay

    model = synthetic_model(n_users=120, n_films=8, seed=4)
    rng = np.random.default_rng(1)
    columns = {"gender": np.array(["", "F", "M"])[rng.integers(0, 3, 120)],
               "region": np.array(["", "North", "South", "West"])[rng.integers(0, 4, 120)]}
    model.user_table.attributes = dict(columns)
    sorts: list[int] = []
    real = attribute_values.attribute_codes
    monkeypatch.setattr(attribute_values, "attribute_codes",
                        lambda m, n: sorts.append(1) or real(m, n))

    def oracle(new: int) -> dict[str, Any]:
        return {"attributes": {n: [v for v in np.unique(c).tolist() if v]
                               for n, c in sorted(columns.items())},
                "hidden_values": {n: {"values": 0, "users": 0} for n in sorted(columns)},
                "without_value": {n: int((c == "").sum()) + new
                                  for n, c in sorted(columns.items())}, "min_cell": 1}

    assert user_attributes(model, min_cell=1) == oracle(0)
    once = len(sorts)
    assert once == len(columns)
    assert user_attributes(model, min_cell=1) == oracle(0)
    assert len(sorts) == once  # kept
    film = str(model.films.ids[0])
    known = Overlay(model)
    known.apply(model.users.ids[:3].copy(), np.full(3, film), np.ones(3), 1)
    assert user_attributes(known.model(), min_cell=1) == oracle(0)
    assert len(sorts) == once  # the derived model shares the table
    grown = Overlay(model)
    grown.apply(np.array(["new0", "new1"]), np.full(2, film), np.ones(2), 1)
    assert user_attributes(grown.model(), min_cell=1) == oracle(2)
    assert len(sorts) == 2 * once


@pytest.mark.parametrize("few", [1, 4])
def test_film_details_of_fewer_viewers_than_min_cell_show_no_segment(model: Model,
                                                                     few: int) -> None:
    """A film of fewer viewers than the minimum cell (or fewer users who did not watch) shows
    no segment at all: with the viewer count published, the other segments' zeros placed
    MovieLens 100K's film 1678 (1 viewer) in one of the two hidden rows."""
    labels = np.asarray(model.segments.labels)
    watchers = np.flatnonzero(labels == labels[0])[:few]  # one segment's users
    assert len(watchers) == few and model.segments.n >= 3
    assert viewer_segments(model, watchers, min_cell=few + 1) == []
    # as many as the minimum cell: the rows are shown, the viewers' segment at its count
    shown = {r["segment"]: r["count"] for r in viewer_segments(model, watchers, min_cell=few)}
    assert shown[int(labels[0])] == few and len(shown) == model.segments.n
    # all but few users watched: their segment's complement is as small
    everyone_else = np.setdiff1d(np.arange(model.n_users), watchers)
    assert viewer_segments(model, everyone_else, min_cell=few + 1) == []
    assert viewer_segments(model, everyone_else, min_cell=few) != []
    # through film_details: a film whose viewers are fewer than min_cell
    seen = dense_seen(model)
    f = int(np.argmin(seen.sum(axis=0)))
    n = int(seen[:, f].sum())
    assert film_details(model, str(model.films.ids[f]), min_cell=n + 1)["viewer_segments"] == []
    assert film_details(model, str(model.films.ids[f]), min_cell=1)["viewer_segments"] != []
