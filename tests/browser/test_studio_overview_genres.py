"""The Studio's overview on a catalog with genres: the segments' note says what top genres
leave out, and, where no segment names a top genre, what the segments show, not that the
catalog has no genres."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Served, _serve, trained_small_demo
from studio_http import api

from recommender.model.segments import MIN_GENRE_SHARE, TOP_GENRES_FLOOR


@pytest.fixture(scope="module")
def served_segments(tmp_path_factory: pytest.TempPathFactory, small_demo: Any
                    ) -> Iterator[Served]:
    """The small demo (a catalog with genres) trained with its default segments, served."""
    yield from _serve(*trained_small_demo(tmp_path_factory, small_demo, "genre-floor"))


def test_the_segments_note_says_what_top_genres_leave_out(watched: Any,
                                                          served_segments: Any) -> None:
    """The CLI's legend and the schema say that a genre under 5% of a segment's genre views is
    left out of its top genres, however high its lift; the overview listing the same top
    genres did not. Oracle: segments.py's floor and its sentence (TOP_GENRES_FLOOR), which the
    CLI prints, and the floor GET /segments reports."""
    body = api(served_segments, "/segments")
    assert body["min_genre_share"] == MIN_GENRE_SHARE
    assert any(s["top_genres"] for s in body["segments"])
    page = watched.page
    page.goto(f"{served_segments.base}/studio/#/")
    page.wait_for_selector("table:has(caption:text('segments')) tbody tr")
    note = page.inner_text("#segments-note")
    assert f"Top genres: {TOP_GENRES_FLOOR}." in note, note
    assert f"under {round(100 * MIN_GENRE_SHARE)}%" in note, note
    watched.assert_clean()


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
