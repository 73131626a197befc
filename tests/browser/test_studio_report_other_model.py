"""A report read on a server that serves another model than the plan's takes its places for
the dispersion check from that model, and its body says so (``dispersion.model_warning``,
naming both versions): the Studio said nothing, and the check's result read as the plan's
places. Oracle: the report body the server answers, and /health's model version."""

from __future__ import annotations

from typing import Any

from conftest import _cli, reload_served
from studio_http import api


def test_a_report_read_with_another_model_says_so(served_reloadable: Any, watched: Any) -> None:
    served, page = served_reloadable, watched.page
    film = api(served, "/films?limit=1")["films"][0]["film_id"]
    pid = api(served, "/campaigns/plan",
              {"films": [{"film_id": film, "budget": 20}], "seed": 11})["plan_id"]
    page.goto(f"{served.base}/studio/#/campaigns/{pid}")
    page.wait_for_selector("#report table")
    assert page.locator("#report-dispersion-model").count() == 0  # the plan's own model
    planned = api(served, "/health")["model"]["model_version"]
    _cli("train", "--data", str(served.data), "--out", str(served.model), "--no-tune")
    reload_served(served)
    served_now = api(served, "/health")["model"]["model_version"]
    assert served_now != planned
    warning = api(served, f"/campaigns/{pid}/report")["dispersion"]["model_warning"]
    assert served_now in warning and planned in warning
    page.goto(f"{served.base}/studio/#/overview")
    page.goto(f"{served.base}/studio/#/campaigns/{pid}")
    said = page.locator("#report-dispersion-model")
    said.wait_for()
    assert said.inner_text() == ("The check of conversion rates across places read another "
                                 f"model's places: {warning}.")
    watched.assert_clean()
