"""Audience Studio, the marketers' web app: static files at /studio, and / redirects there."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

STUDIO_DIR = Path(__file__).resolve().parents[1] / "studio"

router = APIRouter(include_in_schema=False)


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/studio/", status_code=307)


@router.get("/studio")
async def studio_no_slash() -> RedirectResponse:
    return RedirectResponse("/studio/", status_code=307)


@router.get("/studio/")
async def studio() -> FileResponse:
    # the page is small and changes with the package: no caching across upgrades
    return FileResponse(STUDIO_DIR / "index.html", media_type="text/html",
                        headers={"Cache-Control": "no-cache"})


def install(app: FastAPI) -> None:
    """Serve the studio's files on ``app`` (every number they show comes from the public API)."""
    app.mount("/studio/assets", StaticFiles(directory=STUDIO_DIR), name="studio")
    app.include_router(router)
