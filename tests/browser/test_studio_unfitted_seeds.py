"""A lookalike's seeds and a new film's comparable films with nothing fitted (a zero taste
vector: every rating below ``--min-rating``) are left out of the mean taste beside fitted ones,
and the bodies say what the mean is of (``seeds_used``, ``unfitted_seed_ids``,
``comparable_films``, ``unfitted_film_ids``): the Studio showed none of it, and read the note
naming them as "These users are not ranked", of a ranked audience. Oracles: the planted ratings
(``LOW`` rated everything 1 of 5, ``BLANK`` was watched by ``LOW`` alone) and the bodies the
server answers the same requests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Served, _serve, trained_small_demo
from studio_http import api

LOW = "lowly-viewer"
BLANK = {"blank-1": "Quietest Reel", "blank-2": "Stillest Reel"}


@pytest.fixture(scope="module")
def served_unfitted(tmp_path_factory: pytest.TempPathFactory, small_demo: Path
                    ) -> Iterator[Served]:
    """The small demo with ``LOW`` (5 films rated 1, two of them ``BLANK``'s, which no one
    else watched), trained with ``--min-rating 3``: nothing is fitted for either."""
    def add_low(data: Path) -> None:
        films = [line.split(",", 1)[0] for line in
                 (data / "films.csv").read_text(encoding="utf-8").splitlines()[1:4]]
        with open(data / "interactions.csv", "a", encoding="utf-8") as f:
            f.writelines(f"{LOW},{film},1.0,1721512629\n" for film in [*films, *BLANK])
        with open(data / "films.csv", "a", encoding="utf-8") as f:
            f.writelines(f"{film},{title},2001,Drama\n" for film, title in BLANK.items())

    yield from _serve(*trained_small_demo(tmp_path_factory, small_demo, "unfitted",
                                          add_low, ("--min-rating", "3")))


def test_a_seed_with_nothing_fitted_is_named_beside_a_ranked_audience(
        served_unfitted: Served, watched: Any) -> None:
    page = watched.page
    film = api(served_unfitted, "/films?limit=1")["films"][0]["film_id"]
    fitted = api(served_unfitted, f"/films/{film}/audience?k=1")["users"][0]["user_id"]
    body = api(served_unfitted, "/audiences/lookalike",
               {"seed_user_ids": [fitted, LOW], "k": 100})
    assert body["seeds_used"] == 1 and body["unfitted_seed_ids"] == [LOW] and body["note"]
    assert body["tied"] is False  # the note names the seed left out of a ranked audience
    page.goto(f"{served_unfitted.base}/studio/#/build")
    page.fill("#seed-ids", f"{fitted}\n{LOW}")
    page.get_by_role("button", name="Find lookalikes").click()
    page.wait_for_selector("#lookalike-users")
    assert page.inner_text("#lookalike-seeds") == (
        "The audience is ranked by the mean taste of 1 of the 2 known seeds: 1 has nothing "
        "fitted (a zero taste vector: none of their ratings was learned from) and is left out "
        f"of it: '{LOW}'.")
    assert page.locator("#lookalike-unranked").count() == 0  # they are ranked
    watched.assert_clean()


def test_a_comparable_film_with_nothing_fitted_is_named(served_unfitted: Served, watched: Any
                                                        ) -> None:
    page = watched.page
    known = api(served_unfitted, "/films?limit=1")["films"][0]
    blank = next(iter(BLANK))
    body = api(served_unfitted, "/audiences/cold-start",
               {"comparable_film_ids": [blank, known["film_id"]], "k": 100})
    assert body["comparable_films"] == {known["film_id"]: 1.0}
    assert body["unfitted_film_ids"] == [blank]
    page.goto(f"{served_unfitted.base}/studio/#/build")
    for title in (BLANK[blank], known["title"]):
        page.fill("#comparable-search", title.lower())
        page.get_by_role("button", name=f"Add {title}").first.click()
        page.wait_for_selector(f"ul[aria-label='Comparable films'] li:has-text('{title}')")
    page.get_by_role("button", name="Rank the audience").click()
    page.wait_for_selector("#cold-users")
    assert page.inner_text("#cold-mean") == (
        f"The new film's taste is the mean of {known['title']} ({known['film_id']}). Left out "
        "of it, having nothing fitted (a zero taste vector: no rating of theirs was learned "
        f"from): {BLANK[blank]} ({blank}).")
    assert page.locator("#cold-unranked").count() == 0
    watched.assert_clean()


def test_a_seed_list_with_nothing_fitted_is_not_ranked(served_unfitted: Served, watched: Any
                                                       ) -> None:
    """Every seed blank: the body is ``tied`` and the Studio says the users are not ranked,
    in the server's words (it reads the flag, not the note's words)."""
    page = watched.page
    body = api(served_unfitted, "/audiences/lookalike", {"seed_user_ids": [LOW], "k": 100})
    assert body["tied"] is True and body["note"]
    page.goto(f"{served_unfitted.base}/studio/#/build")
    page.fill("#seed-ids", LOW)
    page.get_by_role("button", name="Find lookalikes").click()
    page.wait_for_selector("#lookalike-unranked")
    assert page.inner_text("#lookalike-unranked") == (
        f"These users are not ranked: {body['note']}.")
    watched.assert_clean()
