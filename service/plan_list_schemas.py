"""The per-wave fields of a plan in ``GET /campaigns`` (and ``campaign list --json``).

A listed plan's other fields stay as they were (``PlanList.plans``' description names them);
these are typed so that the schema says each figure's unit: per wave the target and control
rows and the expected conversions (a sum of probabilities), whether and how it went out, and
the totals of the sent waves and of those still to go (``recommender.campaigns.plan_waves``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

SENT_BY = ("what says the wave went out: \"recorded\" (its send time was recorded: campaign "
           "sent, POST /campaigns/{plan_id}/waves/{wave}/sent), \"withdrawal\" (a withdrawal "
           "says waves 1..N went out), \"next_wave\" (a next wave was planned after N sent "
           "waves); null: nothing says it went out")


class ListedWave(BaseModel):
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


class WaveTotals(BaseModel):
    waves: int = Field(description="waves counted, a count")
    targets: int = Field(description="their target rows ((film, user) pairs), a count")
    controls: int = Field(description="their control rows ((film, user) pairs), a count")
    expected_conversions: float = Field(description="their expected conversions: the sum of "
                                                    "their waves' probability sums")


class ListedPlan(BaseModel):
    """A plan of the list: the fields ``PlanList.plans`` describes, and these."""

    model_config = ConfigDict(extra="allow")

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
