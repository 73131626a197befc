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
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from recommender.distribution.demand import (
    MAX_SCREENS,
    capped,
    cold_start_demand,
    demand_by_place,
)
from recommender.distribution.places import cinemas_for
from recommender.distribution.screens import whole_rule, whole_value
from recommender.distribution.slate import (
    InfeasibleSlateError,
    SlateFilm,
    need_cinemas,
    plan_slate,
)
from recommender.distribution.slate_file import check_films, held, named
from recommender.errors import DataError
from recommender.io.places import CINEMA, MAX_COUNT, PLACE_ATTRIBUTES, Cinemas
from recommender.io.text import listing
from recommender.query.commas import refuse_comma_lists
from recommender.query.hints import HINT_IDS
from service.deps import EngineDep, SettingsDep
from service.json_body import JsonRoute
from service.routes import INVALID, NOT_FOUND
from service.schemas import (
    ALSO_TITLED_HELP,
    TITLE_HELP,
    YEAR_HELP,
    Error,
    NewFilm,
    StoredId,
    _json_number,
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


def whole(low: int, high: int, text: bool = False) -> BeforeValidator:
    """The library's rule for a count (``screens.whole_value``: ``1.0`` is 1, ``1.5`` and
    ``1e300`` are refused naming the range, not "Unable to parse input string"), on a query
    string's text (``text``) or a JSON body's number (text there is refused, as
    ``_json_number`` refuses it)."""

    def check(value: Any) -> Any:
        if value is None:
            return value
        if not text:
            _json_number(value)
        number = whole_value(value, low, high)
        if number is None:
            raise ValueError(whole_rule(low, high))
        return number

    return BeforeValidator(check)


Screens = Annotated[int | None, Query(ge=1, le=MAX_SCREENS, description=SCREENS_HELP),
                    whole(1, MAX_SCREENS, text=True)]


class PlaceDemand(BaseModel):
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


class ScreenAllocation(BaseModel):
    total: int = Field(description="screens asked for, which the places' screens sum to")
    capped_by: str | None = Field(description="the cinema table that capped the allocation "
                                              "(null: not capped)")
    capacity: int | None = Field(description="screens of all the places' cinemas in the cinema "
                                             "table (null: not capped)")
    warning: str | None = Field(None, description="why the allocation is not capped (by="
                                                  "cinema without a cinema table, a table "
                                                  "without the city or region), or which "
                                                  "places users name the table lacks")
    note: str | None = Field(None, description="when the 'other' row has screens: they go "
                                               "to its pooled places together, one block "
                                               "(null otherwise)")


class WithoutPlace(BaseModel):
    users: int = Field(description="users with no value of the attribute, in no place")
    viewers: int | None = Field(description="users without a place who watched the film "
                                            "(null: hidden under min_cell users, see units)")
    expected_new: float | None = Field(description="users without a place expected to watch it "
                                                   "within the calibration horizon (null: "
                                                   "hidden, as viewers)")
    expected_total: float | None = Field(description="viewers + expected_new (users; null: "
                                                     "hidden, as viewers)")


class ColdStartInput(BaseModel):
    comparable_film_ids: list[str] = Field(description="the comparable films used (known "
                                                      "to the model)")
    unknown_film_ids: list[str] = Field(default_factory=list, description=(
        "comparable film ids the model does not know: skipped, as the cold-start audience "
        "skips them"))
    unknown_film_hints: list[str] = Field(default_factory=list, description=(
        f"what is said of each of the first {HINT_IDS} unknown_film_ids, in order, as the CLI "
        "says it"))
    genres: list[str]
    calibrated_as: str = Field(description="the known film nearest the new one, whose "
                                           "calibration gives the probabilities")


class Distribution(BaseModel):
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


class ColdStartDistributionRequest(NewFilm):
    by: str = Field("region", min_length=1, max_length=100, description=BY_HELP,
                    json_schema_extra=PLACE)
    screens: Annotated[int, Field(ge=1, le=MAX_SCREENS), whole(1, MAX_SCREENS)] | None \
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
             summary="Expected demand by place of a film with no history (unknown comparable "
                     "films skipped and listed)")
async def cold_start(body: ColdStartDistributionRequest, engine: EngineDep,
                     settings: SettingsDep) -> JSONResponse:
    def work() -> JSONResponse:
        refuse_comma_lists(engine.model, body.comparable_film_ids, body.genres, http=True)
        cinemas = _cinemas(engine, settings, body.by, body.screens)
        return JSONResponse(cold_start_demand(engine.model, body.comparable_film_ids,
                                              body.genres, body.by, body.screens,
                                              min_cell=settings.min_cell, cinemas=cinemas))

    return await run_in_threadpool(work)


Count = Annotated[int, whole(0, MAX_COUNT)]
MAX_SLATE_FILMS = 50
MAX_SLATE_CINEMAS = 4_000
"""Films and cinemas one request may send: at most 200,000 cells, three variables each in the
programme (the server's own cinema table and the CLI, a batch tool, have no such limit)."""


class OpeningFilm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    film_id: StoredId = Field(min_length=1, description="a film opening with the others (the "
                                                        "model's users must name a cinema)",
                              json_schema_extra={"x-vocabulary": "slate-film"})
    # null as an empty min_screens cell of the CLI's slate file is read: 0 (it was a 422 while
    # max_screens took null, so a client turning that file into JSON met it)
    min_screens: Annotated[int, Field(ge=0, le=MAX_COUNT), whole(0, MAX_COUNT)] \
        | None = Field(0, description="the film's fewest screens over all cinemas (null: 0)")
    max_screens: Annotated[int, Field(ge=0, le=MAX_COUNT), whole(0, MAX_COUNT)] \
        | None = Field(None, description="the film's most screens over all cinemas (null: no "
                                         "bound; at least min_screens)")


def _not_blank(value: str) -> str:
    """A cinema id of spaces alone is refused, as ``recommender distribution --slate`` refuses
    it in a screens file: no user can name it (a blank place is no place)."""
    if not value.strip():
        raise ValueError("is blank (spaces alone); expected a cinema id users name")
    return value


#: what ``str.strip`` takes for a space (``str.isspace``), written out: ECMA's ``\\s`` differs
BLANK = ("\\t\\n\\u000b\\f\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028"
         "\\u2029\\u202f\\u205f\\u3000")
#: the schema's word for "no NUL byte, and not blank"
CINEMA_ID: dict[str, Any] = {"pattern": f"^[^\\u0000]*[^\\u0000{BLANK}][^\\u0000]*$"}
CinemaId = Annotated[StoredId, AfterValidator(_not_blank), Field(json_schema_extra=CINEMA_ID)]


class CinemaScreens(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cinema_id: CinemaId = Field(min_length=1, description="a cinema, as the users' cinema "
                                                          "attribute names it (not blank)")
    screens: Annotated[int, whole(1, MAX_COUNT)] = Field(ge=1, le=MAX_COUNT,
                                                         description="its screens to fill")


class SlateScreensRequest(BaseModel):
    # cinemas is required where the server has no cinema table (schema_limits)
    model_config = ConfigDict(extra="forbid", json_schema_extra={"x-vocabulary": "slate"})
    films: list[OpeningFilm] = Field(min_length=1, max_length=MAX_SLATE_FILMS,
                                     description="the films opening together, each once")
    cinemas: list[CinemaScreens] | None = Field(
        None, min_length=1, max_length=MAX_SLATE_CINEMAS,
        description="each cinema's screens, each cinema once (null: the server's cinema table, "
                    "RECOMMENDER_CINEMAS or the model's cinemas.csv)")


class OpeningFilmScreens(BaseModel):
    film_id: str
    title: str = Field(description="the film's title in the catalog ('' when it has none)")
    min_screens: int = Field(description="the slate's fewest screens for the film over all "
                                         "cinemas (0: no minimum)")
    max_screens: int | None = Field(description="the slate's most screens for the film over "
                                                "all cinemas (null: no maximum)")
    screens: int = Field(description="screens given to the film over all cinemas")
    expected_new: float = Field(description="users expected to watch the film within the "
                                            "calibration horizon, over the cinemas shown")
    expected_new_hidden_cinemas: int = Field(description="cinemas with users whose figures "
                                                         "are hidden and left out of "
                                                         "expected_new")
    note: str | None = Field(description="why the film's demand follows user counts (nothing "
                                         "fitted); null for a ranked film")


class SlateScreensRow(BaseModel):
    cinema_id: str
    city: str | None = Field(None, description="the cinema's city in the cinema table, also "
                                               "for cinemas sent in the body (null: a cinema "
                                               "the table lacks, or no table)")
    film_id: str
    screens: int = Field(description="screens given to the film at the cinema")
    expected_new: float | None = Field(description="users of the cinema (their most visited) "
                                                   "expected to watch the film within the "
                                                   "calibration horizon; null: hidden, as a "
                                                   "film's breakdown by "
                                                   "cinema pools it into 'other' (fewer users "
                                                   "than min_cell, or pooled with such cinemas)")


class SlateOptimality(BaseModel):
    status: str = Field(description="optimal: the least objective, proven")
    gap: float | None = Field(description="screens: the objective less the least any "
                                          "allocation of the programme (a film its "
                                          "max_screens holds back at that max) could reach "
                                          "(0: optimal; null: not proven)")
    solver: str
    variables: int = Field(description="variables of the programme (three per cinema and "
                                       "film)")
    constraints: int = Field(description="constraints of the programme (one per cinema, per "
                                         "film minimum and per film maximum)")
    nonzeros: int = Field(description="coefficients: the non-zero ones of the programme's "
                                      "constraint matrix")
    classes: int = Field(description="cinemas: the classes of identical cinemas the "
                                     "programme was solved over (every cinema where it was "
                                     "solved whole or cinema by cinema)")
    solved_variables: int = Field(description="variables of the programme HiGHS solved (the "
                                              "class programme's; 0: no solver ran)")
    solved_constraints: int = Field(description="constraints of the programme HiGHS solved")
    solved_nonzeros: int = Field(description="coefficients: the non-zero ones of the "
                                             "programme HiGHS solved")
    tie_variables: int = Field(description="variables of the second stage that settles ties "
                                           "among optima (0: none)")


class SlateScreens(BaseModel):
    films: list[OpeningFilmScreens]
    cinemas: int = Field(description="cinemas in the screens table used (the body's cinemas, "
                                     "or the server's cinema table)")
    cinemas_without_users: list[str]
    near_misses: dict[str, list[str]] = Field(description="for a cinema of "
                                              "cinemas_without_users, the ids users name "
                                              "that are its id but for case, surrounding "
                                              "spaces, Unicode form or leading zeros (shown "
                                              "cinemas only)")
    screens: int = Field(description="all the cinemas' screens")
    min_cell: int = Field(description="users: a cinema with fewer has its expected_new hidden "
                                      "(null)")
    horizon: dict[str, object] = Field(description="the calibration horizon expected_new "
                                                   "counts within")
    model_version: str = Field(description="the model that answered (as X-Model-Version)")
    allocation: list[SlateScreensRow] = Field(description="one row per cinema and film given "
                                                          "screens")
    units: dict[str, str] = Field(description="what each number counts, and its source")
    objective: float = Field(description="screens: the total absolute deviation sum |screens "
                                         "- target| over cinemas and films (0 = every film "
                                         "gets exactly its target)")
    optimality: SlateOptimality = Field(description="the solver's word on the allocation")


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
        raise HTTPException(422, "the server has no cinema table (RECOMMENDER_CINEMAS, or a "
                                 "cinemas.csv in the model folder): send cinemas, each with "
                                 "its screens")
    return table
