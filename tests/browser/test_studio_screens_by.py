"""The Studio offers the column screens follow (``screens_by``): a film's demand by place and a
new film's, beside the screens box, total by default. The API took ``?screens_by=new`` and a
cold-start body's ``screens_by`` while the Studio offered neither, and said the screens follow
the expected total whatever they followed. Oracle: the API's own body for the same request
(its allocation and its ``units.screens`` sentence) and the requests the page sent."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import studio_http


def api(served: Any, path: str, body: Any = None) -> Any:
    return studio_http.api(served, path, body, timeout=60)


def screens_column(page: Any, table: str) -> list[int]:
    at = page.locator(f"{table} thead th").all_inner_texts().index("Screens") + 1
    return [int(t.replace(",", "")) for t in
            page.locator(f"{table} tbody tr td:nth-child({at})").all_inner_texts()]


def test_a_films_screens_follow_its_new_viewers_when_asked(watched: Any,
                                                           served_demo: Any) -> None:
    manifest = json.loads((served_demo.data / "demo.json").read_text())
    fid = urllib.parse.quote(manifest["example_film_id"], safe="")
    path = f"/films/{fid}/distribution?by=region&screens=40"
    total, new = api(served_demo, path), api(served_demo, f"{path}&screens_by=new")
    # a film with viewers: the two columns share the screens out differently
    assert [r["screens"] for r in total["places"]] != [r["screens"] for r in new["places"]]
    page = watched.page
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/distribution" in r.url else None)
    page.goto(f"{served_demo.base}/studio/#/film/{fid}?screens=40")
    page.wait_for_selector("#dist-screens-by")
    assert page.input_value("#dist-screens-by") == "total"  # the default
    page.wait_for_selector("text=40 screens shared out")
    assert page.inner_text("#dist-screens-follow") \
        == f"Screens: {total['units']['screens']}."
    assert screens_column(page, "#dist-out table") == [r["screens"] for r in total["places"]]
    asked.clear()
    page.select_option("#dist-screens-by", "new")
    # the body's words for the column new (they no longer name screens_by=new itself)
    page.wait_for_function("(w) => (document.querySelector('#dist-screens-follow') || {})"
                           ".textContent === w", arg=f"Screens: {new['units']['screens']}.")
    assert any("screens_by=new" in u and "screens=40" in u for u in asked), asked
    assert page.inner_text("#dist-screens-follow") == f"Screens: {new['units']['screens']}."
    assert "in proportion to each place's expected new viewers" in page.inner_text("#dist-total")
    assert screens_column(page, "#dist-out table") == [r["screens"] for r in new["places"]]
    if new["screens"]["note"]:  # the pool's note, in the body's words
        assert page.inner_text("#dist-screens-note") == new["screens"]["note"]
    assert "screens_by=new" in page.evaluate("location.hash")  # kept in the bookmark
    page.reload()
    page.wait_for_selector("#dist-screens-follow")
    assert page.input_value("#dist-screens-by") == "new"
    # without screens it is not sent (it changes nothing)
    asked.clear()
    page.fill("#dist-screens", "")
    page.dispatch_event("#dist-screens", "change")
    page.wait_for_function("() => !document.querySelector('#dist-screens-follow')"
                           " && document.querySelector('#dist-total')")
    assert asked and not any("screens_by" in u for u in asked), asked
    watched.assert_clean()


def test_a_new_films_screens_by_is_sent_in_its_body(watched: Any, served_demo: Any) -> None:
    genre = next(f["genres"][0] for f in api(served_demo, "/films?limit=20")["films"]
                 if f["genres"])
    page = watched.page
    posted: list[Any] = []
    page.on("request", lambda r: posted.append(r.post_data_json)
            if r.url.endswith("/distribution/cold-start") else None)
    page.goto(f"{served_demo.base}/studio/#/distribute")
    page.fill("#dnew-genres", genre)
    page.wait_for_selector("#dnew-by option[value=region]", state="attached")
    page.select_option("#dnew-by", "region")
    page.fill("#dnew-screens", "30")
    assert page.input_value("#dnew-screens-by") == "total"
    page.select_option("#dnew-screens-by", "new")
    page.get_by_role("button", name="Forecast demand").click()
    page.wait_for_selector("#dist-screens-follow")
    want = api(served_demo, "/distribution/cold-start", {
        "comparable_film_ids": [], "genres": [genre], "by": "region", "screens": 30,
        "screens_by": "new"})
    assert posted[-1]["screens_by"] == "new" and posted[-1]["screens"] == 30
    assert page.inner_text("#dist-screens-follow") == f"Screens: {want['units']['screens']}."
    assert screens_column(page, "#dnew-result table") == [r["screens"] for r in want["places"]]
    page.fill("#dnew-screens", "")  # no screens: no screens_by either
    page.get_by_role("button", name="Forecast demand").click()
    page.wait_for_function("() => document.querySelector('#dist-total')"
                           " && !document.querySelector('#dist-screens-follow')")
    assert "screens_by" not in posted[-1] and "screens" not in posted[-1]
    watched.assert_clean()


def _off_with_hint(page: Any, select: str, hint: str) -> bool:
    """Whether ``select`` is off and described by the shown ``hint`` (False: on, hint hidden
    and not describing it)."""
    state = page.evaluate("""([s, h]) => {
      const el = document.querySelector(s), hint = document.querySelector(h);
      // looks off: the grey of a field that is off, not the ink of the screens box (before
      // its label)
      const ink = (e) => getComputedStyle(e).color, label = el.previousElementSibling;
      return [el.disabled, !hint.hidden && hint.offsetParent !== null,
              el.getAttribute("aria-describedby") === hint.id, hint.textContent,
              ink(el) !== ink(label.previousElementSibling)];
    }""", [select, hint])
    disabled, shown, described, words, grey = state
    assert disabled == shown == described == grey, state
    assert "no screens" in words, state
    return bool(disabled)


def test_screens_follow_is_off_while_no_screens_are_shared_out(watched: Any,
                                                             served_demo: Any) -> None:
    """With the screens box empty the film page asked the same again at each choice of the
    column and wrote ``screens_by=new`` in the address; Distribute sent nothing and said
    nothing. The select is off, with a hint, until screens are typed."""
    manifest = json.loads((served_demo.data / "demo.json").read_text())
    fid = urllib.parse.quote(manifest["example_film_id"], safe="")
    page = watched.page
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/distribution" in r.url else None)
    # a bookmark's screens_by without screens: not sent, and not written back
    page.goto(f"{served_demo.base}/studio/#/film/{fid}?screens_by=new")
    page.wait_for_selector("#dist-total")
    assert _off_with_hint(page, "#dist-screens-by", "#dist-screens-by-hint")
    assert asked and not any("screens_by" in u or "screens=" in u for u in asked), asked
    assert "screens_by" not in page.evaluate("location.hash")
    page.fill("#dist-screens", "40")
    assert not _off_with_hint(page, "#dist-screens-by", "#dist-screens-by-hint")
    page.dispatch_event("#dist-screens", "change")
    page.wait_for_selector("#dist-screens-follow")
    page.select_option("#dist-screens-by", "new")
    page.wait_for_function("() => location.hash.includes('screens_by=new')")
    page.fill("#dist-screens", "")
    assert _off_with_hint(page, "#dist-screens-by", "#dist-screens-by-hint")
    page.dispatch_event("#dist-screens", "change")
    page.wait_for_function("() => !document.querySelector('#dist-screens-follow')"
                           " && document.querySelector('#dist-total')")
    assert "screens_by" not in page.evaluate("location.hash")
    # Distribute's new film: off until screens are typed, and off again when cleared
    page.goto(f"{served_demo.base}/studio/#/distribute")
    page.wait_for_selector("#dnew-screens-by")
    assert _off_with_hint(page, "#dnew-screens-by", "#dnew-screens-by-hint")
    page.fill("#dnew-screens", "30")
    assert not _off_with_hint(page, "#dnew-screens-by", "#dnew-screens-by-hint")
    page.fill("#dnew-screens", "")
    assert _off_with_hint(page, "#dnew-screens-by", "#dnew-screens-by-hint")
    watched.assert_clean()
