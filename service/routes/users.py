"""Films for a user."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from recommender.recommend import recommend_user
from service.deps import EngineDep
from service.routes import INVALID, NOT_FOUND
from service.schemas import Recommendations

router = APIRouter(tags=["users"])


@router.get("/users/{user_id:path}/recommendations", response_model=Recommendations,
            responses={**NOT_FOUND, **INVALID},
            summary="Films for a user, with the watched films that explain each")
def recommendations(
    user_id: str,
    engine: EngineDep,
    k: Annotated[int, Query(ge=1, description="how many films")] = 10,
    exclude_seen: Annotated[bool, Query(description="leave out films already watched")] = True,
) -> dict[str, Any]:
    engine.check_page(k, 0)
    films = recommend_user(engine.model, user_id, k, exclude_seen=exclude_seen)
    return {"user_id": user_id, "films": films.rows(engine.model)}
