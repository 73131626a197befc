"""Cold start skips unknown comparable films and names them, as lookalikes skip unknown seeds;
it fails only when nothing known is left (no known film, no genre)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.errors import InvalidParameterError, UnknownFilmError, UnknownGenreError
from recommender.model.model import Model
from recommender.query.audience import (
    cold_start_audience,
    cold_start_page,
    known_comparables,
    lookalikes,
)


@pytest.fixture(scope="module")
def model() -> Model:
    return synthetic_model(n_users=300, n_films=40, seed=3)


def test_unknown_films_are_skipped_and_named_in_order(model: Model) -> None:
    ids = [str(i) for i in model.films.ids]
    asked = {"ghost-2": 5.0, ids[4]: 2.0, "ghost-1": 1.0, ids[9]: 1.0}
    page, unknown = cold_start_page(model, asked, k=model.n_users)
    assert unknown == ["ghost-2", "ghost-1"]
    same = cold_start_audience(model, {ids[4]: 2.0, ids[9]: 1.0}, k=model.n_users)
    assert page.to_json() == same.to_json()
    # the oracle: the weighted mean of the two known films' vectors, by hand
    ff = np.asarray(model.film_factors, np.float64)
    vec = (2.0 * ff[4] + 1.0 * ff[9]) / 3.0
    want = np.asarray(model.user_factors, np.float64)[page.user_idx] @ vec
    np.testing.assert_allclose(page.score, want, rtol=1e-4, atol=1e-5)
    assert (np.diff(page.score) <= 0).all() and page.total == model.n_users


def test_a_list_with_repeats_and_genres(model: Model) -> None:
    ids = [str(i) for i in model.films.ids]
    page, unknown = cold_start_page(model, ["nope", ids[1], "nope"], ["comedy"], k=20,
                                    segment="segment 1")
    assert unknown == ["nope"]  # each once, like lookalikes' unknown_seed_ids
    same = cold_start_audience(model, [ids[1]], ["comedy"], k=20, segment=1)
    assert page.to_json() == same.to_json()
    assert (np.asarray(model.segments.labels)[page.user_idx] == 1).all()


def test_only_unknown_films_falls_back_to_the_genres(model: Model) -> None:
    page, unknown = cold_start_page(model, ["x", "y"], ["Horror"], k=15)
    assert unknown == ["x", "y"]
    # and says so in the body (it was said on stderr alone, as "skipped ...")
    assert page.to_json() == {
        **cold_start_audience(model, genres=["Horror"], k=15).to_json(),
        "genres_only": "none of the 2 comparable films given are known to the model (skipped, "
                       "listed as unknown), so the new film is placed by its genre alone: Horror"}


def test_fails_only_when_nothing_known_is_left(model: Model) -> None:
    with pytest.raises(UnknownFilmError) as e:
        cold_start_page(model, ["x", "y"])
    assert e.value.ids == ["x", "y"]
    # an id that differs by leading zeros keeps its "did you mean"
    first = str(model.films.ids[0])
    with pytest.raises(UnknownFilmError, match="did you mean"):
        cold_start_page(model, ["0" + first])
    with pytest.raises(InvalidParameterError):
        cold_start_page(model)
    with pytest.raises(UnknownGenreError):  # an unknown genre is still an error
        cold_start_page(model, [first], ["Opera"])
    with pytest.raises(InvalidParameterError, match="positive"):  # weights checked first
        cold_start_page(model, {first: 1.0, "ghost": 0.0})
    with pytest.raises(InvalidParameterError, match="segment"):
        cold_start_page(model, [first], segment="no such segment")


def test_consistent_with_lookalikes(model: Model) -> None:
    """The same rule on both sides: unknown ids skipped and listed, all unknown -> error."""
    users = [str(u) for u in model.users.ids[:3]]
    _, unknown_users = lookalikes(model, users + ["ghost"], k=5)
    _, unknown_films = cold_start_page(model, [str(model.films.ids[0]), "ghost"], k=5)
    assert unknown_users == unknown_films == ["ghost"]
    assert known_comparables(model, ["ghost", str(model.films.ids[2])]) == (
        {str(model.films.ids[2]): 1.0}, ["ghost"])


def test_a_genre_asked_of_a_model_without_genres_says_the_catalog_has_none(model: Model
                                                                          ) -> None:
    """FilmTrust's catalog has no genres: "this model's genres are: none" read as if a genre
    named "none" were the one to give."""
    import dataclasses

    bare = dataclasses.replace(model, catalog=dataclasses.replace(
        model.catalog, genres=np.full(model.n_films, "", dtype=model.catalog.genres.dtype)))
    with pytest.raises(UnknownGenreError, match="catalog has no genres") as raised:
        cold_start_page(bare, (), ["Drama"])
    assert "are: none" not in str(raised.value)
    assert "--films FILE" in str(raised.value)  # and how a model gets genres
    with pytest.raises(UnknownGenreError, match="this model's genres are: "):
        cold_start_page(model, (), ["no such genre"])  # a catalog with genres names them


def test_an_unknown_id_given_many_times_is_named_once(model: Model) -> None:
    """100,000 copies of one unknown genre were named ten times "'Sci Fy', 'Sci Fy', ... and
    99990 more"; each id is named once, in first-seen order, and counted once."""
    from recommender.errors import UnknownUserError

    with pytest.raises(UnknownGenreError) as raised:
        cold_start_page(model, (), ["Sci Fy"] * 1000 + ["Nope"] + ["Sci Fy"] * 10)
    assert raised.value.ids == ["Sci Fy", "Nope"]
    assert str(raised.value).startswith(  # the hint once too, for the one near a genre
        "unknown genre 'Sci Fy', 'Nope' (did you mean 'Sci-Fi' for 'Sci Fy'?);"), str(raised.value)
    many = UnknownUserError([f"u{i % 12}" for i in range(1000)])
    assert many.ids == [f"u{i}" for i in range(12)] and str(many).endswith("and 2 more")
