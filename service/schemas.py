"""Typed request and response bodies; ``/openapi.json`` and ``/docs`` describe every field."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_OFFSET = 2**31 - 1


class Error(BaseModel):
    detail: str = Field(description="what was wrong, in words")


# ------------------------------------------------------------------ model and health


class ModelInfo(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    model_version: str = Field(description="meta.json's model_version; also in X-Model-Version")
    model: str = Field(description="model type: als, bpr or lmf")
    format_version: int | None = Field(description="model folder format version")
    created: str | None = Field(description="when the model was trained (ISO 8601, UTC)")
    users: int = Field(description="users the model knows")
    films: int = Field(description="films the model knows")
    interactions: int = Field(description="distinct (user, film) training interactions")
    factors: int = Field(description="length of the taste vectors")
    segments: int = Field(description="number of audience segments")
    user_attributes: list[str] = Field(description="user attributes available for portraits")
    data_fingerprint: str | None = Field(description="sha256 of the training interactions")
    data_source: str | None = Field(description="where the training data came from")
    params: dict[str, Any] = Field(description="training parameters")
    has_calibration: bool = Field(description="whether tiers carry expected conversion")
    path: str = Field(description="the model folder being served")


class CacheWarmth(BaseModel):
    state: Literal["off", "running", "done", "full", "stopped"] = Field(
        description="the background ranking of films' audiences after a load: off, running, "
                    "done (every film), full (the cache is full) or stopped (model replaced)")
    films: int = Field(description="films whose audience ranking is cached so far")
    total: int = Field(description="films in the model")
    seconds: float = Field(description="time spent so far")


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    model: ModelInfo
    audience_cache: CacheWarmth


# ------------------------------------------------------------------ catalog


class FilmSummary(BaseModel):
    film_id: str
    title: str = Field(description="title ('' when the catalog has none)")
    year: int | None = Field(description="release year, null when unknown")
    genres: list[str]
    viewers: int = Field(description="users who watched it in the training data")


class FilmSearch(BaseModel):
    query: str
    genre: str | None
    total: int = Field(description="films matching, over all pages")
    offset: int
    limit: int
    films: list[FilmSummary] = Field(description="most watched first")


class SegmentShare(BaseModel):
    segment: int = Field(description="segment id (see GET /segments)")
    label: str
    count: int = Field(description="users of this group in this segment")
    share: float = Field(description="share of this group in the segment (0-1)")
    base_share: float = Field(description="share of all users in the segment (0-1)")
    lift: float = Field(description="share / base_share; above 1 = over-represented")


class FilmDetail(FilmSummary):
    viewer_share: float = Field(description="share of all users who watched it (0-1)")
    popularity_rank: int = Field(description="1 = the most watched film")
    candidates: int = Field(description="users its audience ranks (those who have not seen it)")
    viewer_segments: list[SegmentShare] = Field(description="its viewers' segments, by lift")


# ------------------------------------------------------------------ audiences


class AudienceUser(BaseModel):
    user_id: str
    rank: int = Field(description="1 = most likely to watch")
    score: float = Field(description="the model's raw score")
    percentile: float = Field(description="in (0, 100] among the ranked candidates; 100 = best")
    tier: str | None = Field(description="core, extended or broad; null beyond the last tier")
    segment: int = Field(description="the user's audience segment (see GET /segments)")


class Audience(BaseModel):
    film_id: str | None = Field(description="the film; null for lookalike and cold-start")
    users: list[AudienceUser]
    total: int = Field(description="candidates ranked, over all pages")
    offset: int
    k: int


class LookalikeAudience(Audience):
    unknown_seed_ids: list[str] = Field(description="seed ids the model does not know (skipped)")


class LookalikeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    seed_user_ids: list[str] = Field(min_length=1, max_length=1_000_000,
                                     description="users whose lookalikes to find")
    k: int = Field(100, ge=1, description="page size")
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class ColdStartRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    comparable_film_ids: list[str] | dict[str, float] = Field(
        default_factory=list,
        description="films like the new one: a list of ids, or {id: weight} with weights > 0")
    genres: list[str] = Field(default_factory=list,
                              description="the new film's genres (each counts as one more "
                                          "comparable: the mean of the genre's films)")
    k: int = Field(100, ge=1, description="page size")
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    segment: int | None = Field(None, ge=0, description="only users of this segment")


class TierSummary(BaseModel):
    tier: str
    share_pct: float = Field(description="the tier's share of the candidates, in percent")
    size: int = Field(description="users in the tier")
    rank_range: list[int] | None = Field(description="[first rank, last rank]; null if empty")
    score_range: list[float] | None = Field(description="[lowest, highest] score; null if empty")
    expected_conversion: float | None = Field(
        description="share of the tier's users expected to watch, measured on held-out data")
    conversion_lift: float | None = Field(description="expected_conversion / base_conversion")
    segments: list[SegmentShare] = Field(description="the tier's segment split, by lift")


class AttributeShare(BaseModel):
    value: str
    count: int
    share: float = Field(description="share among the core tier (0-1)")
    base_share: float = Field(description="share among all users (0-1)")
    lift: float


class AudienceSummary(BaseModel):
    film_id: str
    title: str
    viewers: int = Field(description="users who already watched it")
    candidates: int = Field(description="users ranked")
    base_conversion: float | None = Field(description="conversion of a random candidate")
    tiers: list[TierSummary]
    segments: list[SegmentShare] = Field(description="segment split of all tiers together")
    portrait: dict[str, list[AttributeShare]] = Field(
        description="per user attribute: the core tier against all users, with lift")


# ------------------------------------------------------------------ films for users


class Because(BaseModel):
    film_id: str
    title: str
    similarity: float
    share: float


class FilmHit(BaseModel):
    film_id: str
    rank: int
    score: float
    title: str
    year: int | None
    genres: list[str]
    because: list[Because] | None = Field(
        None, description="watched films that point the same way (recommendations only)")


class SimilarFilms(BaseModel):
    film_id: str
    films: list[FilmHit] = Field(description="by cosine similarity of taste vectors")


class Recommendations(BaseModel):
    user_id: str
    films: list[FilmHit]


# ------------------------------------------------------------------ segments and admin


class GenreLift(BaseModel):
    genre: str
    lift: float


class RepresentativeFilm(BaseModel):
    film_id: str
    title: str
    lift: float


class SegmentInfo(BaseModel):
    segment: int
    label: str
    size: int
    share: float
    top_genres: list[GenreLift]
    representative_films: list[RepresentativeFilm]


class SegmentList(BaseModel):
    segments: list[SegmentInfo]


class ReloadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model_path: str | None = Field(
        None, description="a model folder to switch to; default: the folder being served")


class Reloaded(BaseModel):
    status: Literal["reloaded"] = "reloaded"
    previous_version: str
    model_version: str
    seconds: float = Field(description="time to load and validate the new model")
    model: ModelInfo
