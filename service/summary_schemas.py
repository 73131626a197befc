"""The body of ``GET /films/{film_id}/audience/summary``: tiers, conversion, segments, portrait.

Split from ``service.schemas`` (which the routes' other bodies stay in) as the summary grew
its conversion intervals; the CLI's ``summary --json`` prints the same body.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from recommender.model.probability_digits import LIFT_TEXT, ROUNDING_TEXT
from service.schemas import ALSO_TITLED_HELP, TITLE_HELP, YEAR_HELP, SegmentShare, TierName
from service.sent import Sent


class SummarySegmentShare(SegmentShare):
    size: int = Field(description="users in the segment (all of them, not only this group)")


class TierSummary(Sent):
    tier: TierName = Field(description="core, extended or broad")
    share_pct: float = Field(description="the tier's share of the candidates, in percent")
    size: int = Field(description="users in the tier")
    rank_range: list[int] | None = Field(description="the tier's first and last ranks ([first, "
                                                     "last]); null if empty")
    score_range: list[float] | None = Field(description="[lowest, highest] raw score of its "
                                                        "users (no unit, as a user's score); "
                                                        "null if empty")
    expected_conversion: float | None = Field(
        description="share (0-1) of the tier's users expected to watch within horizon.days: "
        "the mean calibrated probability p over the tier's users, fitted on held-out data; "
        + ROUNDING_TEXT)
    expected_conversion_interval: list[float] | None = Field(
        description="[low, high]: the 95% interval of expected_conversion, probabilities "
        f"(0-1, {ROUNDING_TEXT}), from the calibration coefficients' sampling "
        "uncertainty on its held-out slice only; it does not include the model's "
        "misspecification, the horizon's stretch or the change between periods "
        "(conversion_interval_note), which the calibration benchmark measures: no forecast "
        "range; null where expected_conversion is, or for a model trained before the interval")
    conversion_lift: float | None = Field(description="ratio expected_conversion / "
                                                      "base_conversion: " + LIFT_TEXT)
    conversion_lift_interval: list[float] | None = Field(
        description="[low, high]: the 95% interval of conversion_lift (each a ratio), from the "
        "same draws (a tier's over the base's); null where conversion_lift or "
        "expected_conversion_interval is")
    segments: list[SummarySegmentShare] = Field(
        description="the tier's segment split, by lift (cells under min_cell left out; none "
                    "for a tier of no user: a share and lift of nobody is no figure)")


class AttributeShare(Sent):
    value: str
    count: int = Field(description="the portrait's users with this value")
    share: float = Field(description="share among the portrait's users (0-1)")
    base_share: float = Field(description="share among all users (0-1)")
    lift: float = Field(description="ratio share / base_share; above 1 = over-represented")


class PortraitScope(Sent):
    tiers: list[str] = Field(description="the tiers pictured, or [\"all\"]: the whole ranking")
    rank_range: list[int] | None = Field(description="the first and last ranks pictured "
                                                     "([first, last])")
    users: int = Field(description="users pictured")
    default: bool = Field(description="true when no tier was asked for (core + extended)")
    note: str = Field(description="the same, in words")


class AudienceSummary(Sent):
    film_id: str
    title: str = Field(description=TITLE_HELP)
    year: int | None = Field(description=YEAR_HELP)
    also_titled: list[str] | None = Field(description=ALSO_TITLED_HELP)
    viewers: int = Field(description="users who already watched it")
    candidates: int = Field(description="users ranked")
    base_conversion: float | None = Field(description="expected conversion of a random "
                                                      "candidate: a probability (0-1) of "
                                                      "watching within horizon.days, "
                                                      + ROUNDING_TEXT)
    horizon: dict[str, Any] | None = Field(
        default=None, description="what the conversions cover: days (the held-out slice's "
        "span), what they were measured on (held_out_conversions, the held-out slice's "
        "conversions of ranked candidates, a count, over films_measured films ranked, a "
        "count, films_converted of them with a conversion, a count, null for a model trained "
        "before it was counted) and a description of "
        "how to stretch them to another horizon")
    conversion_interval_note: str | None = Field(
        None, description="what each tier's expected_conversion_interval covers (the "
        "calibration coefficients' sampling uncertainty on its held-out slice, only) and "
        "leaves out, or why it is null (a model trained before it; no calibration: null)")
    tiers: list[TierSummary]
    segments: list[SummarySegmentShare] = Field(
        description="segment split of all tiers together (cells under min_cell left out)")
    portrait: dict[str, list[AttributeShare]] = Field(
        description="per user attribute: the users of portrait_scope (by default core + "
                    "extended) against all users, with lift; cells under min_cell left out, "
                    "and every cell when portrait_scope.users is 0 (a portrait of nobody)")
    portrait_scope: PortraitScope | None = Field(None, description="what the portrait pictures")
    min_cell: int | None = Field(
        None, description="the minimum cell size (RECOMMENDER_MIN_CELL): a segment or "
                          "portrait cell of fewer users is left out")
    suppressed_cells: int | None = Field(
        None, description="cells left out (under min_cell, or the smallest other one when "
                          "only one would be, as it would be the total less the rest)")
    note: str | None = Field(
        None, description="set when the film cannot be ranked (every candidate scores the "
                          "same, e.g. every viewer rated it below the model's min_rating), "
                          "saying why")
