"""Catalog search, a film's details, its audience (JSON, CSV, summary) and comparable films.

Film ids may hold any character, slashes included (``{film_id:path}``); the film-detail route
is declared last so that the ``/audience``, ``/similar`` ... routes match first.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from recommender.query.audience import AudiencePage, audience_summary
from recommender.query.catalog import search_body
from recommender.query.filters import (
    NO_VALUE,
    SEGMENT_WORDS,
    parse_filters,
    resolve_filters,
)
from recommender.query.limits import MAX_QUERY
from recommender.query.linkable import check_filtered
from recommender.query.page_size import check_search_limit
from recommender.query.pseudonym import pseudonymize_page
from recommender.query.recommend import similar_films
from recommender.query.search_kinds import MATCH_HELP, MatchMode
from service.access_log import page_rows, pseudonym_key, record_export
from service.bodies import audience_csv_text, render_page, ring_page
from service.body_cache import audience_body, audience_page
from service.deps import EngineDep, ServiceDep, SettingsDep
from service.download_headers import ESCAPED, cut_parts, download_headers, header_schema
from service.raw_ids import DETAIL_PATH, SCOPE_KEY
from service.routes import INVALID, NO_PSEUDONYM_KEY, NOT_FOUND
from service.schemas import (
    MAX_OFFSET,
    Audience,
    FilmDetail,
    FilmSearch,
    SimilarFilms,
)
from service.summary_schemas import AudienceSummary

router = APIRouter(tags=["films"])

K = Annotated[int, Query(ge=1, description="page size (users; at most RECOMMENDER_MAX_K)",
                         json_schema_extra={"x-maximum": "max_k"})]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="ranks to skip (users)")]
#: the similar films' page and the search's offset count films, not users
SimilarK = Annotated[int, Query(ge=1, description="page size (films; at most "
                                                  "RECOMMENDER_MAX_K)",
                                json_schema_extra={"x-maximum": "max_k"})]
FilmOffset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="films to skip")]
ExcludeSeen = Annotated[bool, Query(description="leave out users who already watched it")]
Segment = Annotated[str | None, Query(description=SEGMENT_WORDS,
                                      json_schema_extra={"x-vocabulary": "segment"})]
Tier = Annotated[str | None, Query(description="only this ring: core, extended or broad (any "
                                               "case); offset 0 is the ring's first user",
                                   json_schema_extra={"x-vocabulary": "tier"})]
With = Annotated[list[str], Query(
    alias="with", description="extra columns, comma-separated or repeated: title, "
                              "segment_label (it reads 'hidden' for a segment of fewer users "
                              "than min_cell, which GET /segments withholds) or a user "
                              "attribute (e.g. with=title,region)",
    json_schema_extra={"x-vocabulary": "with"})]
Filters = Annotated[list[str], Query(
    alias="filter", description="only users with this attribute, as ATTRIBUTE=VALUE "
                                "(repeatable, e.g. filter=region=north; "
                                "filter=region=(no value) for the users without one)",
    json_schema_extra={"x-vocabulary": "filter"})]
Pseudonymize = Annotated[bool, Query(
    description="replace user ids by their keyed HMAC-SHA256 (p-<hex>; the server's "
                "RECOMMENDER_PSEUDONYM_KEY; 403 when it has none). Beside pseudonyms the "
                "filter's attributes (and the CSV's with= columns) must single nobody out: a "
                "422 when a user they match shares those values with fewer than "
                "RECOMMENDER_MIN_CELL of the model's users (a limit that depends on the "
                "data, so schema-valid requests may meet it)")]


@router.get("/films", response_model=FilmSearch, responses=INVALID,
            summary="Search the catalog by title (typos, accents, articles and the year "
                    "forgiven; best match first, then most watched) or exact film id")
def search(
    engine: EngineDep,
    settings: SettingsDep,
    query: Annotated[str, Query(description="a title or part of one, any case; a year may "
                                            "follow (godfather 1972); empty = all",
                                max_length=MAX_QUERY)] = "",
    limit: Annotated[int, Query(ge=1, description="page size (films; at most "
                                                  "RECOMMENDER_MAX_SEARCH_LIMIT)",
                                json_schema_extra={"x-maximum": "max_search_limit"})] = 20,
    offset: FilmOffset = 0,
    genre: Annotated[str | None, Query(description="only films of this genre (any case; spaces, "
                                                   "hyphens and punctuation ignored where "
                                                   "that names one genre)",
                                       json_schema_extra={"x-vocabulary": "genre"})] = None,
    match: Annotated[MatchMode, Query(description=MATCH_HELP)] = "any",
) -> dict[str, Any]:
    check_search_limit(limit, settings.max_search_limit)
    return search_body(engine.model, query, limit, offset, genre, counts=engine.film_counts,
                       match=match)


async def _audience_page(engine: EngineDep, film_id: str, k: int, offset: int,
                         exclude_seen: bool, segment: str | None, filters: list[str],
                         tier: str | None) -> AudiencePage:
    parsed = parse_filters(filters)
    if segment is None and not parsed and tier is None:
        return await audience_page(engine, film_id, k, offset, exclude_seen)
    return await run_in_threadpool(ring_page, engine, film_id, k, offset, exclude_seen,
                                   segment, parsed, tier)


@router.get("/films/{film_id:path}/audience", response_model=Audience,
            responses={**NOT_FOUND, **INVALID, **NO_PSEUDONYM_KEY},
            summary="The film's audience: users ranked by how likely they are to watch it")
async def audience(
    request: Request, film_id: str, engine: EngineDep, service: ServiceDep, k: K = 100,
    offset: Offset = 0, exclude_seen: ExcludeSeen = True, segment: Segment = None,
    filters: Filters = [], pseudonymize: Pseudonymize = False,  # noqa: B006
    tier: Tier = None,
) -> Response:
    def logged(body: bytes) -> Response:  # the export log (service/access_log.py)
        record_export(request, film_id=film_id, rows=page_rows(body),
                      pseudonymized=pseudonymize, k=k, offset=offset,
                      exclude_seen=exclude_seen, segment=segment, filters=filters or None,
                      tier=tier)
        return Response(body, media_type="application/json")

    if pseudonymize:  # a key is needed first; the cached bodies hold raw ids
        key = pseudonym_key(service.settings)
        cell = service.settings.min_cell
        page = await _audience_page(engine, film_id, k, offset, exclude_seen, segment, filters,
                                    tier)
        # a filter's attributes are in every row as surely as a column (linkable)
        check_filtered(engine.model, resolve_filters(engine.model, parse_filters(filters),
                                                     cell), (), page.user_idx, cell)
        return logged(render_page(pseudonymize_page(page, key)))
    # The body is the response model's JSON, rendered once per (model version, request) and
    # kept in the service's body cache: repeated requests for the same page cost a dictionary
    # look-up. service/fastpath.py answers most of these requests before they reach this route.
    if segment is None and not filters and tier is None:
        body = await audience_body(service.bodies, engine, film_id, k, offset, exclude_seen)
    else:
        page = await _audience_page(engine, film_id, k, offset, exclude_seen, segment, filters,
                                    tier)
        body = render_page(page)
    return logged(body)


@router.get("/films/{film_id:path}/audience.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}},
                             "description": "film_id,user_id,rank,score,percentile,tier,segment",
                             "headers": {"X-Audience-Note": header_schema(
                                 "the page's note, when its users are in no meaningful order "
                                 f"(the JSON page's note); {ESCAPED}")}},
                       **NOT_FOUND, **INVALID, **NO_PSEUDONYM_KEY},
            summary="The film's audience as a CSV download")
async def audience_csv(
    request: Request, film_id: str, engine: EngineDep, settings: SettingsDep, k: K = 100,
    offset: Offset = 0, exclude_seen: ExcludeSeen = True, segment: Segment = None,
    filters: Filters = [], pseudonymize: Pseudonymize = False,  # noqa: B006
    tier: Tier = None, with_: With = [],  # noqa: B006
) -> Response:
    key = pseudonym_key(settings) if pseudonymize else None
    page = await _audience_page(engine, film_id, k, offset, exclude_seen, segment, filters,
                                tier)
    if key is not None:
        page = pseudonymize_page(page, key)
    # the one audience CSV writer (export.audience_csv: renderer text, csvsafe cells); an
    # unknown with= column fails here, before the export is logged
    # beside pseudonyms, the filters' attributes are checked with the columns (linkable)
    cut_by = (resolve_filters(engine.model, parse_filters(filters), settings.min_cell)
              if key and filters else None)
    text = await run_in_threadpool(audience_csv_text, engine.model, page, with_, bool(key),
                                   settings.min_cell, cut_by)
    record_export(request, film_id=film_id, rows=len(page.user_ids), pseudonymized=bool(key),
                  k=k, offset=offset, exclude_seen=exclude_seen, segment=segment,
                  filters=filters or None, tier=tier, **{"with": with_ or None})
    # the file says which cut it holds, as the Studio names it: ring, segment, filters, page;
    # and a ranking with its viewers, or pseudonyms, which were named as the default download
    # (ring, segment and filters as the model names them: 'tier=Extended&segment=heavy' was
    # named ..._Extended_segmentheavy, another name for the ..._extended_segment7 file)
    filtered = (f"{a}={v or NO_VALUE}"
                for a, vs in resolve_filters(engine.model, parse_filters(filters),
                                             settings.min_cell).items()
                for v in vs)
    cut = cut_parts(engine.model, page, segment, bool(key), offset,
                    [*filtered, "" if exclude_seen else "with_viewers"], settings.min_cell)
    # the page's note (users in no meaningful order), which a row cannot carry
    headers = download_headers(["audience", film_id, *cut], {"X-Audience-Note": page.note},
                               ids=(1,))
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/films/{film_id:path}/audience/summary", response_model=AudienceSummary,
            responses={**NOT_FOUND, **INVALID},
            summary="Tiers with expected conversion, segment breakdown, demographic portrait")
def summary(film_id: str, engine: EngineDep, settings: SettingsDep,
            exclude_seen: ExcludeSeen = True,
            tier: Annotated[str | None, Query(
                description="whom the portrait pictures: core, extended, broad, several "
                            "joined by ',' (adjacent rings) or all (the whole ranking); "
                            "default core + extended",
                json_schema_extra={"x-vocabulary": "tiers"})] = None,
            ) -> dict[str, Any]:
    return audience_summary(engine.model, film_id, exclude_seen=exclude_seen, tier=tier,
                            min_cell=settings.min_cell)


@router.get("/films/{film_id:path}/similar", response_model=SimilarFilms,
            responses={**NOT_FOUND, **INVALID}, summary="Comparable films")
def similar(film_id: str, engine: EngineDep, k: SimilarK = 10) -> dict[str, Any]:
    engine.check_page(k, 0)
    return similar_films(engine.model, film_id, k).similar_json(engine.model, film_id)


@router.get("/films/{film_id:path}", response_model=FilmDetail, responses=NOT_FOUND,
            summary="A catalog entry and its audience statistics")
def film(film_id: str, engine: EngineDep, settings: SettingsDep) -> dict[str, Any]:
    return engine.film_details(film_id, min_cell=settings.min_cell)


@router.get(DETAIL_PATH, response_model=FilmDetail, include_in_schema=False)
def film_by_raw_id(request: Request, engine: EngineDep, settings: SettingsDep
                   ) -> dict[str, Any]:
    """``film`` for an id that ends like a film route's suffix (``service/raw_ids.py``)."""
    film_id = request.scope.get(SCOPE_KEY)
    if not isinstance(film_id, str):
        raise HTTPException(404, "Not Found")
    return film(film_id, engine, settings)
