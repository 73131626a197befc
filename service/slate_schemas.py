"""The slate's request and response schemas, and the whole-number rule for counts.

``service.routes.distribution`` serves them (``POST /distribution/slate``); split from it by
concern: the route module keeps the routes and the breakdown's own schemas.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from recommender.distribution.screens import whole_rule, whole_value
from recommender.distribution.slate_file import planner_slate
from recommender.distribution.slate_units import SHARED_BY, SLATE_UNITS
from recommender.io.places import MAX_COUNT
from service.schemas import StoredId, _json_number
from service.sent import Sent


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


Count = Annotated[int, whole(0, MAX_COUNT)]
MAX_SLATE_FILMS = 50
MAX_SLATE_CINEMAS = 4_000
"""Films and cinemas one request may send: at most 200,000 cells, three variables each in the
programme (the server's own cinema table and the CLI, a batch tool, have no such limit)."""


PLAIN_FIELDS = ("film_id", "min_screens", "max_screens")  # an OpeningFilm's fields


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

    @model_validator(mode="before")
    @classmethod
    def _not_a_plan(cls, data: Any) -> Any:
        """A planner's film (``budget``, ``value``) is refused saying so, as the CLI's slate
        file is (``slate_file.planner_slate``), not as two unknown fields."""
        planner = planner_slate(list(data), "has", PLAIN_FIELDS) if isinstance(data, dict) else None
        if planner:
            raise ValueError(planner)
        return data


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
                                     description="the films opening together, each once, each a "
                                                 "film the model knows (viewers in its log): "
                                                 "a new film's breakdown by place is POST "
                                                 "/distribution/cold-start's, from its "
                                                 "comparable films and genres")
    cinemas: list[CinemaScreens] | None = Field(
        None, min_length=1, max_length=MAX_SLATE_CINEMAS,
        description="each cinema's screens, each cinema once (null: the server's cinema table, "
                    "RECOMMENDER_CINEMAS or the model's cinemas.csv)")


class OpeningFilmScreens(Sent):
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


class SlateScreensRow(Sent):
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
                                                   "than min_cell, or pooled with such cinemas); "
                                                   "0 at a cinema no user names "
                                                   "(cinemas_without_users: nothing hidden)")


class SlateOptimality(Sent):
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


class SlateScreens(Sent):
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
    # the units' words: the targets are scaled for the bounded films and pooled for the
    # hidden cinemas ("- target|" alone read as the plain proportional shares)
    shared_by: Literal["expected_new", "equally"] = Field(description=SHARED_BY)
    objective: float = Field(description=SLATE_UNITS["objective"])
    optimality: SlateOptimality = Field(description="the solver's word on the allocation")


