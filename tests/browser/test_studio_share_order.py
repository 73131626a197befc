"""Films named with their shares (a new film's calibration mix, a new film's comparable films
and their weights) are named largest first, whatever their ids: ``Object.entries`` lists an
object's integer-like keys ("3885787") first and by value, so the second-largest source of a
calibration mix (28.6%) hid in "1 more" while one of 0.0% was named. Oracle: the order of the
answer's own JSON text (the server's, largest first), the answer built here."""

from __future__ import annotations

import json
from typing import Any

from studio_http import api

#: id -> share, largest first as the server writes it; integer-like ids, one with a leading
#: zero (a string key to the browser, the others numbers)
MIX = {"3885787": 0.512, "28": 0.286, "0042": 0.15, "7": 0.03, "1200": 0.012, "5": 0.01,
       "100": 0.0}


def _fake_films(page: Any, ids: list[str]) -> None:
    """Each id in ``ids`` answered on ``/films/<id>`` as a film titled "Film <id>"."""
    def film(route: Any) -> None:
        fid = route.request.url.rsplit("/", 1)[1].split("?")[0]
        if fid not in ids:
            route.continue_()
            return
        route.fulfill(json={"film_id": fid, "title": f"Film {fid}", "year": 2001, "genres": []})
    page.route("**/films/*", film)


def test_a_new_films_calibration_mix_is_named_largest_share_first(
        watched: Any, served_demo: Any) -> None:
    page = watched.page
    genre = next(f["genres"][0] for f in api(served_demo, "/films?limit=20")["films"]
                 if f.get("genres"))

    def mixed(route: Any) -> None:
        body = route.fetch().json()
        assert body["cold_start"].get("calibrated_from")  # the demo's answer has a mix
        body["cold_start"]["calibrated_from"] = MIX
        route.fulfill(body=json.dumps(body), content_type="application/json")

    page.route("**/distribution/cold-start", mixed)
    _fake_films(page, list(MIX))
    page.goto(f"{served_demo.base}/studio/#/distribute")
    page.fill("#dnew-genres", genre)
    page.get_by_role("button", name="Forecast demand").click()
    page.wait_for_selector("#dnew-calibrated")
    page.wait_for_function(  # every title read
        "() => [...document.querySelectorAll('#dnew-calibrated a')]"
        ".every((a) => a.textContent.endsWith('(2001)'))")
    links = page.locator("#dnew-calibrated a")
    named = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert named == [f"#/film/{fid}" for fid in list(MIX)[:5]]
    note = page.inner_text("#dnew-calibrated")
    shares = ", ".join(f"Film {fid} (2001) {100 * s:.1f}%" for fid, s in list(MIX.items())[:5])
    assert f"each with its share: {shares} and 2 more." in note, note
    assert "0.0%" not in note
    watched.assert_clean()


def test_a_new_films_comparables_are_named_heaviest_first(watched: Any, served_demo: Any) -> None:
    page = watched.page
    weights = {"3885787": 2.0, "0042": 1.5, "12": 0.5}
    genre = next(f["genres"][0] for f in api(served_demo, "/films?limit=20")["films"]
                 if f.get("genres"))

    def weighted(route: Any) -> None:
        body = route.fetch().json()
        body["comparable_films"] = weights
        route.fulfill(body=json.dumps(body), content_type="application/json")

    page.route("**/audiences/cold-start", weighted)
    page.goto(f"{served_demo.base}/studio/#/build")
    page.fill("#cold-genres", genre)
    page.get_by_role("button", name="Rank the audience").click()
    page.wait_for_selector("#cold-mean")
    note = page.inner_text("#cold-mean")
    at = [note.index(f"{fid} (weight") for fid in weights]
    assert at == sorted(at), note
