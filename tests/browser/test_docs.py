"""The API's own pages work offline: /docs and /redoc load their assets from the server."""

from __future__ import annotations

from typing import Any


def test_swagger_ui_renders_offline(watched: Any, served_demo: Any) -> None:
    page = watched.page
    page.goto(f"{served_demo.base}/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
    assert "Film audience engine" in page.inner_text(".swagger-ui .info .title")
    # an operation from the schema is listed
    paths = page.locator(".opblock-summary-path")
    paths.first.wait_for(timeout=10_000)
    assert "/films/{film_id}/audience" in paths.all_inner_texts()
    watched.assert_clean()


def test_redoc_renders_offline(watched: Any, served_demo: Any) -> None:
    page = watched.page
    page.goto(f"{served_demo.base}/redoc")
    page.wait_for_selector("h1", timeout=20_000)
    assert "Film audience engine" in page.inner_text("h1")
    watched.assert_clean()
