"""After a model reload the footer named the old model until the page was drawn again, beside
the notice saying the served model changed: it follows the new model as soon as the Studio
learns of it. Oracle: /health's model version before and after the reload."""

from __future__ import annotations

from typing import Any

from conftest import _cli, reload_served
from studio_http import api


def test_the_footer_follows_a_reloaded_model(served_reloadable: Any, watched: Any) -> None:
    served, page = served_reloadable, watched.page
    old = api(served, "/health")["model"]["model_version"]
    page.goto(f"{served.base}/studio/#/search")
    page.fill("#q", "the")
    page.wait_for_selector("#results table")
    page.wait_for_function("v => document.getElementById('model-line').textContent.includes(v)",
                           arg=old)
    _cli("train", "--data", str(served.data), "--out", str(served.model), "--no-tune")
    reload_served(served)
    new = api(served, "/health")["model"]["model_version"]
    assert new != old
    page.fill("#q", "a")  # an answer of the new model, on the page drawn with the old one
    page.wait_for_selector("#model-changed")
    assert new in page.inner_text("#model-changed")
    page.wait_for_function("v => document.getElementById('model-line').textContent.includes(v)",
                           arg=new, timeout=10000)
    assert old not in page.inner_text("#model-line")
    watched.assert_clean()
