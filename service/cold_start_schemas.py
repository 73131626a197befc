"""The schemas of a film with no history: its audience, summary and distribution's input."""

from __future__ import annotations

from pydantic import Field

from recommender.distribution.cold_calibration import NEAREST
from recommender.model.probability_digits import ROUNDING_TEXT
from recommender.query.hints import HINT_IDS
from service.schemas import TIED, Audience, NewFilm
from service.sent import Sent
from service.summary_schemas import AudienceSummary, TierSummary

GENRES_ONLY = ("when comparable films were given but the model knows none of them: the "
               "sentence saying the new film is placed by its genres alone (the CLI says it "
               "in the same words); null otherwise")
COMPARABLE_FILMS = ("the comparable films the new film's taste is the mean of, id -> weight "
                    "(unknown ones and, beside a fitted film or genre, those with nothing "
                    "fitted left out)")
UNFITTED_FILM_IDS = ("known comparable film ids with nothing fitted (a zero taste vector), "
                     "left out of the mean beside a fitted film or genre")


ALSO_TITLED = (
    "each comparable film id the model knows that is also the title of other films, id -> "
    "those films (\"ID TITLE (YEAR)\"), as a film's also_titled names them: the id is the film "
    "used (\"300\" on MovieLens is Quiz Show, not 300 (2007)); null when none")


class ColdStartAudience(Audience):
    comparable_films: dict[str, float] = Field(description=COMPARABLE_FILMS)
    unfitted_film_ids: list[str] = Field(description=f"{UNFITTED_FILM_IDS} (the note says so)")
    genres: list[str] = Field(description="the genres asked for, each once, as the catalog "
                                          "spells them")
    genres_only: str | None = Field(None, description=GENRES_ONLY)
    tied: bool = Field(description=TIED)
    comparable_also_titled: dict[str, list[str]] | None = Field(None, description=ALSO_TITLED)
    unknown_film_ids: list[str] = Field(
        description="comparable film ids the model does not know (skipped; all unknown and no "
                    "genre -> 404)")
    unknown_film_hints: list[str] = Field(default_factory=list, description=(
        f"what is said of each of the first {HINT_IDS} unknown_film_ids, in order, as the CLI "
        "says it: "
        "the film a title names and the titles it matches"))


class ColdStartInput(Sent):
    comparable_film_ids: list[str] = Field(description="the comparable films used (known "
                                                      "to the model)")
    comparable_films: dict[str, float] = Field(description=COMPARABLE_FILMS + ", as the "
                                                           "cold-start audience gives them")
    unfitted_film_ids: list[str] = Field(description=UNFITTED_FILM_IDS)
    comparable_also_titled: dict[str, list[str]] | None = Field(None, description=ALSO_TITLED)
    unknown_film_ids: list[str] = Field(default_factory=list, description=(
        "comparable film ids the model does not know: skipped, as the cold-start audience "
        "skips them"))
    unknown_film_hints: list[str] = Field(default_factory=list, description=(
        f"what is said of each of the first {HINT_IDS} unknown_film_ids, in order, as the CLI "
        "says it"))
    genres: list[str]
    genres_only: str | None = Field(None, description=GENRES_ONLY)
    calibrated_as: str = Field(description="the known film with the largest share of the "
                                           "calibration mix that gives the probabilities "
                                           "(calibrated_from's first)")
    calibrated_from: dict[str, float] = Field(description=(
        "every known film whose calibration the new film's probabilities mix, id -> share "
        "(0-1, summing to 1 to rounding; largest first): each comparable film's own at its "
        "weight, and "
        f"for each genre (weight 1) the {NEAREST} known films nearest its taste, each by its "
        f"cosine less the {NEAREST + 1}th's"))


class ColdStartSummaryRequest(NewFilm):
    """The new film as the cold-start audience's body names it; a summary covers every ring
    and every user, so the page's k, offset and segment are refused (422) rather than unread."""

    tier: str | None = Field(None, description="whom the portrait pictures: core, extended, "
                                               "broad, several joined by ',' (adjacent rings) "
                                               "or all (the whole ranking); default core + "
                                               "extended, as a film's summary's ?tier=",
                             json_schema_extra={"x-vocabulary": "tiers"})


class ColdTierSummary(TierSummary):
    """A new film's tier: its conversion is borrowed from known films, and has no interval."""

    expected_conversion: float | None = Field(
        description="share (0-1) of the tier's users expected to watch within horizon.days: "
        "the mean over the tier's ranks of the new film's borrowed p (it has no calibration of "
        "its own: at each rank the calibrated_from-weighted mean of those known films' "
        "calibrated p at the same rank fraction; the base_conversion when every candidate "
        "scores the same); null for an empty tier or without calibration; " + ROUNDING_TEXT)
    expected_conversion_interval: list[float] | None = Field(
        description="always null (where a known film gives [low, high] probability, 0-1): a "
                    "borrowed p has no interval (conversion_interval_note says why)")
    conversion_lift_interval: list[float] | None = Field(
        description="always null (where a known film gives [low, high] ratio to the base): "
                    "expected_conversion_interval is")


class ColdStartSummary(AudienceSummary):
    film_id: None = Field(None, description="null: a new film is in no catalog")  # type: ignore[assignment]
    title: None = Field(None, description="null: a new film has no catalog title")  # type: ignore[assignment]
    year: None = Field(None, description="null: a new film has no catalog year")
    also_titled: None = Field(None, description="null: no film id was given")
    viewers: int = Field(description="users who already watched it: 0 (a new film)")
    candidates: int = Field(description="users ranked: every user")
    conversion_interval_note: str | None = Field(
        None, description="why each tier's expected_conversion_interval is null: a new film's "
        "p is borrowed from known films, and their calibrations' noise would not cover how far "
        "its conversion lies from theirs; null without calibration")
    tiers: list[ColdTierSummary]  # type: ignore[assignment]
    note: str | None = Field(
        None, description="every candidate scores the same (nothing fitted ties the "
                          "comparable films and genres to the users), saying so; else, of a "
                          "ranked audience, the comparable films with nothing fitted left out "
                          "of the mean taste, named; null otherwise. tied tells the two apart, "
                          "as the cold-start audience's")
    tied: bool = Field(description=TIED)
    conversion_note: str | None = Field(
        None, description="where the conversions come from: a new film's p at each rank is "
                          "the calibrated_from-weighted mean of known films' p at the same "
                          "rank fraction; null without calibration")
    cold_start: ColdStartInput = Field(
        description="what the new film was asked with (comparable films, genres, the unknown "
                    "ones skipped) and the known films whose calibrations its p mixes")
