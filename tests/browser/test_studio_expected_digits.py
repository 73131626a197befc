"""The Studio's distribution tables show expected_new (and expected_total) to the body's 3
decimals, as the CLI's tables print them: a film's demand by place and a slate's films showed
1 decimal (a place's 0.042 expected new viewers read 0.0). Oracle: the API's own bodies."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from studio_http import api, slate_of_one


def test_demand_by_place_shows_the_bodys_three_decimals(watched: Any, served_demo: Any) -> None:
    film = json.loads((served_demo.data / "demo.json").read_text())["example_film_id"]
    quoted = urllib.parse.quote(film, safe="")
    want = api(served_demo, f"/films/{quoted}/distribution?by=region", timeout=60)
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/film/{quoted}?by=region")
    page.wait_for_selector("#dist-out table tbody tr")
    table = page.locator("#dist-out table")
    head = table.locator("thead th").all_inner_texts()
    new, total = head.index("Expected new viewers"), head.index("Expected total")
    rows = table.locator("tbody tr")
    assert rows.count() == len(want["places"])
    for i, place in enumerate(want["places"]):
        cells = rows.nth(i).locator("td, th").all_inner_texts()
        assert cells[0] == place["place"]
        assert (cells[new], cells[total]) == (f"{place['expected_new']:,.3f}",
                                              f"{place['expected_total']:,.3f}")
    watched.assert_clean()


def test_a_slates_films_show_the_bodys_three_decimals(watched: Any, served_demo: Any) -> None:
    film = api(served_demo, "/films?limit=1")["films"][0]
    want = api(served_demo, "/distribution/slate", {"films": [{"film_id": film["film_id"]}]},
               timeout=60)
    page = watched.page
    slate_of_one(page, served_demo, film)
    row = page.locator("tr", has=page.get_by_role("link", name=film["title"])).first
    cells = row.locator("td").all_inner_texts()
    assert cells[4] == f"{want['films'][0]['expected_new']:,.3f}"
    watched.assert_clean()
