"""Audience Studio's film picker (a slate, a new film's comparable films) with several films
of one title: Enter picks none of them, and two of one title and year are told apart by id."""

from __future__ import annotations

import json
import unicodedata
from typing import Any


def test_enter_picks_no_film_of_a_title_several_films_have(watched: Any,
                                                            served_same_titles: Any) -> None:
    """"twin harbor" and Enter added the most watched of three films called Twin Harbor,
    through one of two buttons that both read "Add Twin Harbor (2001)"."""
    page = watched.page
    page.goto(f"{served_same_titles.base}/studio/#/plan")
    slate = page.locator("table tbody tr")
    page.fill("#slate-search", "twin harbor")
    page.get_by_role("button", name="Add ").first.wait_for()
    # the list's note (the status region says it too, for a screen reader: two elements hold
    # the text; test_studio_refusal_described checks what the region says)
    page.locator("li.note", has_text="3 films are called “Twin Harbor”: choose one.").wait_for()
    labels = page.get_by_role("button", name="Add ").all_inner_texts()
    assert sorted(labels[:3]) == ["Add Twin Harbor (1987)", "Add Twin Harbor (2001) [twin-a]",
                                  "Add Twin Harbor (2001) [twin-b]"], labels
    page.press("#slate-search", "Enter")
    page.wait_for_timeout(300)
    assert slate.count() == 0
    # Enter before the answer came: none either
    page.fill("#slate-search", "")
    page.fill("#slate-search", "Twin Harbor")
    page.press("#slate-search", "Enter")
    page.locator("li.note", has_text="3 films are called").wait_for()
    page.wait_for_timeout(300)
    assert slate.count() == 0
    # the year typed names one of them: Enter picks it
    page.fill("#slate-search", "twin harbor 1987")
    page.get_by_role("button", name="Add Twin Harbor (1987)").wait_for()
    page.press("#slate-search", "Enter")
    slate.first.wait_for()
    # a button picks one of the two of 2001, by its id
    page.fill("#slate-search", "twin harbor 2001")
    page.get_by_role("button", name="Add Twin Harbor (2001) [twin-b]").click()
    page.wait_for_function("document.querySelectorAll('table tbody tr').length === 2")
    # the films of the slate (the rows show titles only): as the tab keeps them
    kept = json.loads(page.evaluate("sessionStorage.getItem('studio:plan-form')"))
    assert "twin-c" in json.dumps(kept) and "twin-b" in json.dumps(kept), kept
    assert "twin-a" not in json.dumps(kept), kept
    watched.assert_clean()


def test_enter_picks_no_film_of_a_name_the_catalog_writes_apart(watched: Any,
                                                                 served_same_titles: Any) -> None:
    """Two films the title typed is a whole name of, their catalog titles written apart (an
    article moved to the end, an alternative title in parentheses: MovieLens's Heat (1995) and
    "Heat, The (2013)", "Postman, The (Postino, Il) (1994)" and "Postman, The (1997)"): Enter
    added the most watched of the two, as if the title named one film (the picker compared the
    catalog's strings, not the names search matched)."""
    page = watched.page
    page.goto(f"{served_same_titles.base}/studio/#/plan")
    slate = page.locator("table tbody tr")
    courier = ("Night Courier, The (1997)", "Night Courier, The (Courrier de nuit, Le) (1994)")
    for typed, films in (("glowing moor", ("Glowing Moor (1995)", "Glowing Moor, The (2013)")),
                         ("the night courier", courier)):
        page.fill("#slate-search", "")
        page.fill("#slate-search", typed)
        page.locator("li.note", has_text=f"2 films are called “{typed}”: choose one.").wait_for()
        labels = page.get_by_role("button", name="Add ").all_inner_texts()
        assert sorted(labels[:2]) == [f"Add {f}" for f in films], labels
        page.press("#slate-search", "Enter")
        page.wait_for_timeout(300)
        assert slate.count() == 0, typed
    # the year typed names one of them: Enter picks it
    page.fill("#slate-search", "glowing moor 2013")
    page.get_by_role("button", name="Add Glowing Moor, The (2013)").wait_for()
    page.press("#slate-search", "Enter")
    slate.first.wait_for()
    kept = json.loads(page.evaluate("sessionStorage.getItem('studio:plan-form')"))
    assert "glow-b" in json.dumps(kept) and "glow-a" not in json.dumps(kept), kept
    watched.assert_clean()


def test_films_of_one_title_in_two_unicode_forms_are_told_apart(
        watched: Any, served_same_titles: Any) -> None:
    """Two films titled "Amélie" (2001), one composed (NFC), one decomposed (NFD): the picker
    showed two buttons "Add Amélie (2001)", alike, without the ids it gives two films of one
    title written byte for byte alike (it compared the labels byte for byte)."""
    page = watched.page
    page.goto(f"{served_same_titles.base}/studio/#/plan")
    page.fill("#slate-search", "amélie")
    page.locator("li.note", has_text="2 films are called").wait_for()
    labels = page.get_by_role("button", name="Add ").all_inner_texts()
    assert sorted(unicodedata.normalize("NFC", t) for t in labels[:2]) == [
        "Add Amélie (2001) [ame-c]", "Add Amélie (2001) [ame-d]"], labels
    watched.assert_clean()
