"""Users without a region: the film page's attribute filter offers ``region=(no value)`` (GET
/users/attributes counts them, ``without_value``), and a bookmark of it is applied, not said
to be ignored (the menu offered only values, so such a bookmark was dropped with a notice,
though the server takes the filter). Oracle: the server's own audience total for that filter,
and pandas over the users.csv the model was trained with for who has no region."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import quote

import pandas as pd
import pytest
from conftest import Served, _serve, trained_small_demo
from studio_http import api

NO_REGION = "region=(no value)"


@pytest.fixture(scope="module")
def served_gaps(tmp_path_factory: pytest.TempPathFactory, small_demo: Path) -> Iterator[Served]:
    def leave_gaps(data: Path) -> None:
        users = pd.read_csv(data / "users.csv", dtype=str, keep_default_na=False)
        users.loc[users.index % 7 == 3, "region"] = ""  # an empty cell
        # an occupation without a value beside one spelt so: the server takes neither as a
        # filter
        users.loc[users.index % 13 == 1, "occupation"] = ""
        users.loc[users.index % 13 == 2, "occupation"] = "(No Value)"
        users = users[users.index % 11 != 5]  # no row at all
        users.to_csv(data / "users.csv", index=False)

    yield from _serve(*trained_small_demo(tmp_path_factory, small_demo, "no-region", leave_gaps))


def _without_region(served: Served) -> int:
    """How many of the served model's users have no region, by pandas over users.csv and the
    model's user ids (``users.npy``-free: the audience of every user, listed by the API)."""
    users = pd.read_csv(served.data / "users.csv", dtype=str)
    having = set(users.loc[users["region"].notna(), "user_id"])
    n = api(served, "/health")["model"]["users"]
    film = quote(api(served, "/films?limit=1")["films"][0]["film_id"], safe="")
    listed = api(served, f"/films/{film}/audience?k={n}&exclude_seen=false")["users"]
    assert len(listed) == n
    return sum(u["user_id"] not in having for u in listed)


def _bookmarked(page: Any) -> str:
    """The filter the page's address holds (its hash's query)."""
    return str(page.evaluate("new URLSearchParams(location.hash.split('?')[1] || '')"
                             ".get('filter') || ''"))


def test_no_value_is_offered_and_its_bookmark_applied(served_gaps: Served, watched: Any
                                                      ) -> None:
    served = served_gaps
    without = _without_region(served)
    attributes = api(served, "/users/attributes")
    assert attributes["without_value"]["region"] == without > 0
    film = quote(api(served, "/films?limit=1")["films"][0]["film_id"], safe="")
    total = api(served, f"/films/{film}/audience?k=1&filter={quote(NO_REGION)}")["total"]
    assert 0 < total <= without  # the users without a region that have not seen the film
    page = watched.page
    # a bookmark holding it: applied, and nothing said to be ignored
    page.goto(f"{served.base}/studio/#/film/{film}?filter={quote(NO_REGION)}")
    page.wait_for_selector("#audience-status")
    assert page.input_value("#filter") == NO_REGION
    page.wait_for_function(f"document.querySelector('#audience-status')?.textContent"
                           f"?.endsWith('of {total:,}')")
    assert page.inner_text("#page-notice") == ""
    assert _bookmarked(page) == NO_REGION  # the address keeps it
    # the menu offers it (with its count), and choosing it lists the same users
    option = page.locator(f"#filter option[value='{NO_REGION}']")
    assert option.inner_text() == f"{NO_REGION} ({without:,} users)"
    assert all(f"{a}=(no value)" not in page.eval_on_selector_all(
        "#filter option", "os => os.map((o) => o.value)")
        for a, n in attributes["without_value"].items() if n == 0)
    page.goto(f"{served.base}/studio/#/film/{film}")
    page.wait_for_selector("#audience-status")
    everyone = page.inner_text("#audience-status")
    page.select_option("#filter", NO_REGION)
    page.wait_for_function(f"document.querySelector('#audience-status')?.textContent"
                           f"?.endsWith('of {total:,}')")
    assert page.inner_text("#audience-status") != everyone
    first = api(served, f"/films/{film}/audience?k=25&filter={quote(NO_REGION)}")["users"]
    cells = page.locator("section[aria-labelledby='s-audience'] tbody tr td:nth-child(2)")
    assert cells.all_inner_texts() == [u["user_id"] for u in first]
    assert _bookmarked(page) == NO_REGION
    watched.assert_clean()


def test_a_hidden_count_still_offers_it(tmp_path: Path, served_gaps: Served, watched: Any
                                        ) -> None:
    """Under a minimum cell above the count, the count is hidden (null) but the filter is
    still offered, without a number."""
    serving = _serve(served_gaps.model, served_gaps.data, tmp_path,
                     RECOMMENDER_MIN_CELL="100000")
    served = next(serving)
    try:
        assert api(served, "/users/attributes")["without_value"]["region"] is None
        film = quote(api(served, "/films?limit=1")["films"][0]["film_id"], safe="")
        page = watched.page
        page.goto(f"{served.base}/studio/#/film/{film}?filter={quote(NO_REGION)}")
        page.wait_for_selector("#audience-status")
        assert page.input_value("#filter") == NO_REGION
        assert page.locator(f"#filter option[value='{NO_REGION}']").inner_text() == NO_REGION
        assert page.inner_text("#page-notice") == ""
        assert _bookmarked(page) == NO_REGION
        watched.assert_clean()
    finally:
        serving.close()  # stops that server


def test_a_value_spelt_no_value_offers_neither(served_gaps: Served, watched: Any) -> None:
    """Some users' occupation is spelt ``(No Value)`` and some have none: the server refuses
    ``occupation=(no value)`` in any spelling as ambiguous, so the menu offers neither (it
    offered both, each answered "Something went wrong" and a 422), and a bookmark of it is
    dropped with the notice. Oracle: the server's own answers to both spellings."""
    served = served_gaps
    attributes = api(served, "/users/attributes")
    assert "(No Value)" in attributes["attributes"]["occupation"]
    assert attributes["without_value"]["occupation"] != 0
    film = quote(api(served, "/films?limit=1")["films"][0]["film_id"], safe="")
    for spelling in ("occupation=(no value)", "occupation=(No Value)"):
        with pytest.raises(HTTPError) as refused:
            api(served, f"/films/{film}/audience?k=1&filter={quote(spelling)}")
        assert refused.value.code == 422, spelling
    page = watched.page
    page.goto(f"{served.base}/studio/#/film/{film}?filter={quote('occupation=(no value)')}")
    page.wait_for_selector("#audience-status")
    assert page.input_value("#filter") == ""
    assert "filter=occupation=(no value)" in page.inner_text("#page-notice")
    offered = page.eval_on_selector_all("#filter option", "os => os.map((o) => o.value)")
    assert not [f for f in offered if f.lower().startswith("occupation=(no value)")]
    assert NO_REGION in offered and "occupation=sales" in offered
    watched.assert_clean()  # no 422 asked for


@pytest.mark.parametrize("spelt", ["REGION=(No Value)", " region = (NO VALUE) ", "upper"])
def test_a_bookmark_in_another_case_is_applied(served_gaps: Served, watched: Any, spelt: str
                                               ) -> None:
    """A bookmark's filter spelt in another case, or with blanks around its name or value, is
    the one choice the server reads it as (it was dropped as "no such attribute value",
    though the server takes it), and the address is rewritten so. Oracle: the server's total
    for the bookmark's own spelling, and for the choice's."""
    served = served_gaps
    region = api(served, "/users/attributes")["attributes"]["region"][0]
    choice = f"region={region}" if spelt == "upper" else NO_REGION
    spelt = choice.upper() if spelt == "upper" else spelt
    assert spelt != choice
    film = quote(api(served, "/films?limit=1")["films"][0]["film_id"], safe="")
    total = api(served, f"/films/{film}/audience?k=1&filter={quote(spelt)}")["total"]
    assert total == api(served, f"/films/{film}/audience?k=1&filter={quote(choice)}")["total"]
    page = watched.page
    page.goto(f"{served.base}/studio/#/film/{film}?filter={quote(spelt)}")
    page.wait_for_selector("#audience-status")
    assert page.input_value("#filter") == choice
    page.wait_for_function(f"document.querySelector('#audience-status')?.textContent"
                           f"?.endsWith('of {total:,}')")
    assert page.inner_text("#page-notice") == ""
    assert _bookmarked(page) == choice
    watched.assert_clean()
