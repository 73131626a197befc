"""Typed request and response bodies; ``/openapi.json`` and ``/docs`` describe every field."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)

from recommender.model.segments import TOP_GENRES_FLOOR
from recommender.query.cold_start_taste import weight_problem
from recommender.query.filters import SEGMENT_WORDS
from recommender.query.limits import MAX_OFFSET, MAX_WATCHED  # the CLI takes the same bounds
from recommender.query.score_words import REC_SCORE, TASTE_SCORE, USER_RANK
from service.health_schemas import ModelInfo
from service.reload_body import ReloadRequest as ReloadRequest  # where routes.admin finds it
from service.search_match import SearchKind, SearchMatch
from service.sent import Sent

__all__ = ["MAX_OFFSET"]


def _json_number(value: Any) -> Any:
    """Request bodies take numbers as JSON numbers only, as their schema says (pydantic alone
    would also take true/false and numbers written as text)."""
    if isinstance(value, bool | str):
        raise ValueError("should be a JSON number")
    return value


JsonInt = Annotated[int, BeforeValidator(_json_number)]
JsonFloat = Annotated[float, BeforeValidator(_json_number)]


def _utf8(value: str) -> str:
    """An id UTF-8 can carry: JSON's ``"\\ud800"`` (an unpaired surrogate) reads as a Python
    string that no id column can hold (it was a 500 where ids are looked up)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("holds an unpaired surrogate (\\ud800-\\udfff), which is not "
                         "text; expected valid Unicode") from None
    return value


#: an id in a request body (user or film): any text UTF-8 can carry
Id = Annotated[str, AfterValidator(_utf8)]
#: the schema's word for "no NUL byte" (the validators give the message)
NO_NUL: dict[str, Any] = {"pattern": "^[^\\u0000]*$"}


def _no_nul(value: str) -> str:
    """A NUL byte is refused as training and ``events import`` refuse it
    (``recommender.io.convert.string_ids``): numpy drops trailing NULs, so ``"u1\\x00"``
    would merge with ``"u1"`` (and an error message naming it would name "u1")."""
    if "\x00" in value:
        raise ValueError("holds a NUL byte; expected text ids")
    return value


#: an id that is stored or planned (an event's, an opt-out, a slate's film): no NUL byte
StoredId = Annotated[Id, AfterValidator(_no_nul), Field(json_schema_extra=NO_NUL)]
#: a comparable film's weight: > 0 and finite (NewFilm says which film and weight, 422)
Weight = Annotated[float, BeforeValidator(_json_number),
                   WithJsonSchema({"type": "number", "exclusiveMinimum": 0})]


class Error(BaseModel):
    detail: str = Field(description="what was wrong, in words")


class Problem(BaseModel):
    loc: list[str | int] = Field(description=(
        "where: 'query', 'path', 'header', 'body' or 'request', then the query parameter or "
        "body field named (and a list's index, counted from 0, or a key inside it)"))
    msg: str = Field(description="the problem, in words (as detail says it)")
    type: str = Field(description="a stable short code of the problem (e.g. missing, "
                                  "greater_than_equal, unknown_genre, invalid_parameter)")


class Invalid(BaseModel):
    """Every 422's body (``service.errors.validation_body``)."""

    detail: str = Field(description="what was wrong, in words")
    errors: list[Problem] = Field(description="each problem, in the order detail says them "
                                              "(at most 1,000 listed: a count)")


# ------------------------------------------------------------------ catalog

#: what names the film of a per-film answer beside its film_id (``id_titles.film_names``): the
#: audience page, its summary, similar films, the film's details and its demand by place
#: the ring names every surface uses (``recommender.model.config.DEFAULT_TIERS``, which a
#: model cannot change: tests/service/test_tier_enum.py holds them equal)
TierName = Literal["core", "extended", "broad"]
TITLE_HELP = ("the film's title as the catalog has it ('' when it has none): the film film_id "
              "names, byte for byte")
YEAR_HELP = "the film's release year; null when unknown"
ALSO_TITLED_HELP = (
    "the other films whose title film_id also is (a whole title as search reads one: case, "
    "accents, a trailing article and the year aside), each as 'ID TITLE (YEAR)', at most 5: "
    "the answer is still film_id's own film (MovieLens film 300 is Quiz Show, not 300 "
    "(2007)), and the other's id asks for that one; null when film_id is no other film's "
    "title")


class FilmSummary(Sent):
    film_id: str
    title: str = Field(description="title ('' when the catalog has none)")
    year: int | None = Field(description="release year, null when unknown")
    genres: list[str]
    viewers: int = Field(description="users who watched it in the training data or in the "
                                     "campaign store's events recorded since (when the "
                                     "service reads a store)")


class FilmSearchResult(FilmSummary):
    match: SearchMatch = Field(description="how the film matched the query: the kind of "
                                           "match, the query's words found as typed, "
                                           "corrected or not at all, and whether a year the "
                                           "query ends with is the film's")


class LeftOutFilm(Sent):
    film_id: str
    title: str
    year: int | None = Field(description="release year, null when unknown")


class FilmSearch(Sent):
    query: str
    genre: str | None
    match: Literal["any", "substring"] = Field(description="the search mode asked for (?match=)")
    total: int = Field(description="films matching, over all pages (a count)")
    totals_by_kind: dict[SearchKind, int] = Field(description=(
        "total split by match.kind, over all pages: kind -> count of films (kinds of none "
        "left out); e.g. a query held by 4 titles whose total is 40 says which 36 matched "
        "by words, a typo or similarity"))
    offset: int = Field(description="films skipped before this page")
    limit: int = Field(description="page size asked for (films)")
    films: list[FilmSearchResult] = Field(description="best match first (see match), then "
                                                      "most watched")
    not_in_model: list[LeftOutFilm] = Field(
        default_factory=list, description="films of the training data's catalog that the "
        "query names (by id or by one of their titles) but that no interaction of the log "
        "names: left out of the model, so search cannot list them (no audience or viewers; a "
        "cold-start audience ranks one); empty with a genre")


class SegmentShare(Sent):
    segment: int = Field(description="segment id (see GET /segments)")
    label: str
    count: int = Field(description="users of this group in this segment")
    share: float = Field(description="share of this group in the segment (0-1)")
    base_share: float = Field(description="share of all users in the segment (0-1)")
    lift: float = Field(description="ratio share / base_share; above 1 = over-represented")


class FilmDetail(FilmSummary):
    viewer_share: float = Field(description="share of all users who watched it (0-1)")
    popularity_rank: int = Field(description="1 = the most watched film; films with as many "
                                 "viewers share a rank")
    catalog_films: int = Field(description="films in the catalog: the rank's last place")
    candidates: int = Field(description="users its audience ranks (those who have not seen it)")
    viewer_segments: list[SegmentShare] = Field(description="its viewers' segments, by lift")
    also_titled: list[str] | None = Field(description=ALSO_TITLED_HELP)


# ------------------------------------------------------------------ audiences


class AudienceUser(Sent):
    user_id: str
    rank: int = Field(description=USER_RANK)
    score: float = Field(description=f"a film's audience: {TASTE_SCORE}; a lookalike's: "
                                     "the mean cosine of the user's taste vector to the seed "
                                     "users' (-1 to 1); a cold start's: the dot product of the "
                                     "user's and the new film's taste vectors (no unit)")
    percentile: float = Field(description="in (0, 100] among the ranked candidates; 100 = best")
    tier: TierName | None = Field(description="core, extended or broad; null beyond the last "
                                              "tier")
    segment: int = Field(description="the user's audience segment (see GET /segments)")


class AudienceRing(Sent):
    tier: TierName = Field(description="core, extended or broad")
    rank_range: list[int] | None = Field(
        description="the ring's first and last global ranks ([first, last]); null if it is "
                    "empty")
    size: int = Field(description="candidates in the ring (before segment or attribute filters)")


class Audience(Sent):
    film_id: str | None = Field(description="the film; null for lookalike and cold-start")
    title: str | None = Field(None, description=f"{TITLE_HELP}; null for lookalike and "
                                                "cold-start")
    year: int | None = Field(None, description=f"{YEAR_HELP}, and for lookalike and "
                                               "cold-start")
    also_titled: list[str] | None = Field(None, description=f"{ALSO_TITLED_HELP} (and for "
                                                            "lookalike and cold-start)")
    users: list[AudienceUser]
    total: int = Field(description="candidates ranked, over all pages (with tier=: the ring's "
                                   "users that pass the filters)")
    offset: int = Field(description="ranks skipped before this page (users)")
    k: int = Field(description="page size asked for (users)")
    ring: AudienceRing | None = Field(
        None, description="with tier=: the ring the pages walk (offset 0 is its first user); "
                          "null for the whole ranking")
    note: str | None = Field(
        description="why the ranking is in no meaningful order: every candidate scores the "
                    "same (nothing fitted ties the film, or the seeds or comparable films, to "
                    "the users), so users come in index order, or (BPR, LMF) in an order that "
                    "is not taste (a user's own bias, or the length of their vector); null for "
                    "a ranking by score. A lookalike's or cold start's note may instead name "
                    "the seeds or comparable films left out of the mean taste, of a ranked "
                    "audience: its tied field tells the two apart")
    empty: str | None = Field(
        None, description="why a film's audience lists nobody (total 0), in words: every user "
                          "has watched the film, the ring is empty, or the filter matches no "
                          "candidate (or none in the ring), naming the ring and the filter as "
                          "the model spells them (a new film's audience, cold start, as a "
                          "film's: nobody has watched it); for a lookalike, every user is a "
                          "seed or the ring is empty; null otherwise")


# the lookalike's and cold start's ``tied``: which note ``note`` is, for a client to tell
TIED = ("true when every candidate scores the same (nothing fitted ties the seeds, or the "
        "comparable films and genres, to the users): the users are in no meaningful order "
        "and the note says so; false for a ranking by score, whose note, when there is one, "
        "names the seeds or comparable films left out of the mean taste (the users are ranked "
        "by the others)")


class NewFilm(BaseModel):
    """A film with no history, described by comparable films and/or genres (the body of a
    cold-start audience and of a cold-start distribution)."""

    # at least one comparable film or one genre (the server says so too, 422)
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "anyOf": [{"required": ["comparable_film_ids"],
                   "properties": {"comparable_film_ids": {"minItems": 1, "minProperties": 1}}},
                  {"required": ["genres"], "properties": {"genres": {"minItems": 1}}}]})

    comparable_film_ids: list[Id] | dict[Id, Weight] = Field(
        default_factory=list,
        description="films like the new one: a list of ids, or {id: weight} with weights > 0 "
                    "(at most RECOMMENDER_MAX_COMPARABLE_FILMS of them)",
        json_schema_extra={"x-maximum": "max_comparable_films"})
    genres: list[str] = Field(default_factory=list,
                              description="the new film's genres, any case, spaces, hyphens and "
                                          "punctuation ignored where that names one genre "
                                          "(each counts as one more comparable: the mean of "
                                          "the genre's films)",
                              json_schema_extra={"x-vocabulary": "genre"})

    @field_validator("comparable_film_ids")
    @classmethod
    def _positive_weights(cls, value: list[str] | dict[str, float]
                          ) -> list[str] | dict[str, float]:
        """A weight not above 0, infinite (1e400) or NaN: the usual 422, naming the film and
        its weight (``weight_problem``, as the library and the CLI say it)."""
        if isinstance(value, dict) and (bad := weight_problem(value)) is not None:
            raise ValueError(bad)
        return value


class ColdStartRequest(NewFilm):
    k: JsonInt = Field(100, ge=1, description="page size (users; at most RECOMMENDER_MAX_K)",
                       json_schema_extra={"x-maximum": "max_k"})
    offset: JsonInt = Field(0, ge=0, le=MAX_OFFSET, description="ranks to skip (users)")
    segment: Annotated[int, Field(ge=0), BeforeValidator(_json_number)] | str | None = Field(
        None, description=SEGMENT_WORDS,
        json_schema_extra={"x-vocabulary": "segment"})
    tier: str | None = Field(None, description="only this ring (core, extended or broad; any "
                                               "case): offset 0 is the ring's first user",
                             json_schema_extra={"x-vocabulary": "tier"})


# ------------------------------------------------------------------ films for users


class Because(Sent):
    film_id: str = Field(description="a film the user watched and their taste was fitted on "
                                     "(never one rated below the model's min_rating)")
    title: str
    similarity: float = Field(description="cosine of the two films' taste vectors (above 0: "
                                          "a film pointing away is no reason; 1 = the same "
                                          "direction)")
    share: float = Field(description="this film's part of the positive similarity summed over "
                                     "every film the user watched that was fitted (0-1): with "
                                     "many watched films each share is small")


class FilmHit(Sent):
    film_id: str
    rank: int = Field(description="its place in the list (1 = first)")
    score: float = Field(description=f"recommendations (a user's, a watch list's): "
                                     f"{REC_SCORE} (not comparable between users or with a "
                                     "watch list's); similar films: the cosine of the two "
                                     "films' taste vectors (-1 to 1)")
    title: str
    year: int | None = Field(description="release year, null when unknown")
    genres: list[str]
    because: list[Because] | None = Field(
        None, description="at most three watched films that point the same way (a positive "
                          "cosine; none when none does), most similar first (recommendations "
                          "only)")


class SimilarFilms(Sent):
    film_id: str
    title: str = Field(description=TITLE_HELP)
    year: int | None = Field(description=YEAR_HELP)
    also_titled: list[str] | None = Field(description=ALSO_TITLED_HELP)
    films: list[FilmHit] = Field(description="by cosine similarity of taste vectors")
    note: str | None = Field(
        description="why the list is not by similarity: nothing fitted ties the film to the "
                    "others, so every film is as similar and the list is in catalog order; "
                    "null otherwise")


TASTE_NOTE = ("why the list is not a ranking by taste: the viewer has no fitted taste "
              "(nothing they watched was fitted), so the films are in catalog order, or by the "
              "popularity prior or (BPR, LMF) the films' bias alone; or, every because empty, "
              "why the model gives a trained user no reasons (retrain it); null otherwise")


class Recommendations(Sent):
    user_id: str
    films: list[FilmHit]
    note: str | None = Field(description=TASTE_NOTE)
    known_from: Literal["training", "events"] = Field(description=(
        "training: the user is in the model's training data; events: the model knows them "
        "only from the campaign store's events recorded since its training (their taste is "
        "folded in from those events alone)"))


class HiddenValues(Sent):
    values: int = Field(description="the attribute's values held by fewer than min_cell users "
                                    "each, left out of attributes")
    users: int = Field(description="their users in all (the listed values' filtered totals "
                                   "tell a read-key holder as much)")


class UserAttributes(Sent):
    attributes: dict[str, list[str]] = Field(
        description="each user attribute of the model and its values held by at least "
                    "min_cell users, sorted: what ?filter=ATTRIBUTE=VALUE takes (any case); a "
                    "value held by fewer is not listed, and a filter takes it only typed "
                    "exactly as the users file spells it")
    hidden_values: dict[str, HiddenValues] = Field(
        description="each user attribute of the model and how many of its values the "
                    "minimum cell rule leaves out of attributes, with their users in all")
    without_value: dict[str, int | None] = Field(
        description="each user attribute of the model and how many users have no value of it "
                    "(an empty cell of the users file, no row there, or a user new from "
                    "campaign events): the users ?filter=ATTRIBUTE=(no value) takes; 0 when "
                    "every user has one; null when the minimum cell rule hides the count "
                    "(fewer than min_cell users without a value, or fewer than min_cell with "
                    "one, or, beside users new from campaign events, fewer than min_cell "
                    "trained users without one), never for 0 users")
    min_cell: int = Field(description="the minimum cell size (users) that hides a value "
                                      "and a count of without_value")


class WatchedRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # ids are strings (JSON numbers are refused)

    film_ids: list[Id] = Field(min_length=1, max_length=MAX_WATCHED,
                                description=f"films the viewer watched (at most {MAX_WATCHED:,})")
    k: JsonInt = Field(10, ge=1, description="how many films (at most RECOMMENDER_MAX_K)",
                       json_schema_extra={"x-maximum": "max_k"})


class WatchedRecommendations(Sent):
    films: list[FilmHit]
    unknown_film_ids: list[str] = Field(description="watched film ids the model does not know "
                                                    "(skipped; all unknown -> 404)")
    note: str | None = Field(description=TASTE_NOTE)


# ------------------------------------------------------------------ segments and admin


class GenreLift(Sent):
    genre: str
    lift: float = Field(description="ratio: the genre's share of the segment's viewings over "
                                    "its share of all users' viewings")


class RepresentativeFilm(Sent):
    film_id: str
    title: str
    lift: float = Field(description="ratio: the share of the segment's users who watched the "
                                    "film over the share of all users who did")


class SegmentInfo(Sent):
    segment: int = Field(description="segment id")
    label: str
    size: int = Field(description="users in the segment")
    share: float = Field(description="the segment's share of all users (0-1)")
    films_per_user: float | None = Field(
        None, description="median distinct films per member (null: a model trained before "
                          "activity was recorded)")
    activity: Literal["heavy", "light", "typical"] | None = Field(
        None, description="heavy (light): at least 2x (at most half) the other segments' "
                          "median films per user")
    top_genres: list[GenreLift] = Field(
        description="the genres the segment over-indexes on, by lift (each a ratio above 1); "
                    + TOP_GENRES_FLOOR)
    representative_films: list[RepresentativeFilm] = Field(
        description="the films its users watch most above other users, ordered by lift x the "
                    "share of the segment's users who watched each (not by lift alone)")


class HiddenSegments(Sent):
    segments: int = Field(description="count of the model's segments of fewer than min_cell "
                                      "users each, left out of segments (none of their sizes, "
                                      "labels, genres or films is shown)")
    users: int = Field(description="count of their users in all (the model's users less the "
                                   "sizes listed tell as much)")


class SegmentList(Sent):
    segments: list[SegmentInfo] = Field(
        description="the segments of at least min_cell users each, as served (a model of "
                    "fewer users than min_cell lists none)")
    hidden: HiddenSegments = Field(description="the segments the minimum cell rule withholds")
    min_cell: int = Field(description="the minimum cell size (users) below which a segment "
                                      "is withheld")
    min_genre_share: float = Field(description="ratio (0-1): a genre under this share of a "
                                   "segment's genre views is left out of its top_genres")


class Reloaded(Sent):
    status: Literal["reloaded"] = "reloaded"
    previous_version: str
    model_version: str
    seconds: float = Field(description="seconds from the start of the reload until the new "
                                       "model answered: its load and checks, then folding "
                                       "the campaign store's events in (both in the log)")
    model: ModelInfo
