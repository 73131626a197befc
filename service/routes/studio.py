"""Audience Studio, the marketers' web app: static files at /studio, and / redirects there."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

STUDIO_DIR = Path(__file__).resolve().parents[1] / "studio"

router = APIRouter(include_in_schema=False)


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/studio/", status_code=307)


@router.get("/studio")
async def studio_no_slash() -> RedirectResponse:
    return RedirectResponse("/studio/", status_code=307)


class RevalidatedFiles(StaticFiles):
    """Static files the browser checks before each use (``Cache-Control: no-cache``: a 304
    while the ETag holds). The modules' URLs carry no version, so heuristic caching kept an
    upgrade's old modules beside its new ones, or all of them old after a reload."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        return response


FILES = RevalidatedFiles(directory=STUDIO_DIR)


@router.get("/studio/", response_class=FileResponse)
async def studio(request: Request) -> Response:
    # the page is small and changes with the package: no caching across upgrades. Served as
    # its modules are, so that the browser's revalidation (If-None-Match) gets its 304: a
    # FileResponse sent the whole page again with the very ETag the browser asked about
    return await FILES.get_response("index.html", request.scope)


def install(app: FastAPI) -> None:
    """Serve the studio's files on ``app`` (every number they show comes from the public API)."""
    app.mount("/studio/assets", FILES, name="studio")
    app.include_router(router)
