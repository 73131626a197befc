"""The film page's and a new film's audience downloads offer the server's pseudonymized CSV
(a "Pseudonymize ids" box: ``?pseudonymize=true`` on audience.csv and cold-start.csv). A
server with no RECOMMENDER_PSEUDONYM_KEY refuses it with a 403 whose detail says why: the
Studio took every 403 on a POST for a key without write rights (the key dialog opened, and the
error said "this action needs a key with write rights"); it now tells a write refusal by the
server's ``WWW-Authenticate: Bearer error="insufficient_scope"`` and shows any other 403 in the
server's words. Oracle: the server's own answers to the same requests, and the keyed HMAC of
each user id."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import pytest
from conftest import READ_KEY, WRITE_KEY, Served, serve_own_store
from studio_http import api_as, rank_again, rank_new_film

KEY = "studio-pseudonym-key-0123456789"


@pytest.fixture(scope="module")
def served_pseudonyms(demo_folders: tuple[Path, Path, Path]) -> Iterator[Served]:
    """The demo model with a pseudonym key, behind the read and write keys of served_locked."""
    yield from serve_own_store(demo_folders, "pseudonyms", RECOMMENDER_PSEUDONYM_KEY=KEY,
                               RECOMMENDER_READ_KEYS=f"studio:{READ_KEY}",
                               RECOMMENDER_WRITE_KEYS=f"planner:{WRITE_KEY}")


def _answer(served: Any, path: str, body: Any = None) -> tuple[int, bytes, str]:
    """(status, bytes, Content-Disposition's file name or the 403's detail) of ``path``,
    read with the read key (POSTed as JSON when ``body`` is given)."""
    request = urllib.request.Request(
        f"{served.base}{path}", data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-API-Key": READ_KEY})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            header = Message()
            header["Content-Disposition"] = r.headers["Content-Disposition"]
            return r.status, r.read(), header.get_filename() or ""
    except urllib.error.HTTPError as e:
        assert e.headers.get("WWW-Authenticate") is None  # not a key's rights
        return e.code, b"", json.loads(e.read())["detail"]


def _pseudonym(user_id: str) -> str:
    return "p-" + hmac.new(KEY.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def _users(data: bytes) -> list[str]:
    return [row["user_id"] for row in csv.DictReader(io.StringIO(data.decode("utf-8")))]


def _film_page(page: Any, served: Any) -> str:
    film = api_as(served, "/films?limit=1", READ_KEY)["films"][0]["film_id"]
    page.goto(f"{served.base}/studio/#/film/{quote(film, safe='')}")
    page.wait_for_selector("#csv-shown")
    return film


def test_a_server_without_a_pseudonym_key_says_why_in_its_words(
        watched: Any, served_locked: Any) -> None:
    page = watched.page
    page.add_init_script(f"sessionStorage.setItem('recommender.studio.key', '{READ_KEY}')")
    request, _ = rank_new_film(page, served_locked, READ_KEY, k=30)
    status, _, detail = _answer(served_locked, "/audiences/cold-start.csv?with=segment_label"
                                "&pseudonymize=true", request)
    assert status == 403 and "RECOMMENDER_PSEUDONYM_KEY" in detail
    page.check("#cold-csv-pseudonymize")
    page.click("#cold-csv")
    page.wait_for_selector("#cold-csv-error [role=alert]")
    said = page.inner_text("#cold-csv-error")
    assert detail in said and "write rights" not in said, said
    # a refusal in the server's words reads as its words alone (it read "Something went
    # wrong: <detail>", as an engine out of reach or a server error does)
    assert said.strip().rstrip(".") == detail.rstrip("."), said
    assert not page.locator("#key-dialog").is_visible()  # no key is asked for
    # unticked, the same button downloads the plain CSV
    page.uncheck("#cold-csv-pseudonymize")
    with page.expect_download() as dl:
        page.click("#cold-csv")
    assert not any(u.startswith("p-") for u in _users(Path(dl.value.path()).read_bytes()))
    # the film page's download says the same refusal
    film = _film_page(page, served_locked)
    status, _, detail = _answer(served_locked, f"/films/{quote(film, safe='')}/audience.csv"
                                "?k=25&pseudonymize=true")
    assert status == 403
    page.check("#csv-pseudonymize")
    page.click("#csv-shown")
    page.wait_for_selector("#download-error [role=alert]")
    said = page.inner_text("#download-error")
    assert detail in said and "Something went wrong" not in said, said
    assert not page.locator("#key-dialog").is_visible()
    # the two refusals, and nothing else, in the console
    assert watched.console_errors == [
        "Failed to load resource: the server responded with a status of 403 (Forbidden)"] * 2
    assert not watched.outside_requests


def test_the_downloads_are_the_servers_pseudonymized_csv(watched: Any,
                                                         served_pseudonyms: Any) -> None:
    page = watched.page
    page.add_init_script(f"sessionStorage.setItem('recommender.studio.key', '{READ_KEY}')")
    request, _ = rank_new_film(page, served_pseudonyms, READ_KEY, k=30)
    path = "/audiences/cold-start.csv?with=segment_label"
    _, plain, _ = _answer(served_pseudonyms, path, request)
    status, want, name = _answer(served_pseudonyms, f"{path}&pseudonymize=true", request)
    assert status == 200 and "pseudonymized" in name
    page.check("#cold-csv-pseudonymize")
    with page.expect_download() as dl:
        page.click("#cold-csv")
    assert dl.value.suggested_filename == name
    got = Path(dl.value.path()).read_bytes()
    assert got == want
    assert _users(got) == [_pseudonym(u) for u in _users(plain)]
    # the film page: each download as the server writes it pseudonymized, the box kept
    # as the page turns
    film = _film_page(page, served_pseudonyms)
    page.check("#csv-pseudonymize")
    page.locator(".pager", has=page.locator("#csv-shown")).get_by_role(
        "button", name="Next").click()
    page.wait_for_selector("#audience-status:has-text('Users 26')")
    assert page.is_checked("#csv-pseudonymize")
    with page.expect_download() as dl:
        page.click("#csv-shown")
    got = Path(dl.value.path()).read_bytes()
    query = "?k=25&offset=25&with=title%2Csegment_label"
    _, plain, _ = _answer(served_pseudonyms, f"/films/{quote(film, safe='')}/audience.csv{query}")
    _, want, _ = _answer(served_pseudonyms,
                         f"/films/{quote(film, safe='')}/audience.csv{query}&pseudonymize=true")
    assert got == want and _users(got) == [_pseudonym(u) for u in _users(plain)]
    assert "pseudonymized" in dl.value.suggested_filename
    assert dl.value.suggested_filename.endswith("_from26.csv")
    watched.assert_clean()


def _fragment(page: Any) -> dict[str, list[str]]:
    """The query of the page's address fragment."""
    fragment = page.evaluate("location.hash")
    return parse_qs(fragment.split("?", 1)[1]) if "?" in fragment else {}


def test_the_film_pages_pseudonymize_box_is_kept_in_the_address(
        watched: Any, served_pseudonyms: Any) -> None:
    """Ticked, the box is in the address (pseudonymize=true) as the ring, segment and filter
    are: a reload or a bookmark kept every choice but this one, and downloaded plain ids."""
    page = watched.page
    page.add_init_script(f"sessionStorage.setItem('recommender.studio.key', '{READ_KEY}')")
    film = _film_page(page, served_pseudonyms)
    assert "pseudonymize" not in _fragment(page)
    page.select_option("#tier", "core")
    page.wait_for_function("() => location.hash.includes('tier=core')")
    page.check("#csv-pseudonymize")
    assert _fragment(page)["pseudonymize"] == ["true"]
    assert _fragment(page)["tier"] == ["core"]
    page.reload()
    page.wait_for_selector("#csv-shown")
    assert page.is_checked("#csv-pseudonymize")
    assert page.input_value("#tier") == "core"
    with page.expect_download() as dl:
        page.click("#csv-shown")
    query = "?k=25&offset=0&tier=core&with=title%2Csegment_label&pseudonymize=true"
    _, want, _ = _answer(served_pseudonyms, f"/films/{quote(film, safe='')}/audience.csv{query}")
    assert Path(dl.value.path()).read_bytes() == want
    assert all(u.startswith("p-") for u in _users(want))
    # unticked, it leaves the address; the ring stays
    page.uncheck("#csv-pseudonymize")
    assert "pseudonymize" not in _fragment(page) and _fragment(page)["tier"] == ["core"]
    # a bookmark's 1 ticks it too (and is written as true); a value neither true nor false is
    # said above the page and dropped from the address
    page.goto(f"{served_pseudonyms.base}/studio/#/film/{quote(film, safe='')}?pseudonymize=1")
    page.wait_for_selector("#csv-shown")
    assert page.is_checked("#csv-pseudonymize")
    assert _fragment(page)["pseudonymize"] == ["true"]
    page.goto(f"{served_pseudonyms.base}/studio/#/film/{quote(film, safe='')}?pseudonymize=maybe")
    page.wait_for_selector("#csv-shown")
    page.wait_for_selector("#page-notice:not(:empty)")
    assert "pseudonymize" in page.inner_text("#page-notice")
    assert not page.is_checked("#csv-pseudonymize")
    assert "pseudonymize" not in _fragment(page)
    watched.assert_clean()


def test_the_new_films_pseudonymize_box_is_kept_with_its_form(
        watched: Any, served_pseudonyms: Any) -> None:
    """Ticked, the Build page's "Pseudonymize ids" box is kept with the new film's form (for
    the tab, as its comparable films and genres are): a reload unticked it, and the next file
    had the plain ids."""
    page = watched.page
    page.add_init_script(f"sessionStorage.setItem('recommender.studio.key', '{READ_KEY}')")
    request, _ = rank_new_film(page, served_pseudonyms, READ_KEY, k=30)
    genre = request["genres"][0]
    page.check("#cold-csv-pseudonymize")

    def again() -> None:
        page.reload()
        page.wait_for_selector("#cold-genres")
        assert page.input_value("#cold-genres") == genre
        rank_again(page)

    again()
    assert page.is_checked("#cold-csv-pseudonymize")
    with page.expect_download() as dl:
        page.click("#cold-csv")
    path = "/audiences/cold-start.csv?with=segment_label"
    _, want, name = _answer(served_pseudonyms, f"{path}&pseudonymize=true", request)
    assert dl.value.suggested_filename == name
    assert Path(dl.value.path()).read_bytes() == want
    assert all(u.startswith("p-") for u in _users(want))
    # unticked, it stays unticked across a reload: the plain ids
    page.uncheck("#cold-csv-pseudonymize")
    again()
    assert not page.is_checked("#cold-csv-pseudonymize")
    with page.expect_download() as dl:
        page.click("#cold-csv")
    _, plain, _ = _answer(served_pseudonyms, path, request)
    assert Path(dl.value.path()).read_bytes() == plain
    watched.assert_clean()
