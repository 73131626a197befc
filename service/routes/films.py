"""Catalog search, a film's details, its audience (JSON, CSV, summary) and comparable films.

Film ids may hold any character, slashes included (``{film_id:path}``); the film-detail route
is declared last so that the ``/audience``, ``/similar`` ... routes match first.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from recommender.errors import InvalidParameterError
from recommender.io.columns import AUDIENCE_COLUMNS, FILM_ID
from recommender.query.audience import AudiencePage, audience_summary
from recommender.query.filters import parse_filters
from recommender.query.recommend import similar_films
from service.bodies import render_page
from service.body_cache import audience_body, audience_page
from service.deps import EngineDep, ServiceDep, SettingsDep
from service.routes import INVALID, NOT_FOUND
from service.schemas import (
    MAX_OFFSET,
    Audience,
    AudienceSummary,
    FilmDetail,
    FilmSearch,
    SimilarFilms,
)

router = APIRouter(tags=["films"])

K = Annotated[int, Query(ge=1, description="page size (at most RECOMMENDER_MAX_K)")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="ranks to skip")]
ExcludeSeen = Annotated[bool, Query(description="leave out users who already watched it")]
Segment = Annotated[int | None, Query(ge=0, description="only users of this segment")]
Filters = Annotated[list[str], Query(
    alias="filter", description="only users with this attribute, as ATTRIBUTE=VALUE "
                                "(repeatable, e.g. filter=region=north)")]


@router.get("/films", response_model=FilmSearch, responses=INVALID,
            summary="Search the catalog by title substring (or exact film id)")
def search(
    engine: EngineDep,
    settings: SettingsDep,
    query: Annotated[str, Query(description="part of the title, any case; empty = all",
                                max_length=1000)] = "",
    limit: Annotated[int, Query(ge=1, description="page size")] = 20,
    offset: Offset = 0,
    genre: Annotated[str | None, Query(description="only films of this genre")] = None,
) -> dict[str, Any]:
    if limit > settings.max_search_limit:
        raise InvalidParameterError(
            f"limit must be in [1, {settings.max_search_limit}], got {limit}")
    total, rows = engine.search_films(query, limit, offset, genre)
    return {"query": query, "genre": genre, "total": total, "offset": offset, "limit": limit,
            "films": rows}


async def _audience_page(engine: EngineDep, film_id: str, k: int, offset: int,
                         exclude_seen: bool, segment: int | None, filters: list[str]
                         ) -> AudiencePage:
    parsed = parse_filters(filters)
    if segment is None and not parsed:
        return await audience_page(engine, film_id, k, offset, exclude_seen)
    return await run_in_threadpool(engine.audience, film_id, k, offset, exclude_seen,
                                   segment, parsed)


@router.get("/films/{film_id:path}/audience", response_model=Audience,
            responses={**NOT_FOUND, **INVALID},
            summary="The film's audience: users ranked by how likely they are to watch it")
async def audience(
    film_id: str, engine: EngineDep, service: ServiceDep, k: K = 100, offset: Offset = 0,
    exclude_seen: ExcludeSeen = True, segment: Segment = None, filters: Filters = [],  # noqa: B006
) -> Response:
    # The body is the response model's JSON, rendered once per (model version, request) and
    # kept in the service's body cache: repeated requests for the same page cost a dictionary
    # look-up. service/fastpath.py answers most of these requests before they reach this route.
    if segment is None and not filters:
        body = await audience_body(service.bodies, engine, film_id, k, offset, exclude_seen)
    else:
        page = await _audience_page(engine, film_id, k, offset, exclude_seen, segment, filters)
        body = render_page(page)
    return Response(body, media_type="application/json")


def _safe_filename(film_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", film_id)[:80] or "film"


@router.get("/films/{film_id:path}/audience.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}},
                             "description": "film_id,user_id,rank,score,percentile,tier,segment"},
                       **NOT_FOUND, **INVALID},
            summary="The film's audience as a CSV download")
async def audience_csv(
    film_id: str, engine: EngineDep, k: K = 100, offset: Offset = 0,
    exclude_seen: ExcludeSeen = True, segment: Segment = None, filters: Filters = [],  # noqa: B006
) -> Response:
    page = await _audience_page(engine, film_id, k, offset, exclude_seen, segment, filters)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(AUDIENCE_COLUMNS)
    for r in page.rows():
        row = {**r, FILM_ID: film_id}
        writer.writerow(["" if row[c] is None else row[c] for c in AUDIENCE_COLUMNS])
    name = f"audience_{_safe_filename(film_id)}.csv"
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/films/{film_id:path}/audience/summary", response_model=AudienceSummary,
            responses={**NOT_FOUND, **INVALID},
            summary="Tiers with expected conversion, segment breakdown, demographic portrait")
def summary(film_id: str, engine: EngineDep, exclude_seen: ExcludeSeen = True
            ) -> dict[str, Any]:
    return audience_summary(engine.model, film_id, exclude_seen=exclude_seen)


@router.get("/films/{film_id:path}/similar", response_model=SimilarFilms,
            responses={**NOT_FOUND, **INVALID}, summary="Comparable films")
def similar(film_id: str, engine: EngineDep, k: K = 10) -> dict[str, Any]:
    engine.check_page(k, 0)
    films = similar_films(engine.model, film_id, k)
    return {"film_id": film_id, "films": films.rows(engine.model)}


@router.get("/films/{film_id:path}", response_model=FilmDetail, responses=NOT_FOUND,
            summary="A catalog entry and its audience statistics")
def film(film_id: str, engine: EngineDep) -> dict[str, Any]:
    return engine.film_details(film_id)
