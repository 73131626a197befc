"""Audience Studio, the marketers' web app: static files at /studio, and / redirects there."""

from __future__ import annotations

import hashlib
import os
from email.utils import formatdate
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.staticfiles import NotModifiedResponse
from starlette.types import Scope

from service.deps import PageRoute
from service.studio_js import stripped

STUDIO_DIR = Path(__file__).resolve().parents[1] / "studio"

router = APIRouter(include_in_schema=False, route_class=PageRoute)  # any query taken


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


@lru_cache(maxsize=128)
def _module(path: str, mtime_ns: int, size: int) -> bytes:
    """The module at ``path`` as sent, read again when its time or size changes."""
    del mtime_ns, size  # the cache's key only
    return stripped(Path(path).read_text(encoding="utf-8")).encode("utf-8")


class StudioFiles(RevalidatedFiles):
    """The Studio's files, its JavaScript modules sent without their comments
    (service/studio_js.py): the browser runs the same code in about two thirds of the bytes.
    Their ETag is the bytes sent's, so a 304 holds until the module sent changes."""

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result,
                      scope: Scope, status_code: int = 200) -> Response:
        if not str(full_path).endswith(".js"):
            return super().file_response(full_path, stat_result, scope, status_code)
        body = _module(str(full_path), stat_result.st_mtime_ns, stat_result.st_size)
        headers = {
            "etag": f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"',
            "last-modified": formatdate(stat_result.st_mtime, usegmt=True),
            "content-length": str(len(body))}
        if self.is_not_modified(Headers(headers), Headers(scope=scope)):
            return NotModifiedResponse(Headers(headers))
        return Response(b"" if scope["method"] == "HEAD" else body, status_code=status_code,
                        media_type="text/javascript", headers=headers)


FILES = StudioFiles(directory=STUDIO_DIR)


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
