"""The Studio's overview on a catalog with genres whose segments name no top genre: the note
says what the segments show, not that the catalog has no genres."""

from __future__ import annotations

from typing import Any

from studio_http import api


def test_no_top_genre_on_a_catalog_with_genres(watched: Any, served_one_segment: Any) -> None:
    """One segment is all users: every genre's lift is 1, so no segment has a top genre, and
    the overview said "the model's catalog has no genres" of a catalog with genres. Oracle:
    the API's films, which name genres, and its segments, which name no top genre."""
    segments = api(served_one_segment, "/segments")["segments"]
    assert len(segments) == 1 and not segments[0]["top_genres"]
    films = api(served_one_segment, "/films?limit=20")["films"]
    assert any(f["genres"] for f in films)
    page = watched.page
    page.goto(f"{served_one_segment.base}/studio/#/")
    page.wait_for_selector("table:has(caption:text('segments')) tbody tr")
    note = page.inner_text("#segments-note")
    assert "catalog has no genres" not in note, note
    assert "no segment watches a genre more than all users do" in note, note
    watched.assert_clean()
