"""After a model reload the footer named the old model until the page was drawn again, beside
the notice saying the served model changed: it follows the new model as soon as the Studio
learns of it. Oracle: /health's model version before and after the reload."""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Served, _cli, _serve
from studio_http import api

ADMIN = "studio-admin-key-footer-0123456789"


@pytest.fixture(scope="module")
def served_reloadable(demo_folders: tuple[Path, Path, Path]) -> Iterator[Served]:
    """A copy of the demo model (trained again into it by the test), served with an admin key."""
    model, data, root = demo_folders
    own = root / "model-footer"
    own.mkdir(exist_ok=True)
    shutil.copytree(model, own / "model", dirs_exist_ok=True)
    yield from _serve(own / "model", data, own, RECOMMENDER_ADMIN_KEY=ADMIN)


def test_the_footer_follows_a_reloaded_model(served_reloadable: Any, watched: Any) -> None:
    served, page = served_reloadable, watched.page
    old = api(served, "/health")["model"]["model_version"]
    page.goto(f"{served.base}/studio/#/search")
    page.fill("#q", "the")
    page.wait_for_selector("#results table")
    page.wait_for_function("v => document.getElementById('model-line').textContent.includes(v)",
                           arg=old)
    _cli("train", "--data", str(served.data), "--out", str(served.model), "--no-tune")
    request = urllib.request.Request(f"{served.base}/admin/reload", data=b"", method="POST",
                                     headers={"Authorization": f"Bearer {ADMIN}"})
    with urllib.request.urlopen(request, timeout=60) as r:
        json.loads(r.read())
    new = api(served, "/health")["model"]["model_version"]
    assert new != old
    page.fill("#q", "a")  # an answer of the new model, on the page drawn with the old one
    page.wait_for_selector("#model-changed")
    assert new in page.inner_text("#model-changed")
    page.wait_for_function("v => document.getElementById('model-line').textContent.includes(v)",
                           arg=new, timeout=10000)
    assert old not in page.inner_text("#model-line")
    watched.assert_clean()
