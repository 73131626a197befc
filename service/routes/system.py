"""Health, segments and Prometheus metrics."""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from recommender.model.tuning import summary as tuning_summary
from recommender.query.catalog import model_info, segments_answer
from service.auth import key_access
from service.deps import EngineDep, ServiceDep, SettingsDep, details_hidden
from service.event_views import health_events, sees_store
from service.health_schemas import Health
from service.schemas import SegmentList
from service.settings import Settings
from service.shown_paths import path_details, shown_warning
from service.store_health import read_only_said

router = APIRouter(tags=["system"])


def limits(settings: Settings) -> dict[str, int]:
    """/health's ``limits``: the bounds a client sizes its requests by."""
    return {"max_k": settings.max_k, "max_seed_users": settings.max_seed_users,
            "max_comparable_films": settings.max_comparable_films,
            "max_slate_cells": settings.max_slate_cells}


@router.get("/health", response_model=Health, summary="Liveness and the served model")
async def health(engine: EngineDep, request: Request) -> dict[str, Any]:
    # open to all; with read keys configured, the model's details only for a caller with one
    hidden = details_hidden(request)
    # server paths in full to the admin key only (service/shown_paths.py)
    # the store's events counted to a caller shown the store's, else its own (event_views)
    # the segments counted at the server's minimum cell, as GET /segments lists them
    details = None if hidden else await health_events(path_details(
        {**model_info(engine.model, engine.min_cell), "path": engine.path}, request,
        sees_store(request)), request)
    sync = getattr(request.app.state, "events_sync", None)
    warm = dict(engine.warm_status)
    refused = shown_warning(request.app.state.service.refused_reason, request)
    store = sync.store_state if sync is not None else "ok"
    if hidden:  # its counts are the model's number of films
        warm.update(films=None, total=None)
    return {"status": "ok", "model": details,
            "audience_cache": warm,
            "tuning": None if hidden else tuning_summary(engine.model.meta),
            "limits": limits(request.app.state.service.settings),
            "model_folder_warning": None if hidden else refused,
            "campaign_store": store, "worker": os.getpid(),
            "problems": None if hidden else problems(
                refused, store, None if sync is None else sync.read_only_words()),
            "access": key_access(request.scope.get("headers", []), *request.app.state.key_rings),
            "campaign_store_checked_s": None if sync is None or sync.probed_age is None
            else round(sync.probed_age, 1)}


#: what each campaign_store state other than ok means for the routes, in a few words
_STORE = {"unavailable": "the campaign store is unavailable: its routes answer 503",
          "moved": "the campaign store was moved by `campaign copy`: events and plans answer "
                   "409 until the service is pointed at the copy",
          "failing": "the campaign store's disk is full or failing: a request it failed "
                     "answered 503, and writes may again until one succeeds or this worker's "
                     "probe finds the disk takes a block",
          "damaged": "the campaign store's file is damaged: its routes answer 503 without "
                     "Retry-After; restore it from a backup (`campaign backup`)",
          "schema_newer": "a newer engine migrated the campaign store: its routes answer 409; "
                          "upgrade this engine"}


def problems(refused: str | None, store: str, read_only: str | None = None) -> list[str]:
    """``/health``'s ``problems``: a short sentence for each thing that needs an operator.
    ``read_only``: what "read_only" means and its remedy, as a refused write's 503 says it
    (``StoreHealth.read_only_words``; None: ``read_only_said`` of an unknown store)."""
    said = []
    if refused:
        said.append("the model folder's current version, or the last reload, was refused "
                    "(model_folder_warning says why)")
    if store != "ok":  # a state this table lacks still needs an operator
        words = f"the campaign store {read_only or read_only_said()}: writes answer 503" \
            if store == "read_only" else _STORE.get(store, f"the campaign store is {store}")
        said.append(f"{words} (campaign_store)")
    return said


@router.get("/segments", response_model=SegmentList, tags=["audiences"],
            summary="Audience segments of at least min_cell users: id, label, size, top genres, "
                    "representative films")
async def segments(engine: EngineDep, settings: SettingsDep) -> dict[str, Any]:
    return segments_answer(engine.model, settings.min_cell)


@router.get("/metrics", summary="Prometheus metrics (text format)",
            response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "metrics"}})
def metrics(service: ServiceDep) -> Response:
    return Response(service.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
