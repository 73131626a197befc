"""Audiences without a known film: lookalikes of a seed list, cold start for a new film.

A new film's summary (``POST /audiences/cold-start/summary``) is a film summary's body over
its ranking, ``recommender cold-start ... --summary --json``'s bytes.

A new film's audience comes as JSON and as a CSV download (``POST /audiences/cold-start.csv``,
the same body): the bytes ``recommender cold-start ... --csv`` prints, its notes in headers;
both take ``pseudonymize=true`` (user ids as the audience exports' pseudonyms).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response

from recommender.distribution.cold_summary import cold_start_summary
from recommender.errors import AboveLimitError
from recommender.query.audience import cold_start_page, lookalikes
from recommender.query.commas import refuse_comma_lists
from recommender.query.comparable_limit import check_comparable_count
from recommender.query.export import audience_csv
from recommender.query.hints import skipped_hints
from recommender.query.pages import AudiencePage
from recommender.query.pseudonym import pseudonymize_page
from recommender.query.render import resolve_with
from recommender.query.seed_ids import unknown_fields
from service.access_log import pseudonym_key, record_export
from service.cold_start_schemas import (
    ColdStartAudience,
    ColdStartSummary,
    ColdStartSummaryRequest,
)
from service.deps import EngineDep, SettingsDep
from service.download_headers import ESCAPED, cut_parts, download_headers, header_schema
from service.json_body import JsonRoute
from service.lookalike_schemas import LookalikeAudience, LookalikeRequest
from service.routes import INVALID, NO_PSEUDONYM_KEY, NOT_FOUND
from service.routes.films import Pseudonymize, With
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


def _cold_start(body: ColdStartRequest, engine: Any, settings: Any
                ) -> tuple[AudiencePage, list[str]]:
    """A new film's page and its unknown comparable films, the JSON's and the CSV's."""
    engine.check_page(body.k, body.offset)
    check_comparable_count(body.comparable_film_ids, settings.max_comparable_films)
    refuse_comma_lists(engine.model, body.comparable_film_ids, body.genres, http=True)
    return cold_start_page(engine.model, body.comparable_film_ids, body.genres, body.k,
                           body.offset, segment=body.segment, tier=body.tier,
                           min_cell=settings.min_cell)


def _export_params(body: ColdStartRequest) -> dict[str, Any]:
    """What decides a new film's rows, as its export log line records it."""
    return {"k": body.k, "offset": body.offset,
            "comparable_film_ids": body.comparable_film_ids or None,
            "genres": body.genres or None, "segment": body.segment, "tier": body.tier}


@router.post("/audiences/cold-start", response_model=ColdStartAudience,
             responses={**NOT_FOUND, **INVALID, **NO_PSEUDONYM_KEY},
             summary="The audience of a film with no history, from comparable films and genres "
                     "(unknown comparable films skipped and listed)")
def cold_start(body: ColdStartRequest, request: Request, engine: EngineDep,
               settings: SettingsDep, pseudonymize: Pseudonymize = False) -> dict[str, Any]:
    key = pseudonym_key(settings) if pseudonymize else None  # as the film audience JSON's
    page, unknown = _cold_start(body, engine, settings)
    if key is not None:  # user ids as p-<HMAC>, as `cold-start --json --pseudonymize` prints
        page = pseudonymize_page(page, key)
    record_export(request, rows=len(page.user_ids), pseudonymized=key is not None,
                  **_export_params(body))
    return {**page.to_json(), "unknown_film_ids": unknown,
            "unknown_film_hints": skipped_hints(engine.model, unknown)}


@router.post("/audiences/cold-start/summary", response_model=ColdStartSummary,
             responses={**NOT_FOUND, **INVALID},
             summary="A film with no history's tiers with expected conversion (its comparables' "
                     "calibrations mixed), segment breakdown and demographic portrait")
def cold_start_summary_route(body: ColdStartSummaryRequest, engine: EngineDep,
                             settings: SettingsDep) -> dict[str, Any]:
    check_comparable_count(body.comparable_film_ids, settings.max_comparable_films)
    refuse_comma_lists(engine.model, body.comparable_film_ids, body.genres, http=True)
    return cold_start_summary(engine.model, body.comparable_film_ids, body.genres,
                              tier=body.tier, min_cell=settings.min_cell)


CSV_HEADERS = {
    "X-Audience-Note": header_schema("the page's note (comparable films with nothing fitted "
                                     "left out, or users in no meaningful order), as the "
                                     f"JSON's note; {ESCAPED}"),
    "X-Genres-Only": header_schema("the JSON's genres_only: the new film is placed by its "
                                   "genres alone (no comparable film given is known); "
                                   "escaped alike"),
    "X-Unknown-Film-Ids": header_schema("the comparable film ids the model does not know "
                                        "(skipped), as a JSON array in ASCII"),
}


@router.post("/audiences/cold-start.csv", response_class=Response,
             responses={200: {"content": {"text/csv": {}},
                              "description": "film_id (empty: no film),user_id,rank,score,"
                                             "percentile,tier,segment, then the with= columns: "
                                             "the bytes `recommender cold-start ... --csv` "
                                             "prints",
                              "headers": CSV_HEADERS},
                        **NOT_FOUND, **INVALID, **NO_PSEUDONYM_KEY},
             summary="The audience of a film with no history as a CSV download (the body of "
                     "POST /audiences/cold-start)")
def cold_start_csv(body: ColdStartRequest, request: Request, engine: EngineDep,
                   settings: SettingsDep, with_: With = [],  # noqa: B006
                   pseudonymize: Pseudonymize = False) -> Response:
    key = pseudonym_key(settings) if pseudonymize else None  # as audience.csv's
    page, unknown = _cold_start(body, engine, settings)
    if key is not None:  # user ids as p-<HMAC>, as `cold-start --csv --pseudonymize` writes
        page = pseudonymize_page(page, key)
    # the one audience CSV writer, as the CLI calls it (beside pseudonyms the with= columns
    # single nobody out); an unknown with= column fails here, before the export is logged
    columns = resolve_with(engine.model, with_, "with")
    text = audience_csv(engine.model, page, None, columns, key is not None or None,
                        settings.min_cell)
    params: dict[str, Any] = {**_export_params(body), "with": with_ or None}
    record_export(request, rows=len(page.user_ids), pseudonymized=key is not None, **params)
    cut = cut_parts(engine.model, page, body.segment, key is not None, body.offset,
                    min_cell=settings.min_cell)
    headers = download_headers(["cold_start_audience", *cut], {
        "X-Audience-Note": page.note, "X-Genres-Only": (page.extra or {}).get("genres_only")})
    if unknown:
        headers["X-Unknown-Film-Ids"] = json.dumps(unknown)
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)
