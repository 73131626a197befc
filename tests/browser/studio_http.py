"""The browser tests' direct calls to the server they drive (a JSON body, or a text body), and
the steps several of them take on a page."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


def api(served: Any, path: str, body: Any = None, timeout: float = 30,
        headers: dict[str, str] | None = None) -> Any:
    """GET ``path`` (POST ``body`` as JSON when given) from ``served``; the decoded JSON."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{served.base}{path}", data=data,
                                     headers={"Content-Type": "application/json",
                                              **(headers or {})})
    with urllib.request.urlopen(request, timeout=timeout) as r:
        return json.loads(r.read())


def api_as(served: Any, path: str, key: str, body: Any = None) -> Any:
    """``api`` with ``key`` sent (``X-API-Key``; '' sends the header empty, read as no key)."""
    return api(served, path, body, headers={"X-API-Key": key})


def stored_plan(served: Any, nth: int, budget: int, seed: int, waves: int | None = None
                ) -> dict[str, Any]:
    """``POST /campaigns/plan`` of the ``nth`` film the server lists (each test its own film,
    so that no plan of another test holds its users), answered as the server answers."""
    film = api(served, f"/films?limit={nth + 1}")["films"][nth]["film_id"]
    body: dict[str, Any] = {"films": [{"film_id": film, "budget": budget}], "seed": seed}
    if waves is not None:
        body["waves"] = waves
    return dict(api(served, "/campaigns/plan", body))


def rank_again(page: Any) -> Any:
    """Click the Build page's "Rank the audience" and wait for the new film's table (its
    download button); the JSON answer that drew it."""
    with page.expect_response(lambda r: r.url.endswith("/audiences/cold-start") and r.ok) as got:
        page.get_by_role("button", name="Rank the audience").click()
    page.wait_for_selector("#cold-csv")
    return got.value


def rank_new_film(page: Any, served: Any, key: str = "", k: int | None = None
                  ) -> tuple[dict[str, Any], Any]:
    """The Build page's new film ranked by the first genre among the server's first 20 films
    (``k`` users, the form's own count when None), read and sent with ``key`` ('' for none);
    (the body of ``POST /audiences/cold-start`` that asks for it, the JSON answer that drew
    its table)."""
    films = api_as(served, "/films?limit=20", key)["films"]
    genre = next(f["genres"][0] for f in films if f.get("genres"))
    page.goto(f"{served.base}/studio/#/build")
    page.fill("#cold-genres", genre)
    body: dict[str, Any] = {"comparable_film_ids": [], "genres": [genre]}
    if k is not None:
        page.fill("#cold-k", str(k))
        body["k"] = k
    return body, rank_again(page)


# every text the status region (#page-status) holds from now on, in window.__said
_RECORD = """() => {
  window.__said = [];
  const box = document.getElementById('page-status');
  new MutationObserver(() => { if (box.textContent) window.__said.push(box.textContent); })
    .observe(box, { childList: true, characterData: true, subtree: true });
}"""


def record_said(page: Any, shown: str) -> None:
    """Record in ``window.__said`` every text the status region holds from now on, once it
    holds ``shown`` (the page drawn's own sentence: one still pending, announce waits 100 ms
    and a page may be slow to draw, was recorded as the next page's)."""
    page.wait_for_function("(t) => document.getElementById('page-status').textContent === t",
                           arg=shown)
    page.evaluate(_RECORD)


def api_text(served: Any, path: str) -> str:
    with urllib.request.urlopen(f"{served.base}{path}", timeout=30) as r:
        return r.read().decode("utf-8")


def file_name(*parts: str) -> str:
    """The name a Studio download should carry: ``parts`` (empty ones left out) made safe as
    the server's own audience.csv names its parts (``service/filenames.py``), joined by
    "_" (letters of any script kept, as its ``filename*``)."""
    from service.filenames import unicode_filename

    return "_".join(unicode_filename(p, "film") for p in parts if p) + ".csv"


def not_found_leads_back(page: Any, url: str, heading: str, named: str, link: str,
                         then: str) -> None:
    """Open ``url`` (a page of something unknown): it says ``heading`` as its one heading,
    names ``named`` in its alert, and its ``link`` leads to a page showing ``then``."""
    page.goto(url)
    page.wait_for_selector("[role=alert]")
    assert page.locator("h1").all_inner_texts() == [heading]
    assert named in page.inner_text("[role=alert]")
    page.get_by_role("link", name=link).click()
    page.wait_for_selector(then)


def said_writable(route: Any) -> None:
    """Answer a routed ``/health`` as the server does, but saying the key sent may write
    (``access.write``): the page is drawn as it was while the key could write, before its
    rights changed on the server (a write then refused 403)."""
    body = route.fetch().json()
    body["access"] = {**body.get("access", {}), "read": True, "write": True}
    route.fulfill(status=200, content_type="application/json", body=json.dumps(body))


def slate_of_one(page: Any, served: Any, film: dict[str, Any]) -> None:
    """The Distribute page's slate of ``film`` alone (a ``GET /films`` entry), added by its
    title and shared out, its answer drawn."""
    page.goto(f"{served.base}/studio/#/distribute")
    page.fill("#dslate-search", film["title"].lower())
    page.get_by_role("button", name=f"Add {film['title']}").first.wait_for()
    page.press("#dslate-search", "Enter")
    page.get_by_role("button", name="Share out the screens").click()
    page.wait_for_selector("#dslate-total")


def legacy_send(served: Any, plan_id: str, wave: int, at: int) -> None:
    """Write wave ``wave``'s send at ``at`` straight into the store ``served`` reads (the demo
    server's ``campaigns.db`` beside its model), as an older engine let a send in without the
    earlier waves' (refused since: waves go out in order), for a page's reading of such a
    store."""
    import sqlite3
    from datetime import UTC, datetime

    con = sqlite3.connect(served.model.parent / "campaigns.db", timeout=30)
    try:
        with con:
            con.execute("INSERT INTO campaign_wave_sends (plan_id, wave, sent_at, recorded_at) "
                        "VALUES (?, ?, ?, ?)", (plan_id, wave, at, datetime.now(UTC).isoformat(
                            timespec="seconds").replace("+00:00", "Z")))
    finally:
        con.close()
