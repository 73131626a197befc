"""Health, segments and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from recommender.query.catalog import model_info, segments_table
from service.deps import EngineDep, ServiceDep
from service.schemas import Health, SegmentList

router = APIRouter(tags=["system"])


@router.get("/health", response_model=Health, summary="Liveness and the served model")
async def health(engine: EngineDep) -> dict[str, Any]:
    return {"status": "ok", "model": {**model_info(engine.model), "path": engine.path},
            "audience_cache": dict(engine.warm_status)}


@router.get("/segments", response_model=SegmentList, tags=["audiences"],
            summary="Audience segments: id, label, size, top genres, representative films")
async def segments(engine: EngineDep) -> dict[str, Any]:
    return {"segments": segments_table(engine.model)}


@router.get("/metrics", summary="Prometheus metrics (text format)",
            response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "metrics"}})
def metrics(service: ServiceDep) -> Response:
    return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)
