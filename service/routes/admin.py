"""``POST /admin/reload``: load a model folder fully, validate it, then swap it in atomically.

Requests already running finish on the model they started with. The API key is checked
before the body is read, so an unauthenticated caller always gets 401.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from recommender.query.catalog import model_info
from service.deps import AdminDep, ServiceDep
from service.routes import INVALID, UNAUTHORIZED
from service.schemas import Error, Reloaded, ReloadRequest
from service.state import ReloadError

router = APIRouter(tags=["admin"])


@router.post(
    "/admin/reload", response_model=Reloaded,
    responses={**UNAUTHORIZED, **INVALID,
               409: {"model": Error, "description": "the new model could not be loaded; the "
                                                    "old one keeps serving (detail says why)"}},
    openapi_extra={"requestBody": {"required": False, "content": {
        "application/json": {"schema": ReloadRequest.model_json_schema()}}}},
    summary="Reload the model from disk without downtime",
)
async def reload(request: Request, service: ServiceDep, _: AdminDep) -> dict[str, Any]:
    raw = await request.body()
    path = None
    if raw.strip():
        try:
            path = ReloadRequest.model_validate_json(raw).model_path
        except ValidationError as e:
            errors = [{**err, "loc": ("body", *err["loc"])} for err in e.errors()]
            raise RequestValidationError(errors) from None
    try:
        previous, engine, seconds = await run_in_threadpool(service.reload, path)
    except ReloadError as e:
        current = service.engine.version if service.engine is not None else "none"
        raise HTTPException(409, f"reload failed, still serving model {current}: {e}") from None
    request.state.model_version = engine.version
    return {"status": "reloaded", "previous_version": previous,
            "model_version": engine.version, "seconds": round(seconds, 3),
            "model": {**model_info(engine.model), "path": engine.path}}
