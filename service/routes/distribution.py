"""Smart distribution over HTTP: a film's expected demand by place and a screen allocation.

Also for a film with no history, and for a slate opening together (each cinema's screens
shared among its films). The bodies are ``recommender.distribution.demand``'s, sent as
they are (``recommender distribution ... --json`` prints the same bytes).

This router is included before the films router: ``/films/{film_id:path}`` would otherwise take
``/films/X/distribution`` for a film id ``X/distribution``.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from recommender.distribution.demand import (
    MAX_SCREENS,
    SCREENS_BY,
    capped,
    cold_start_demand,
    demand_by_place,
)
from recommender.distribution.places import cinemas_for
from recommender.distribution.slate import (
    InfeasibleSlateError,
    SlateFilm,
    need_cinemas,
    plan_slate,
)
from recommender.distribution.slate_file import check_films, held, named
from recommender.errors import DataError
from recommender.io.places import CINEMA, PLACE_ATTRIBUTES, Cinemas
from recommender.io.text import listing
from recommender.query.commas import refuse_comma_lists
from recommender.query.comparable_limit import check_comparable_count
from service.cold_start_schemas import ColdStartInput
from service.deps import EngineDep, SettingsDep
from service.errors import Invalid
from service.json_body import JsonRoute
from service.routes import INVALID, NOT_FOUND
from service.schema_patterns import one_of
from service.schemas import (
    ALSO_TITLED_HELP,
    TITLE_HELP,
    YEAR_HELP,
    Error,
    NewFilm,
)
from service.sent import Sent
from service.slate_schemas import (  # noqa: F401 (MAX_SLATE_CINEMAS, SlateScreens: read here)
    MAX_SLATE_CINEMAS,
    CinemaScreens,
    SlateScreens,
    SlateScreensRequest,
    whole,
)

router = APIRouter(tags=["distribution"], route_class=JsonRoute)
log = logging.getLogger("recommender.service")
UNREADABLE_CINEMAS = ("the server's cinema table (RECOMMENDER_CINEMAS, or the model's "
                      "cinemas.csv) cannot be read; the server log says why")


def _server_table(engine: Any, settings: Any) -> Cinemas | None:
    """The server's cinema table (``RECOMMENDER_CINEMAS``, else the model's), or None. A table
    the server cannot read is the server's fault, not the request's: 503, its path and line
    in the log only."""
    try:
        return cinemas_for(engine.model, engine.path, settings.cinemas)
    except DataError as e:
        log.error("cinema table unreadable: %s", e)
        raise HTTPException(503, UNREADABLE_CINEMAS) from None


def _cinemas(engine: Any, settings: Any, by: str, screens: int | None) -> Cinemas | None:
    """The cinema table capping screens by cinema, city or region, or None
    (``_server_table``)."""
    if capped(by) and screens:  # " cinema" is the cinema, as check_place reads it
        return _server_table(engine, settings)
    if by.strip().lower() != CINEMA:
        return None
    try:  # each cinema's city only: a table the server cannot read leaves them null
        return cinemas_for(engine.model, engine.path, settings.cinemas)
    except DataError as e:  # said in the server's log, as _server_table says it
        log.warning("the cinema table is unreadable, so by=cinema's cities are null: %s", e)
        return None

BY_HELP = (f"the place attribute to break demand down by: one of {', '.join(PLACE_ATTRIBUTES)} "
           "that the model's users have")
SCREENS_HELP = ("screens (or showtimes) to share out in proportion to expected demand; capped "
                "by the screens of each cinema, city or region (by=cinema, city or region) "
                "when a cinemas.csv is loaded, where more than all its places' screens "
                "together is refused (a 422 names that total)")
PLACE: dict[str, Any] = {"x-vocabulary": "place"}  # schema_limits: the place attributes
By = Annotated[str, Query(description=BY_HELP, min_length=1, max_length=100,
                          json_schema_extra=PLACE)]


Screens = Annotated[int | None, Query(ge=1, le=MAX_SCREENS, description=SCREENS_HELP),
                    whole(1, MAX_SCREENS, text=True)]
SCREENS_BY_HELP = ("what screens follow: total (expected_total, the default: for a film in "
                   "its run past viewing dominates it) or new (expected_new, the film's new "
                   "audience); any case; without screens it changes nothing, and the body's "
                   "screens_by_note says so")
SCREENS_BY_PATTERN: dict[str, Any] = {"pattern": f"^\\s*{one_of(list(SCREENS_BY))}\\s*$"}
ScreensBy = Annotated[str | None, Query(description=SCREENS_BY_HELP, min_length=1,
                                        max_length=100, json_schema_extra=SCREENS_BY_PATTERN)]


class PlaceDemand(Sent):
    place: str = Field(description="the place; 'other' pools places under min_cell users")
    city: str | None = Field(None, description="by=cinema: the cinema's city in the cinema "
                                               "table (null: 'other', not in it, or another by)")
    users: int = Field(description="the model's users in the place")
    viewers: int = Field(description="users in the place who watched the film")
    expected_new: float = Field(description="users in the place expected to watch it within "
                                            "the calibration horizon (the sum of their "
                                            "probabilities; not the viewers)")
    expected_total: float = Field(description="viewers + expected_new (users)")
    share: float = Field(description="the place's share of the film's expected_total over all "
                                     "places (0-1)")
    user_share: float = Field(description="the place's share of the users with a place (0-1)")
    viewing_share: float = Field(description="the place's share of the interactions of the "
                                             "users with a place (0-1)")
    index_vs_users: float | None = Field(description="100 * share / user_share, in percent "
                                                     "(100 = as many as its users suggest; "
                                                     "null: user_share is 0)")
    index_vs_viewing: float | None = Field(description="100 * share / viewing_share, in percent "
                                                       "(100 = as its past viewing suggests; "
                                                       "null: viewing_share is 0)")
    screens: int | None = Field(description="screens allocated (null: none asked for)")
    capacity: int | None = Field(description="the place's cinemas' screens (null: not capped)")


class ScreenAllocation(Sent):
    total: int = Field(description="screens asked for, which the places' screens sum to")
    capped_by: str | None = Field(description="the cinema table that capped the allocation "
                                              "(null: not capped)")
    capacity: int | None = Field(description="screens of all the places' cinemas in the cinema "
                                             "table (null: not capped)")
    warning: str | None = Field(None, description="why the allocation is not capped (by="
                                                  "cinema without a cinema table, a table "
                                                  "without the city or region), or which "
                                                  "places users name the table lacks")
    note: str | None = Field(None, description="when the 'other' row has screens and pools "
                                               "places: they go to its pooled places "
                                               "together, one block (null otherwise, and for "
                                               "the data's own 'other' alone)")


class WithoutPlace(Sent):
    users: int = Field(description="users with no value of the attribute, in no place")
    viewers: int | None = Field(description="users without a place who watched the film "
                                            "(null: hidden under min_cell users, see units)")
    expected_new: float | None = Field(description="users without a place expected to watch it "
                                                   "within the calibration horizon (null: "
                                                   "hidden, as viewers)")
    expected_total: float | None = Field(description="viewers + expected_new (users; null: "
                                                     "hidden, as viewers)")


class Distribution(Sent):
    sometimes = frozenset({"cold_start"})  # POST /distribution/cold-start's alone
    film_id: str | None = Field(description="the film; null for a film with no history "
                                            "(POST /distribution/cold-start)")
    title: str | None = Field(description=f"{TITLE_HELP}; null for a film with no history")
    year: int | None = Field(description=f"{YEAR_HELP}, and for a film with no history")
    also_titled: list[str] | None = Field(description=f"{ALSO_TITLED_HELP} (and for a film "
                                                      "with no history)")
    by: str
    min_cell: int = Field(description="places with fewer users are merged into 'other'")
    merged_places: int = Field(description="places merged into 'other'")
    users: int = Field(description="users with a place: the places' sum (not "
                                   "users_without_place)")
    viewers: int = Field(description="the places' viewers summed (users)")
    expected_new: float = Field(description="the places' expected_new summed (users)")
    expected_total: float = Field(description="the places' expected_total summed (users)")
    horizon: dict[str, object]
    model_version: str = Field(description="the model that answered (as X-Model-Version)")
    screens: ScreenAllocation | None
    places: list[PlaceDemand]
    users_without_place: WithoutPlace = Field(description="users outside the breakdown: no "
                                                          "place value, never merged into one")
    units: dict[str, str] = Field(description="what each number counts, and its source")
    cold_start: ColdStartInput | None = None
    note: str | None = Field(description="why expected_new follows user counts: every "
                                               "candidate scores the same (nothing fitted), so "
                                               "each gets the film's mean probability; null "
                                               "for a ranked film")
    screens_by_note: str | None = Field(None, description="why screens_by changed nothing: "
                                                          "sent without screens, it says what "
                                                          "the screens follow (null otherwise)")


class ColdStartDistributionRequest(NewFilm):
    by: str = Field("region", min_length=1, max_length=100, description=BY_HELP,
                    json_schema_extra=PLACE)
    screens: Annotated[int, Field(ge=1, le=MAX_SCREENS), whole(1, MAX_SCREENS)] | None \
        = Field(None, description=SCREENS_HELP)
    screens_by: str | None = Field(None, min_length=1, max_length=100,
                                   description=SCREENS_BY_HELP,
                                   json_schema_extra=SCREENS_BY_PATTERN)


@router.get("/films/{film_id:path}/distribution", response_model=None,
            responses={200: {"model": Distribution}, **NOT_FOUND, **INVALID},
            summary="The film's expected demand by place, and a screen allocation")
async def distribution(film_id: str, engine: EngineDep, settings: SettingsDep,
                       by: By = "region", screens: Screens = None,
                       screens_by: ScreensBy = None) -> JSONResponse:
    def work() -> JSONResponse:
        cinemas = _cinemas(engine, settings, by, screens)
        return JSONResponse(demand_by_place(engine.model, film_id, by, screens,
                                            min_cell=settings.min_cell, cinemas=cinemas,
                                            screens_by=screens_by))

    return await run_in_threadpool(work)


@router.post("/distribution/cold-start", response_model=None,
             responses={200: {"model": Distribution}, **NOT_FOUND, **INVALID},
             summary="Expected demand by place of a film with no history (unknown comparable "
                     "films skipped and listed)")
async def cold_start(body: ColdStartDistributionRequest, engine: EngineDep,
                     settings: SettingsDep) -> JSONResponse:
    check_comparable_count(body.comparable_film_ids, settings.max_comparable_films)

    def work() -> JSONResponse:
        refuse_comma_lists(engine.model, body.comparable_film_ids, body.genres, http=True)
        cinemas = _cinemas(engine, settings, body.by, body.screens)
        return JSONResponse(cold_start_demand(engine.model, body.comparable_film_ids,
                                              body.genres, body.by, body.screens,
                                              min_cell=settings.min_cell, cinemas=cinemas,
                                              screens_by=body.screens_by))

    return await run_in_threadpool(work)


@router.post("/distribution/slate", response_model=None,
             responses={200: {"model": SlateScreens}, **NOT_FOUND, **INVALID, 409: {
                 "model": Error, "description": "the body names a film or a cinema twice, a "
                                                "film's max_screens is below its min_screens, "
                                                "or the films' bounds cannot hold with the "
                                                "cinemas' screens (rules JSON Schema cannot "
                                                "state; detail says which)"},
                 503: {"model": Error, "description": UNREADABLE_CINEMAS}},
             summary="Each cinema's screens shared among the films opening together")
async def slate(body: SlateScreensRequest, engine: EngineDep,
                settings: SettingsDep) -> JSONResponse:
    try:  # a film twice, or max_screens below min_screens: named by films[i] and id
        films = check_films([SlateFilm(f.film_id, f.min_screens or 0, f.max_screens)
                             for f in body.films])
    except InfeasibleSlateError as e:
        raise HTTPException(409, str(e)) from None
    cinema_ids = [c.cinema_id for c in body.cinemas or []]
    twice = next((i for i, n in Counter(cinema_ids).items() if n > 1), None)
    if twice is not None:
        at = [f"cinemas[{i}]" for i, c in enumerate(cinema_ids) if c == twice][:2]
        raise HTTPException(409, f"cinema_id {twice!r} appears twice in the body "
                                 f"({' and '.join(at)})")

    def work() -> JSONResponse:
        need_cinemas(engine.model)  # before a table is asked for that the model could not use
        cinemas = _slate_cinemas(engine, settings, body.cinemas)
        try:
            return JSONResponse(plan_slate(engine.model, films, cinemas,
                                           min_cell=settings.min_cell,
                                           max_cells=settings.max_slate_cells))
        except InfeasibleSlateError as e:  # the films holding the bound, as the CLI's lines
            bounds = held(films, e.bound, lambda i, n: f"{named(films, i)}: {n}") \
                if e.bound else []
            shown = listing(bounds, 5)
            raise HTTPException(409, f"{e} ({e.bound}: {shown})" if bounds else str(e)) \
                from None

    return await run_in_threadpool(work)


def _slate_cinemas(engine: Any, settings: Any, given: list[CinemaScreens] | None) -> Cinemas:
    """The body's cinemas (each one's city from the server's table where it holds it), else
    the server's table (503 when it cannot be read, 422 when there is none)."""
    if given is not None:
        ids = np.asarray([c.cinema_id for c in given], dtype=str)
        blank = np.full(len(ids), "", dtype=str)
        sent = Cinemas(ids, blank, blank, np.asarray([c.screens for c in given], np.int64),
                       np.zeros(len(ids), np.int64), "the request body")
        return sent.with_cities(_cinemas(engine, settings, CINEMA, None))  # their cities
    table = _server_table(engine, settings)
    if table is None:
        raise Invalid("the server has no cinema table (RECOMMENDER_CINEMAS, or a cinemas.csv "
                      "in the model folder): send cinemas, each with its screens",
                      ("body", "cinemas"), "missing")
    return table
