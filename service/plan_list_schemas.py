"""A plan in ``GET /campaigns`` (and ``campaign list --json``), every field typed.

Each is typed so that the schema says each figure's unit: its id, times, films and totals; per
wave the target and control rows and the expected conversions (a sum of probabilities), whether
and how it went out, and the totals of the sent waves and of those still to go
(``recommender.campaigns.plan_waves``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from service.sent import Sent

SENT_BY = ("what says the wave went out: \"recorded\" (its send time was recorded: campaign "
           "sent, POST /campaigns/{plan_id}/waves/{wave}/sent), \"withdrawal\" (a withdrawal "
           "says waves 1..N went out), \"next_wave\" (a next wave was planned after N sent "
           "waves); null: nothing says it went out")


class ListedWave(Sent):
    wave: int = Field(description="the wave's number in this plan (1 is sent first; a next "
                                  "wave numbers its waves from 1)")
    targets: int = Field(description="target rows of the wave: (film, user) pairs to contact, "
                                     "a count")
    controls: int = Field(description="control rows of the wave: (film, user) pairs held out "
                                      "to measure the uplift, a count")
    expected_conversions: float = Field(
        description="expected conversions of the wave's targets: the sum of their stored "
                    "per-row p (probability of converting within the plan's horizon_days), "
                    "rounded to 6 decimals, as totals.expected_conversions sums every wave")
    sent_at: int | None = Field(description="the wave's recorded send time in unix seconds; "
                                            "null: none recorded")
    sent_at_utc: str | None = Field(description="sent_at as ISO 8601 in UTC "
                                                "(2024-03-21T09:00:00Z); null: none recorded")
    sent: bool = Field(description="true: the wave went out (sent_by says what says so)")
    sent_by: Literal["recorded", "withdrawal", "next_wave"] | None = Field(description=SENT_BY)
    withdrawn_unsent: bool = Field(description="true: the plan was withdrawn after fewer sent "
                                               "waves, so this one never went out (its pairs "
                                               "are free for other plans)")
    replanned: bool = Field(description="true: a next wave was planned after fewer sent waves "
                                        "and re-plans this one's budget; it is not sent from "
                                        "this plan")


class WaveTotals(Sent):
    waves: int = Field(description="waves counted, a count")
    targets: int = Field(description="their target rows ((film, user) pairs), a count")
    controls: int = Field(description="their control rows ((film, user) pairs), a count")
    expected_conversions: float = Field(description="their expected conversions: the sum of "
                                                    "their waves' probability sums")


class ListedWithdrawal(Sent):
    sent_waves: int = Field(description="waves 1..N of the plan that went out before it was "
                                        "withdrawn (0: none), a count")
    at: str = Field(description="when it was withdrawn (ISO 8601 in UTC, "
                                "2024-03-21T09:00:00Z)")
    via: str = Field(description="the plan_id the withdrawal was asked for (a later plan of "
                                 "its chain, or this one)")


class ListedPlan(Sent):
    """A plan of the list (``recommender.campaigns.plan_list.listed_plan``), every field in
    the order the store lists them."""

    model_config = ConfigDict(extra="allow")

    plan_id: str = Field(description="the plan's id")
    created: str = Field(description="when it was planned (ISO 8601 in UTC, "
                                     "2024-03-21T09:00:00Z)")
    previous_plan_id: str | None = Field(description="a next wave's: the plan it continues; "
                                                     "null for a campaign's first plan")
    previous_sent_waves: int | None = Field(
        description="a next wave's: the waves of previous_plan_id sent before it was planned, "
                    "a count; null for a campaign's first plan")
    model_version: str = Field(description="the model version the plan was made with")
    rows: int = Field(description="its stored plan rows (targets and controls, every wave), "
                                  "a count")
    films: list[str] = Field(description="the film ids of its slate, as its summary names "
                                         "them")
    titles: dict[str, str] = Field(description="film id -> title it was planned with (or the "
                                               "served model's: titles_from_model)")
    totals: dict[str, Any] = Field(
        description="the whole plan's totals as its summary stored them, every wave: films "
                    "(count), budget, selected_limit, selected, contacts and control (counts of "
                    "users), expected_conversions (a sum of probabilities over horizon_days), "
                    "expected_value (value units), flagged_films (film ids); a figure that "
                    "could not be read is left out (incomplete names it)")
    horizon_days: int | float | None = Field(
        description="the span in days totals.expected_conversions cover; null: the model's "
                    "calibration has no span in days")
    next_plan_ids: list[str] = Field(description="the plans that continue it (its next waves, "
                                                 "but those withdrawn before any wave was "
                                                 "sent), the one of most waves sent first")
    withdrawn: ListedWithdrawal | None = Field(description="null, or its withdrawal")
    incomplete: list[str] = Field(description="the parts of a damaged stored summary that "
                                              "could not be read ([] for a whole one)")
    titles_from_model: list[str] = Field(description="film ids its summary recorded no title "
                                                     "for: titles has the served model's ('' "
                                                     "for a film it does not know)")
    planned_waves: int = Field(description="the waves the plan was made with (its summary's "
                                           "parameters.waves; else the most its rows name)")
    per_wave: list[ListedWave] = Field(description="each of its waves 1..planned_waves, "
                                                   "counted over its stored rows (a wave "
                                                   "without rows at 0)")
    sent_totals: WaveTotals = Field(description="the totals of its waves that went out (sent)")
    pending_totals: WaveTotals = Field(
        description="the totals of its waves that may still go out: not sent, not withdrawn "
                    "unsent, not re-planned by a next wave (nothing recorded says they went "
                    "out; record each send to move it to sent_totals)")

    @model_serializer(mode="wrap")
    def _as_listed(self, handler: SerializerFunctionWrapHandler):
        """The entry's fields in the order the store lists them (``campaign list --json``
        prints that dict): the others first, these last. No return annotation: pydantic
        would take it for the schema of the body (an object of any fields)."""
        out = handler(self)
        extra = self.__pydantic_extra__ or {}
        return {**{k: out[k] for k in extra if k in out},
                **{k: v for k, v in out.items() if k not in extra}}
