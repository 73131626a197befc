"""The API's own pages, /docs and /redoc, served with vendored assets so they work offline."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from service.deps import PageRoute
from service.routes.studio import RevalidatedFiles

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
STATIC_URL = "/static"
SWAGGER = f"{STATIC_URL}/vendor/swagger-ui"
REDOC = f"{STATIC_URL}/vendor/redoc"

router = APIRouter(include_in_schema=False, route_class=PageRoute)  # any query taken


@router.get("/docs", response_class=HTMLResponse)
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json", title="Film audience engine: API docs",
        swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png")


@router.get("/redoc", response_class=HTMLResponse)
async def redoc() -> HTMLResponse:
    return get_redoc_html(
        openapi_url="/openapi.json", title="Film audience engine: API reference",
        redoc_js_url=f"{REDOC}/redoc.standalone.js",
        redoc_favicon_url=f"{SWAGGER}/favicon-32x32.png", with_google_fonts=False)


def install(app: FastAPI) -> None:
    """Serve the packaged static files and the offline docs pages on ``app``."""
    # revalidated as the Studio's files are: their URLs carry no version, and without a
    # Cache-Control a browser kept them by heuristic (a tenth of their age) past an upgrade
    app.mount(STATIC_URL, RevalidatedFiles(directory=STATIC_DIR), name="static")
    app.include_router(router)
