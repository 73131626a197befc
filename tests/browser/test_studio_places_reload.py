"""The film page's "By" select of demand by place, hidden on a model without places, stayed
hidden on the same page once the served model was reloaded to one with places: the page kept
the first /health it read (no place) and, asked again, filled the select without showing it.
Oracle: /health's place attributes after the reload, and the demand the API answers."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Served, _cli, _serve, copy_small_demo
from studio_http import api

ADMIN = "studio-admin-key-places-0123456789"


@pytest.fixture(scope="module")
def served_placeless(tmp_path_factory: pytest.TempPathFactory, small_demo: Path
                     ) -> Iterator[Served]:
    """A small demo's log alone (no users file: no place) trained and served with an admin
    key; ``data`` is the whole demo (its users file has places), for the test to train."""
    root = tmp_path_factory.mktemp("placeless")
    demo, bare, model = root / "demo", root / "bare", root / "model"
    copy_small_demo(small_demo, demo)
    bare.mkdir()
    (bare / "interactions.csv").write_bytes((demo / "interactions.csv").read_bytes())
    _cli("train", "--data", str(bare), "--out", str(model), "--no-tune")
    yield from _serve(model, demo, root, RECOMMENDER_ADMIN_KEY=ADMIN)


def test_by_is_shown_again_after_a_reload_to_a_model_with_places(served_placeless: Any,
                                                                  watched: Any) -> None:
    served, page = served_placeless, watched.page
    assert api(served, "/health")["model"]["place_attributes"] == []
    film = urllib.parse.quote(api(served, "/films?limit=1")["films"][0]["film_id"], safe="")
    page.goto(f"{served.base}/studio/#/film/{film}")
    page.wait_for_selector("#dist-none")
    assert page.is_hidden("#dist-by")
    _cli("train", "--data", str(served.data), "--out", str(served.model), "--no-tune")
    request = urllib.request.Request(f"{served.base}/admin/reload", data=b"", method="POST",
                                     headers={"Authorization": f"Bearer {ADMIN}"})
    with urllib.request.urlopen(request, timeout=60) as r:
        json.loads(r.read())
    places = api(served, "/health")["model"]["place_attributes"]
    assert places and "region" in places
    page.fill("#dist-screens", "5")  # a change on the page drawn with the old model
    page.dispatch_event("#dist-screens", "change")
    page.wait_for_selector("#dist-total")
    assert page.is_visible("#dist-by") and page.is_visible("label[for=dist-by]")
    assert page.locator("#dist-by option").all_inner_texts() == places
    assert page.locator("#dist-none").count() == 0
    expected = api(served, f"/films/{film}/distribution?by={page.input_value('#dist-by')}"
                   "&screens=5")
    assert f"{expected['viewers']:,} viewer" in page.inner_text("#dist-total")
    watched.assert_clean()
