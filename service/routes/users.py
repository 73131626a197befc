"""Films for a user."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from recommender.query.attribute_values import user_attributes as attributes_of
from recommender.query.recommend import recommend_for_watched
from service.body_cache import recommendations_body
from service.deps import EngineDep, ServiceDep, SettingsDep
from service.json_body import JsonRoute
from service.routes import INVALID, NOT_FOUND
from service.schemas import (
    Recommendations,
    UserAttributes,
    WatchedRecommendations,
    WatchedRequest,
)

router = APIRouter(tags=["users"], route_class=JsonRoute)


@router.get("/users/attributes", response_model=UserAttributes,
            summary="The user attributes audiences can be filtered by, their values, and how many "
                    "users have none")
def user_attributes(engine: EngineDep, settings: SettingsDep) -> dict[str, Any]:
    return attributes_of(engine.model, settings.min_cell)


@router.get("/users/{user_id:path}/recommendations", response_model=Recommendations,
            responses={**NOT_FOUND, **INVALID},
            summary="Films for a user, with the watched films that explain each")
def recommendations(
    user_id: str,
    engine: EngineDep,
    service: ServiceDep,
    k: Annotated[int, Query(ge=1, description="how many films (at most RECOMMENDER_MAX_K)",
                            json_schema_extra={"x-maximum": "max_k"})] = 10,
    exclude_seen: Annotated[bool, Query(description="leave out films already watched")] = True,
) -> Response:
    # rendered as the response model would render it (tests/service/test_contract.py) and
    # cached: FastAPI's validation of the nested rows would cost more than computing them.
    # service/fastpath.py answers most of these requests before they reach this route.
    return Response(recommendations_body(service.bodies, engine, user_id, k, exclude_seen),
                    media_type="application/json")


@router.post("/recommendations", response_model=WatchedRecommendations,
             responses={**NOT_FOUND, **INVALID},
             summary="Films for a viewer the model does not know, from the films they watched "
                     "(unknown film ids skipped and listed)")
def recommendations_for_watched(body: WatchedRequest, engine: EngineDep) -> dict[str, Any]:
    engine.check_page(body.k, 0)
    films, unknown = recommend_for_watched(engine.model, body.film_ids, body.k)
    return films.watched_json(engine.model, unknown)
