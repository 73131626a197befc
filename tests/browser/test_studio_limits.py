"""The Studio follows the server's own limits (``/health``'s ``limits``), not the defaults."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

from recommender.distribution.slate_size import DEFAULT_MAX_SLATE_CELLS
from recommender.query.limits import MAX_COMPARABLE_FILMS

MAX_K = 20  # conftest's SMALL_MAX_K: the largest page of served_small_k
MAX_SEEDS = 5  # conftest's SMALL_MAX_SEEDS: its longest lookalike seed list


def _get(served: Any, path: str) -> bytes:
    with urllib.request.urlopen(f"{served.base}{path}", timeout=30) as r:
        return bytes(r.read())


def test_download_the_whole_list_is_cut_at_the_servers_largest_page(
        watched: Any, served_small_k: Any) -> None:
    """The button said "Download all N" and asked for min(N, 10,000) rows whatever the
    server's RECOMMENDER_MAX_K: a server set lower answered 422, one set higher was cut at
    10,000."""
    assert json.loads(_get(served_small_k, "/health"))["limits"] == {
        "max_k": MAX_K, "max_seed_users": MAX_SEEDS, "max_comparable_films": MAX_COMPARABLE_FILMS,
        "max_slate_cells": DEFAULT_MAX_SLATE_CELLS}
    manifest = json.loads((served_small_k.data / "demo.json").read_text())
    fid = urllib.parse.quote(manifest["example_film_id"], safe="")
    total = json.loads(_get(served_small_k, f"/films/{fid}/audience?k=1"))["total"]
    assert total > MAX_K
    page = watched.page
    page.goto(f"{served_small_k.base}/studio/#/film/{fid}")
    button = page.locator("#csv-all")
    button.wait_for()
    # the table's page is cut too: a page of 25 was refused (422) and no table showed
    assert page.inner_text("#audience-status") == f"Users 1–{MAX_K} of {total:,}"
    assert button.inner_text() == f"Download the first {MAX_K} (CSV)"
    with page.expect_download() as dl:
        button.click()
    with open(dl.value.path(), encoding="utf-8") as f:
        got = f.read()
    assert got == _get(served_small_k, f"/films/{fid}/audience.csv?k={MAX_K}&offset=0"
                       "&with=title,segment_label").decode()
    watched.assert_clean()


def test_the_first_rows_of_a_cut_name_the_cut(watched: Any, served_small_k: Any) -> None:
    """The whole cut's download names its ring, segment and filter; past the server's largest
    page it read "Download the first 20 (CSV)" of a segment's cut, naming nothing, though the
    file holds that cut's first rows."""
    manifest = json.loads((served_small_k.data / "demo.json").read_text())
    fid = urllib.parse.quote(manifest["example_film_id"], safe="")
    page = watched.page
    page.goto(f"{served_small_k.base}/studio/#/film/{fid}")
    page.locator("#csv-all").wait_for()
    segments = json.loads(_get(served_small_k, "/segments"))["segments"]
    # the segment of most users in this film's audience: a cut past the largest page
    first = json.loads(_get(served_small_k, f"/films/{fid}/audience?k={MAX_K}"))["users"]
    segment = max({u["segment"] for u in first},
                  key=lambda s: json.loads(_get(
                      served_small_k, f"/films/{fid}/audience?k=1&segment={s}"))["total"])
    total = json.loads(_get(served_small_k,
                            f"/films/{fid}/audience?k=1&segment={segment}"))["total"]
    assert total > MAX_K
    page.select_option("#segment", str(segment))
    page.wait_for_function(
        "n => document.querySelector('#audience-status')?.textContent.endsWith(n)",
        arg=f"of {total:,}")
    label = next(s["label"] for s in segments if s["segment"] == segment)
    assert page.inner_text("#csv-all") == f"Download the first {MAX_K} in segment “{label}” (CSV)"
    watched.assert_clean()


def test_audience_sizes_are_held_to_the_servers_largest_page(
        watched: Any, served_small_k: Any) -> None:
    """The lookalike and new-film forms sent k=100 whatever the server's RECOMMENDER_MAX_K
    (answered 422), and their inputs stopped at 10,000 whatever it allowed."""
    page = watched.page
    page.goto(f"{served_small_k.base}/studio/#/build")
    for box in ("#lookalike-k", "#cold-k"):
        page.wait_for_function("([sel, most]) => document.querySelector(sel)?.max === most",
                               arg=[box, str(MAX_K)])
        assert page.input_value(box) == str(MAX_K)
    watched.assert_clean()


def test_a_seed_list_over_the_servers_longest_is_said_before_it_is_sent(
        watched: Any, served_small_k: Any) -> None:
    """A seed list longer than RECOMMENDER_MAX_SEED_USERS was sent (a very long paste then
    met the body-size limit first, which did not say how many ids are allowed): /health
    publishes the longest, and the form says it before sending."""
    users = [line.split(",")[0] for line in
             (served_small_k.data / "users.csv").read_text().splitlines()[1:MAX_SEEDS + 2]]
    page = watched.page
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/audiences/" in r.url else None)
    page.goto(f"{served_small_k.base}/studio/#/build")
    page.fill("#seed-ids", "\n".join(users))
    page.get_by_role("button", name="Find lookalikes").click()
    page.wait_for_selector(f"text=at most {MAX_SEEDS} ids")
    assert f"this one holds {MAX_SEEDS + 1}" in page.inner_text("main")
    assert asked == []
    page.fill("#seed-ids", "\n".join(users[:MAX_SEEDS]))
    page.get_by_role("button", name="Find lookalikes").click()
    page.wait_for_selector("#lookalike-users")
    watched.assert_clean()


def test_a_limit_lowered_under_a_drawn_page_is_announced(
        watched: Any, served_small_k: Any) -> None:
    """The Studio read the server's limits once per page load: a server restarted with a
    lower RECOMMENDER_MAX_K answered the page's old sizes 422 until the page was reloaded.
    Here every read of /health before the refused page answers a stale 1,000 (the server
    before its restart); the refused page makes the Studio ask again, say so, and redraw at 20."""
    manifest = json.loads((served_small_k.data / "demo.json").read_text())
    fid = urllib.parse.quote(manifest["example_film_id"], safe="")
    total = json.loads(_get(served_small_k, f"/films/{fid}/audience?k=1"))["total"]
    page = watched.page
    stale = {"on": True}  # /health answers the old limit until the page's size is refused

    def old_limit(route: Any) -> None:
        path = urllib.parse.urlparse(route.request.url).path
        if path.endswith("/audience") and "k=25" in route.request.url:
            stale["on"] = False
        if not (stale["on"] and path == "/health"):
            route.fallback()
            return
        real = route.fetch()
        body = real.json()
        body["limits"] = {"max_k": 1000}
        route.fulfill(response=real, json=body)

    page.route("**/*", old_limit)
    page.goto(f"{served_small_k.base}/studio/#/film/{fid}")
    notice = page.locator("#limits-changed")
    notice.wait_for()
    assert "at most 20 rows per request" in notice.inner_text()
    # before the redraw the page asked for 25 rows and was refused
    assert page.locator("#csv-all").count() == 0
    notice.get_by_role("button", name="Redraw with the new limit").click()
    page.locator("#csv-all").wait_for()
    assert page.inner_text("#audience-status") == f"Users 1–{MAX_K} of {total:,}"
    assert page.inner_text("#csv-all") == f"Download the first {MAX_K} (CSV)"
    assert page.locator("#limits-changed").count() == 0
    assert not watched.outside_requests


def test_a_new_model_with_a_lower_limit_redraws_without_a_stale_notice(
        watched: Any, served_small_k: Any) -> None:
    """A restart with a new model and a lower RECOMMENDER_MAX_K: the first answer of the new
    server is often the 422 itself. The model-change notice comes with the limits one, and
    after "Redraw with the new model" the page is drawn at the new limit with no notice left
    (the first version re-asked the limits only on the redraw, and then said the redrawn page
    was drawn for the previous limit). Here the old server is stood in for: its answers carry
    another model version and /health a limit of 1,000."""
    manifest = json.loads((served_small_k.data / "demo.json").read_text())
    fid = urllib.parse.quote(manifest["example_film_id"], safe="")
    page = watched.page
    state = {"old": True}

    def old_server(route: Any) -> None:
        url = route.request.url
        path = urllib.parse.urlparse(url).path
        if not state["old"] or path.startswith("/studio"):
            route.fallback()
            return
        if path.endswith("/audience") and "k=25" in url:  # the restarted server's first answer
            state["old"] = False
            route.fallback()
            return
        real = route.fetch()
        headers = {k: v for k, v in real.headers.items()
                   if k.lower() not in ("content-length", "content-encoding")}
        headers["x-model-version"] = "old-model"
        body = real.body()
        if path == "/health":
            body = json.dumps({**real.json(), "limits": {"max_k": 1000}}).encode()
        route.fulfill(status=real.status, headers=headers, body=body)

    page.route("**/*", old_server)
    page.goto(f"{served_small_k.base}/studio/#/film/{fid}")
    page.locator("#model-changed").wait_for()
    page.locator("#limits-changed").wait_for()
    page.get_by_role("button", name="Redraw with the new model").click()
    page.locator("#csv-all").wait_for()
    assert page.inner_text("#csv-all") == f"Download the first {MAX_K} (CSV)"
    page.wait_for_timeout(500)  # a late limits answer would put the notice back
    assert page.locator("#limits-changed").count() == 0
    assert page.locator("#model-changed").count() == 0
