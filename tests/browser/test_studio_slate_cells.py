"""The Distribute page's slate form refuses, before sending, a slate of more cells (cinemas x
films) than the server's ``/health`` limit ``max_slate_cells`` (RECOMMENDER_MAX_SLATE_CELLS),
saying the sizes and the limit as the server's 422 does. The oracle: the server's own answer
to the same body, and the requests the page made."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Served, serve_own_store
from studio_http import api

MOST = 3  # cells


@pytest.fixture(scope="module")
def served_few_cells(demo_folders: tuple[Path, Path, Path]) -> Iterator[Served]:
    yield from serve_own_store(demo_folders, "few-cells", RECOMMENDER_MAX_SLATE_CELLS=str(MOST))


def _refusal(served: Served, body: dict[str, Any]) -> str:
    request = urllib.request.Request(f"{served.base}/distribution/slate",
                                     data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=60)
    assert caught.value.code == 422
    return str(json.loads(caught.value.read())["detail"])


def test_a_slate_past_the_servers_cells_is_refused_before_sending(
        served_few_cells: Any, watched: Any) -> None:
    assert api(served_few_cells, "/health")["limits"]["max_slate_cells"] == MOST
    manifest = json.loads((served_few_cells.data / "demo.json").read_text())
    film = api(served_few_cells,
               f"/films/{urllib.parse.quote(manifest['example_film_id'], safe='')}")
    cinemas = [f"c00{i}" for i in range(1, MOST + 2)]
    said = _refusal(served_few_cells, {"films": [{"film_id": film["film_id"]}], "cinemas": [
        {"cinema_id": c, "screens": 2} for c in cinemas]})
    page = watched.page
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(f"{served_few_cells.base}/studio/#/distribute")
    page.fill("#dslate-search", film["title"].lower())
    page.get_by_role("button", name=f"Add {film['title']}").first.wait_for()
    page.press("#dslate-search", "Enter")
    page.fill("#dslate-cinemas-text", "".join(f"{c},2\n" for c in cinemas))
    page.get_by_role("button", name="Share out the screens").click()
    alert = page.locator("#dslate-result [role=alert]")
    alert.wait_for()
    text = alert.inner_text()
    cells = f"{len(cinemas)} cells (cinemas x films), more than the {MOST}"
    assert cells in said and cells in text  # the server's words for the same slate
    assert f"1 film over {len(cinemas)} cinemas" in text
    assert not [u for u in posts if u.endswith("/distribution/slate")]  # nothing sent
    # at the limit: sent, and answered
    page.fill("#dslate-cinemas-text", "".join(f"{c},2\n" for c in cinemas[:MOST]))
    page.get_by_role("button", name="Share out the screens").click()
    page.wait_for_selector("#dslate-total")
    assert len([u for u in posts if u.endswith("/distribution/slate")]) == 1
