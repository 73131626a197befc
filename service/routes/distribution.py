"""Smart distribution over HTTP: a film's expected demand by place and a screen allocation.

Also for a film with no history. The bodies are ``recommender.distribution.demand``'s, sent as
they are (``recommender distribution ... --json`` prints the same bytes).

This router is included before the films router: ``/films/{film_id:path}`` would otherwise take
``/films/X/distribution`` for a film id ``X/distribution``.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, Field
from starlette.concurrency import run_in_threadpool

from recommender.distribution.demand import MAX_SCREENS, cold_start_demand, demand_by_place
from recommender.distribution.places import cinemas_for
from recommender.errors import DataError
from recommender.io.places import CINEMA, PLACE_ATTRIBUTES, Cinemas
from service.deps import EngineDep, SettingsDep
from service.routes import INVALID, NOT_FOUND
from service.schemas import NewFilm, _json_number

router = APIRouter(tags=["distribution"])
log = logging.getLogger("recommender.service")
UNREADABLE_CINEMAS = ("the server's cinema table (RECOMMENDER_CINEMAS, or the model's "
                      "cinemas.csv) cannot be read; the server log says why")


def _cinemas(engine: Any, settings: Any, by: str, screens: int | None) -> Cinemas | None:
    """The cinema table capping ``by=cinema`` screens, or None. A table the server cannot read
    is the server's fault, not the request's: 503, its path and line in the log only."""
    if by.lower() != CINEMA or not screens:
        return None
    try:
        return cinemas_for(engine.model, engine.path, settings.cinemas)
    except DataError as e:
        log.error("cinema table unreadable: %s", e)
        raise HTTPException(503, UNREADABLE_CINEMAS) from None

BY_HELP = (f"the place attribute to break demand down by: one of {', '.join(PLACE_ATTRIBUTES)} "
           "that the model's users have")
SCREENS_HELP = ("screens (or showtimes) to share out in proportion to expected demand; capped "
                "by each cinema's screens when by=cinema and a cinemas.csv is loaded")
PLACE: dict[str, Any] = {"x-vocabulary": "place"}  # schema_limits: the place attributes
By = Annotated[str, Query(description=BY_HELP, min_length=1, max_length=100,
                          json_schema_extra=PLACE)]
Screens = Annotated[int | None, Query(ge=1, le=MAX_SCREENS, description=SCREENS_HELP)]


class PlaceDemand(BaseModel):
    place: str = Field(description="the place; 'other' pools places under min_cell users")
    users: int
    viewers: int
    expected_new: float
    expected_total: float
    share: float
    user_share: float
    viewing_share: float
    index_vs_users: float | None
    index_vs_viewing: float | None
    screens: int | None = Field(description="screens allocated (null: none asked for)")
    capacity: int | None = Field(description="the place's cinemas' screens (null: not capped)")


class ScreenAllocation(BaseModel):
    total: int
    capped_by: str | None = Field(description="the cinema table that capped the allocation "
                                              "(null: not capped)")
    capacity: int | None
    warning: str | None = Field(None, description="by=cinema without a cinema table: the "
                                                  "allocation is not capped, and why")


class WithoutPlace(BaseModel):
    users: int = Field(description="users with no value of the attribute, in no place")
    viewers: int | None = Field(description="null under min_cell users")
    expected_new: float | None
    expected_total: float | None


class ColdStartInput(BaseModel):
    comparable_film_ids: list[str]
    genres: list[str]
    calibrated_as: str = Field(description="the known film nearest the new one, whose "
                                           "calibration gives the probabilities")


class Distribution(BaseModel):
    film_id: str | None
    by: str
    min_cell: int = Field(description="places with fewer users are merged into 'other'")
    merged_places: int
    users: int
    viewers: int
    expected_new: float
    expected_total: float
    horizon: dict[str, object]
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


class ColdStartDistributionRequest(NewFilm):
    by: str = Field("region", min_length=1, max_length=100, description=BY_HELP,
                    json_schema_extra=PLACE)
    screens: Annotated[int, Field(ge=1, le=MAX_SCREENS), BeforeValidator(_json_number)] | None \
        = Field(None, description=SCREENS_HELP)


@router.get("/films/{film_id:path}/distribution", response_model=None,
            responses={200: {"model": Distribution}, **NOT_FOUND, **INVALID},
            summary="The film's expected demand by place, and a screen allocation")
async def distribution(film_id: str, engine: EngineDep, settings: SettingsDep,
                       by: By = "region", screens: Screens = None) -> JSONResponse:
    def work() -> JSONResponse:
        cinemas = _cinemas(engine, settings, by, screens)
        return JSONResponse(demand_by_place(engine.model, film_id, by, screens,
                                            min_cell=settings.min_cell, cinemas=cinemas))

    return await run_in_threadpool(work)


@router.post("/distribution/cold-start", response_model=None,
             responses={200: {"model": Distribution}, **NOT_FOUND, **INVALID},
             summary="Expected demand by place of a film with no history")
async def cold_start(body: ColdStartDistributionRequest, engine: EngineDep,
                     settings: SettingsDep) -> JSONResponse:
    def work() -> JSONResponse:
        cinemas = _cinemas(engine, settings, body.by, body.screens)
        return JSONResponse(cold_start_demand(engine.model, body.comparable_film_ids,
                                              body.genres, body.by, body.screens,
                                              min_cell=settings.min_cell, cinemas=cinemas))

    return await run_in_threadpool(work)
