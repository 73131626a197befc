"""Audiences without a known film: lookalikes of a seed list, cold start for a new film."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from recommender.errors import AboveLimitError
from recommender.query.audience import cold_start_page, lookalikes
from recommender.query.commas import refuse_comma_lists
from recommender.query.comparable_limit import check_comparable_count
from recommender.query.hints import skipped_hints
from recommender.query.seed_ids import unknown_fields
from service.access_log import record_export
from service.cold_start_schemas import ColdStartAudience
from service.deps import EngineDep, SettingsDep
from service.json_body import JsonRoute
from service.lookalike_schemas import LookalikeAudience, LookalikeRequest
from service.routes import INVALID, NOT_FOUND
from service.schemas import (
    ColdStartRequest,
)

router = APIRouter(tags=["audiences"], route_class=JsonRoute)


@router.post("/audiences/lookalike", response_model=LookalikeAudience,
             responses={**NOT_FOUND, **INVALID},
             summary="The users most like a seed list (the seeds excluded)")
def lookalike(body: LookalikeRequest, request: Request, engine: EngineDep,
              settings: SettingsDep) -> dict[str, Any]:
    engine.check_page(body.k, body.offset)
    if len(body.seed_user_ids) > settings.max_seed_users:
        raise AboveLimitError("seed_user_ids", len(body.seed_user_ids), settings.max_seed_users,
                              f"seed_user_ids may hold at most {settings.max_seed_users} "
                              f"ids, got {len(body.seed_user_ids)}")
    page, unknown = lookalikes(engine.model, body.seed_user_ids, body.k, body.offset,
                               tier=body.tier)
    record_export(request, rows=len(page.user_ids), k=body.k, offset=body.offset,
                  tier=body.tier, seed_users=len(body.seed_user_ids))  # the export log
    return {**page.to_json(), **unknown_fields(engine.model.users, unknown)}


@router.post("/audiences/cold-start", response_model=ColdStartAudience,
             responses={**NOT_FOUND, **INVALID},
             summary="The audience of a film with no history, from comparable films and genres "
                     "(unknown comparable films skipped and listed)")
def cold_start(body: ColdStartRequest, request: Request, engine: EngineDep,
               settings: SettingsDep) -> dict[str, Any]:
    engine.check_page(body.k, body.offset)
    check_comparable_count(body.comparable_film_ids, settings.max_comparable_films)
    refuse_comma_lists(engine.model, body.comparable_film_ids, body.genres, http=True)
    page, unknown = cold_start_page(engine.model, body.comparable_film_ids, body.genres,
                                    body.k, body.offset, segment=body.segment, tier=body.tier)
    record_export(request, rows=len(page.user_ids), k=body.k, offset=body.offset,
                  comparable_film_ids=body.comparable_film_ids or None,
                  genres=body.genres or None, segment=body.segment, tier=body.tier)
    return {**page.to_json(), "unknown_film_ids": unknown,
            "unknown_film_hints": skipped_hints(engine.model, unknown)}
