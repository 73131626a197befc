"""The Studio's cinema tables show each cinema's city beside its id: demand by cinema on the
film page and a slate's screens per cinema showed ids alone ("c045"), though the server's
cinema table gives each one's city. Oracle: the demo's own cinemas.csv, read here."""

from __future__ import annotations

import csv
import json
import urllib.parse
from typing import Any

from studio_http import api, slate_of_one


def _cities(served: Any) -> dict[str, str]:
    with open(served.data / "cinemas.csv", newline="", encoding="utf-8") as f:
        return {row["cinema_id"]: row["city"] for row in csv.DictReader(f)}


def test_demand_by_cinema_shows_each_cinemas_city(watched: Any, served_demo: Any) -> None:
    cities = _cities(served_demo)
    film = json.loads((served_demo.data / "demo.json").read_text())["example_film_id"]
    quoted = urllib.parse.quote(film, safe="")
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/film/{quoted}?by=cinema")
    page.wait_for_selector("#dist-out table tbody tr")
    table = page.locator("#dist-out table")
    head = table.locator("thead th").all_inner_texts()
    assert head[:2] == ["cinema", "City"], head
    rows = table.locator("tbody tr")
    assert rows.count() > 1
    for i in range(rows.count()):
        place, city = rows.nth(i).locator("td").all_inner_texts()[:2]
        assert city == (cities[place] if place != "other" else "–"), place
    watched.assert_clean()


def test_a_slates_cinemas_show_their_city(watched: Any, served_demo: Any) -> None:
    cities = _cities(served_demo)
    film = api(served_demo, "/films?limit=1")["films"][0]
    page = watched.page
    slate_of_one(page, served_demo, film)
    head = page.locator("#dslate-cinemas thead th").all_inner_texts()
    assert head[:2] == ["Cinema", "City"], head
    rows = page.locator("#dslate-cinemas tbody tr")
    assert rows.count() > 1
    for i in range(rows.count()):
        cinema, city = rows.nth(i).locator("td").all_inner_texts()[:2]
        assert city == cities[cinema], cinema
    watched.assert_clean()
