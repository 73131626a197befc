"""The Build page draws a form's answer under both forms at the page's width: a new film's
table, funnel, segments and portrait stood in the right half column under its form, the left
one empty, a page about 5,800 px tall at 1280 px wide. Its audience table names each user's
segment as the film page does (its label alone: it read "6 · Comedy & Documentary fans").
Oracles: the boxes' measured widths, the same answer laid out the old way in the same page,
and the API's ``POST /audiences/cold-start`` and ``GET /segments``."""

from __future__ import annotations

import urllib.parse
from typing import Any

from studio_http import api, rank_new_film

# the answer's box put back in its form's card, as the page drew it before (the old layout),
# the page's height measured there, and the box put back where it is now
_OLD_HEIGHT = """(id) => {
  const out = document.getElementById(id);
  const field = id === "cold-out" ? "cold-k" : "lookalike-k";
  const card = document.querySelector(`section:has(#${field})`);
  const [parent, next] = [out.parentNode, out.nextSibling];
  card.append(out);
  const height = document.documentElement.scrollHeight;
  parent.insertBefore(out, next);
  return height;
}"""


def _width(page: Any, selector: str) -> float:
    return float(page.locator(selector).bounding_box()["width"])


def _main_width(page: Any) -> float:
    return float(page.evaluate("(() => { const m = document.querySelector('main'); const s = "
                               "getComputedStyle(m); return m.clientWidth - "
                               "parseFloat(s.paddingLeft) - parseFloat(s.paddingRight); })()"))


def test_a_new_films_answer_takes_the_pages_width(watched: Any, served_demo: Any,
                                                   tmp_path: Any) -> None:
    page = watched.page
    page.set_viewport_size({"width": 1280, "height": 900})
    rank_new_film(page, served_demo)
    page.wait_for_selector("#cold-summary .funnel li")
    page.wait_for_selector("#cold-summary h2:text('Portrait of the core + extended')")
    page.screenshot(path=str(tmp_path / "build-new-film.png"), full_page=True)
    main = _main_width(page)
    assert main > 0.5 * 1280
    for box in ("#cold-out", "#cold-summary", "#cold-users"):
        assert _width(page, box) > 0.8 * main, (box, _width(page, box), main)
    # under both forms, not beside an empty column
    for form in ("section:has(#cold-k)", "section:has(#lookalike-k)"):
        card = page.locator(form).bounding_box()
        assert page.locator("#cold-out").bounding_box()["y"] >= card["y"] + card["height"]
    height = page.evaluate("document.documentElement.scrollHeight")
    old = page.evaluate(_OLD_HEIGHT, "cold-out")
    assert height < 0.8 * old, (height, old)
    watched.assert_clean()


def test_a_lookalike_answer_takes_the_pages_width(watched: Any, served_demo: Any) -> None:
    page = watched.page
    page.set_viewport_size({"width": 1280, "height": 900})
    film = urllib.parse.quote(api(served_demo, "/films?limit=1")["films"][0]["film_id"], safe="")
    seeds = [u["user_id"] for u in api(served_demo, f"/films/{film}/audience?k=3")["users"]]
    page.goto(f"{served_demo.base}/studio/#/build")
    page.fill("#seed-ids", "\n".join(seeds))
    page.get_by_role("button", name="Find lookalikes").click()
    page.wait_for_selector("#lookalike-users table")
    main = _main_width(page)
    assert _width(page, "#lookalike-users") > 0.8 * main
    # the answers' boxes are no cards while empty (the new film's asked nothing yet), and the
    # forms stand side by side above the answer
    assert not page.locator("#cold-out").is_visible()
    look, cold = (page.locator(f"section:has({f})").bounding_box() for f in ("#lookalike-k",
                                                                             "#cold-k"))
    assert look["y"] == cold["y"] and look["x"] + look["width"] <= cold["x"]
    assert page.locator("#lookalike-out").bounding_box()["y"] >= max(
        look["y"] + look["height"], cold["y"] + cold["height"])
    watched.assert_clean()


def test_one_column_puts_each_answer_under_its_own_form(watched: Any, served_demo: Any) -> None:
    """Under 900px the page is one column: a lookalike's answer (or refusal) stands under the
    lookalike form, not under the new film's form."""
    page = watched.page
    page.set_viewport_size({"width": 600, "height": 900})
    page.goto(f"{served_demo.base}/studio/#/build")
    page.wait_for_selector("#seed-ids")
    page.get_by_role("button", name="Find lookalikes").click()
    page.wait_for_selector("#lookalike-out [role=alert]")
    look, out, cold = (page.locator(s).bounding_box() for s in (
        "section:has(#lookalike-k)", "#lookalike-out", "section:has(#cold-k)"))
    assert look["y"] + look["height"] <= out["y"] < cold["y"]
    assert abs(out["width"] - look["width"]) <= 1
    watched.assert_clean()


def test_the_new_films_segments_read_as_the_film_page_reads_them(watched: Any,
                                                                  served_demo: Any) -> None:
    page = watched.page
    _, got = rank_new_film(page, served_demo)
    users = got.json()["users"][:25]
    labels = {s["segment"]: s["label"] for s in api(served_demo, "/segments")["segments"]}
    page.wait_for_function("() => [...document.querySelectorAll('#cold-users tbody tr')]"
                           ".every((r) => !/^\\d+$/.test(r.lastElementChild.textContent))")
    cells = page.locator("#cold-users tbody tr td:last-child").all_inner_texts()
    assert cells == [labels[u["segment"]] for u in users]
    assert all("·" not in c for c in cells)
    watched.assert_clean()
