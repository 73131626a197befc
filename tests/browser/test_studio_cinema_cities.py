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
    assert head[:2] == ["Cinema", "City"], head  # capitalised as the others (was "cinema")
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


def test_pasted_cinemas_show_their_city(watched: Any, served_demo: Any) -> None:
    """Cinemas pasted as cinema_id,screens showed no city column, though the server's table
    knows each one's city: the table's city, blank for a cinema it lacks."""
    cities = _cities(served_demo)
    known = sorted(cities)[:2]
    film = api(served_demo, "/films?limit=1")["films"][0]
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/distribute")
    page.fill("#dslate-cinemas-text",
              "cinema_id,screens\n" + "".join(f"{c},2\n" for c in known) + "zz-none,2\n")
    page.fill("#dslate-search", film["title"].lower())
    page.get_by_role("button", name=f"Add {film['title']}").first.wait_for()
    page.press("#dslate-search", "Enter")
    page.get_by_role("button", name="Share out the screens").click()
    page.wait_for_selector("#dslate-total")
    head = page.locator("#dslate-cinemas thead th").all_inner_texts()
    assert head[:2] == ["Cinema", "City"], head
    rows = page.locator("#dslate-cinemas tbody tr")
    shown = {}
    for i in range(rows.count()):
        cinema, city = rows.nth(i).locator("td").all_inner_texts()[:2]
        shown[cinema] = city
    assert {c: shown[c] for c in known} == {c: cities[c] for c in known}, shown
    assert shown.get("zz-none", "–") in ("–", ""), shown
    watched.assert_clean()
