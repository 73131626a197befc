"""A plan replayed for its Idempotency-Key carries the version of the model it was planned on
(X-Model-Version): after a reload, the Studio's "the served model changed" notice named that
older model as the one now served. Oracle: /health's model version."""

from __future__ import annotations

from typing import Any

from conftest import _cli, reload_served
from studio_http import api


def test_a_replayed_plan_names_no_old_model_as_served(served_reloadable: Any, watched: Any
                                                       ) -> None:
    served, page = served_reloadable, watched.page
    old = api(served, "/health")["model"]["model_version"]
    film = api(served, "/films?limit=1")["films"][0]
    page.goto(f"{served.base}/studio/#/plan")
    page.fill("#slate-search", film["title"].lower())
    page.get_by_role("button", name=f"Add {film['title']}").first.click()
    page.get_by_label(f"budget for {film['title']}").fill("10")
    lost: list[Any] = []

    def answer_lost(route: Any) -> None:  # stored by the server, its answer never arrives
        lost.append(route.fetch())
        route.abort()

    page.route("**/campaigns/plan", answer_lost)
    page.get_by_role("button", name="Plan", exact=True).click()
    page.wait_for_selector("[role=alert]")
    page.unroute("**/campaigns/plan")
    assert lost and lost[0].status == 200
    _cli("train", "--data", str(served.data), "--out", str(served.model), "--no-tune")
    reload_served(served)
    new = api(served, "/health")["model"]["model_version"]
    assert new != old
    page.fill("#slate-search", film["title"].lower())  # an answer of the new model
    page.wait_for_selector("#model-changed")
    page.get_by_role("button", name="Plan", exact=True).click()  # the same plan: replayed
    page.wait_for_selector("text=Open this campaign")
    notice = page.inner_text("#model-changed")
    assert new in notice and old not in notice
    watched.console_errors.clear()  # the lost answer's failed request
    watched.assert_clean()
