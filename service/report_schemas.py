"""The body of ``GET /campaigns/{plan_id}/report``: blocks of targets, controls and uplift.

The library builds it (``recommender.campaigns.report``); these models only declare it in the
OpenAPI schema (the route returns the library's dict as it is, so the CLI's ``campaign report
--json`` and the HTTP body stay one), and ``tests/service/test_report_schema.py`` validates
real reports against the published schema, so a key the library adds without declaring it
fails there. Units: the body's ``units`` and ``method``.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from recommender.campaigns.report_windows import DAY_RULE
from service.sent import Sent


class _Closed(Sent):
    model_config = ConfigDict(extra="forbid")


#: an interval's numbers are in the unit of the figure it estimates (the report's ``units``)
IN_ITS_UNIT = ("in the figure's unit: a share 0-1 for target_rate, control_rate and "
               "absolute_uplift, a ratio minus 1 for relative_uplift, rows (users) for "
               "incremental_conversions")


class Interval(_Closed):
    estimate: float | None = Field(description="the point estimate, " + IN_ITS_UNIT + " (null: "
                                               "none, as when no control converted for a "
                                               "relative uplift)")
    low: float = Field(description="the 95% interval's lower end, " + IN_ITS_UNIT)
    high: float | None = Field(description="its upper end, " + IN_ITS_UNIT + " (null: "
                                           "unbounded)")


class Block(_Closed):
    """One group's counts, rates and uplift (a film, a wave, a film's wave, or the plan)."""

    #: ``report.strata_stats`` adds each where it applies
    sometimes = frozenset({"measured_conversions", "control_effective_size", "note", "warning",
                           "split_warning", "no_estimate"})

    targets: int = Field(description="plan rows contacted")
    controls: int = Field(description="plan rows held out")
    target_conversions: int = Field(description="targets converted in the window")
    control_conversions: int = Field(description="controls converted in the window")
    predicted_target_conversions: float = Field(
        description="sum of the targets' p stretched to the window (rows)")
    predicted_control_conversions: float = Field(
        description="sum of the controls' p stretched to the window (rows)")
    measured_targets: int = Field(description="targets in a (film, wave) with controls: the "
                                              "ones rates and uplift compare")
    measured_conversions: int | None = Field(
        None, description="conversions of the measured targets (the target rate's numerator)")
    target_rate: Interval | None = Field(description="share of targets converted (0-1)")
    control_rate: Interval | None = Field(description="share of controls converted (0-1), "
                                                      "weighted over strata: each (film, "
                                                      "wave)'s rate weighted by its measured "
                                                      "targets, not converted / controls")
    control_effective_size: float | None = Field(
        None, description="the controls' effective size over several strata (plan rows held "
                          "out, effective)")
    absolute_uplift: Interval | None = Field(description="target rate - control rate (a share, "
                                                         "0.05 = 5 percentage points)")
    relative_uplift: Interval | None = Field(description="target rate / control rate - 1 (a "
                                                         "ratio, 0.5 = +50%)")
    incremental_conversions: Interval | None = Field(
        description="measured targets x absolute uplift (rows)")
    note: str | None = Field(None, description="targets left out of the comparison, and why")
    warning: str | None = Field(None, description="fewer than 10 measured targets or "
                                                  "controls: approximate intervals")
    split_warning: str | None = Field(
        None, description="targets and controls far from an even split (an interval 2x or "
                          "more as wide as an even split of the same users would give)")
    no_estimate: str | None = Field(None, description="why uplift cannot be measured")


class WaveBlock(Block):
    wave: int = Field(description="the wave's number (1 is sent first)")


class FilmBlock(Block):
    film_id: str
    title: str = Field(description="the film's title in the plan's summary ('' when none)")
    waves: list[WaveBlock] = Field(description="the film's block per sent wave")


class Predicted(_Closed):
    horizon_days: float | None = Field(description="the plan's probabilities' horizon (days)")
    window_days: float = Field(description=f"the report's window (days; {DAY_RULE})")
    factor: float | None = Field(description="calibration horizons the window amounts to (a "
                                             "ratio): k in 1 - (1 - p) ** k (null: not scaled)")
    scaling: str = Field(description="how p was stretched to the window, in words")


class WaveStart(_Closed):
    wave: int = Field(description="the wave's number (1 is sent first)")
    start: int = Field(description="unix seconds: the start of the wave's window, its "
                                   "recorded send, else the latest recorded send of an "
                                   "earlier wave (waves go out in order), else the plan's "
                                   "start (source)")
    end: int = Field(description="unix seconds: start + window")
    source: str = Field(description="'recorded' (campaign sent, POST "
                                    "/campaigns/{plan_id}/waves/{wave}/sent), 'after wave K's "
                                    "send' (none recorded for this wave: from the latest "
                                    "recorded send of an earlier wave K, as waves go out in "
                                    "order) or 'plan start'")
    window_elapsed_days: float = Field(description="days of the window passed at the report's "
                                                   "time (as_of), at most window_days")
    window_elapsed_share: float = Field(description="share (0-1) of the window passed at the "
                                                    "report's time (as_of)")
    window_open: bool = Field(description="whether the window is still open at as_of: its "
                                          "observed conversions will grow, predicted is for "
                                          "the full window")


class DispersionArm(_Closed):
    """One arm's test of the places (controls, or targets) over the measured rows."""

    sometimes = frozenset({"note"})  # an arm tested has none (``dispersion.place_dispersion``)

    rows: int = Field(description="measured plan rows of the arm whose user has a place")
    conversions: int = Field(description="those rows converted")
    places: int = Field(description="places with rows in the arm")
    groups: int = Field(description="places tested, the pooled small ones counting as one")
    pooled_places: int = Field(description="places pooled into one group (under 5 expected "
                                           "conversions or non-conversions)")
    statistic: float | None = Field(description="the generalized Cochran-Mantel-Haenszel "
                                                "chi-square, no unit (null: too few to test)")
    df: int | None = Field(description="degrees of freedom: groups of places - 1 (fewer where "
                                       "strata fix some groups' counts)")
    p_value: float | None = Field(description="probability of a chi-square this large if a "
                                              "row's chance depended on its film and wave "
                                              "alone")
    phi: float | None = Field(description="dispersion factor, a ratio: chi-square / df (1 "
                                          "on average if a row's chance depends on "
                                          "its film and wave alone)")
    beyond_chance: bool | None = Field(description="p_value below level / arms tested")
    note: str | None = Field(None, description="why the arm was not tested")


class Dispersion(_Closed):
    """Whether the places of the plan's users convert more unevenly than one rate per film
    and wave allows (``recommender/campaigns/dispersion.py``); no interval changes."""

    attribute: str | None = Field(description="the place attribute (region, city, cinema, "
                                              "zip_zone; null: not checked)")
    level: float = Field(description="the check's false-alarm probability (0-1) over both "
                                     "arms")
    beyond_chance: bool | None = Field(description="an arm varies beyond chance (null: none "
                                                   "could be tested)")
    unplaced_rows: int | None = Field(description="measured plan rows whose user has no place")
    controls: DispersionArm | None
    targets: DispersionArm | None
    note: str = Field(description="the result, or why it was not checked, in words")
    model_warning: str | None = Field(description="null, or that the places came from a "
                                                  "model that is not the plan's (naming both "
                                                  "versions) and how many of the plan's users "
                                                  "it does not know")


class Report(_Closed):
    plan_id: str
    model_version: str = Field(description="the model version the plan was made with")
    start: int = Field(description="unix seconds: the plan's created time")
    end: int = Field(description="unix seconds: start + window")
    window_days: float = Field(description="days")
    as_of: int = Field(description="unix seconds: the report's time, at which each wave's "
                                   "window_elapsed_days is measured")
    window_open: bool = Field(description="whether any wave's window is still open at as_of "
                                          "(the note says how much has passed)")
    events_read: int = Field(description="store events of the plan's films in the waves' "
                                         "windows (wave_starts: each from its start to "
                                         "before its end; those conversions are counted "
                                         "from; not the day before, nor after the end), a "
                                         "count of every writer's events: every key's, "
                                         "whichever key asks, not the asking key's alone")
    events_after_as_of: int = Field(description="store events of events_read dated after "
                                                "as_of (counted all the same; the note says "
                                                "so)")
    early_conversions: int = Field(description="plan rows with an event in the day before "
                                               "their wave's start, not counted")
    wave_starts: list[WaveStart] = Field(description="each counted wave's window: from its "
                                         "recorded send, else from an earlier wave's latest "
                                         "recorded send, else from the plan's start (start)")
    sent_waves: int = Field(description="waves 1..N counted")
    plan_waves: int = Field(description="the plan's waves")
    waves_included: list[int] = Field(description="the numbers of the waves counted (1 is "
                                                  "sent first)")
    sent_waves_source: str = Field(description="where sent_waves came from, in words")
    recorded_waves: list[int] = Field(description="the waves whose send was recorded "
                                                  "(campaign sent; wave numbers, 1 is sent "
                                                  "first): by default waves 1 to the last "
                                                  "of them count")
    horizon: dict[str, Any] = Field(description="the plan summary's calibration horizon")
    calibration_warning: str | None = Field(
        None, description="null, or why predicted conversions are no forecast: the plan's "
                          "model was calibrated on a random holdout (a log without "
                          "timestamps), so its p are not conversion rates")
    predicted: Predicted
    method: dict[str, str] = Field(description="each figure's method, in words")
    units: dict[str, str] = Field(description="each figure's unit")
    note: str
    dispersion: Dispersion
    overall: Block
    waves: list[WaveBlock]
    films: list[FilmBlock]


class ChainPlan(Report):
    # a plan's report within its chain: the chain's body holds units and method once
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "not": {"anyOf": [{"required": ["units"]}, {"required": ["method"]}]}})
    sometimes = frozenset({"units", "method"})  # never sent: the chain's body holds them
    units: dict[str, str] | None = Field(  # type: ignore[assignment]  # absent here
        None, description="absent: the chain's units")
    method: dict[str, str] | None = Field(  # type: ignore[assignment]  # absent here
        None, description="absent: the chain's method")
    position: int = Field(description="the plan's place in the chain (1: the campaign's first "
                                      "plan)")
    campaign_waves: list[int] = Field(description="the campaign's numbers of the plan's first "
                                                  "and last counted wave")


class Pooled(Block):
    plans_count: int = Field(description="plans of the chain pooled")
    strata: int = Field(description="(plan, film, wave) strata pooled")


class NextWaveLink(_Closed):
    plan_id: str
    sent_waves: int = Field(description="waves of the earlier plan sent when it was planned")
    withdrawn: Any = Field(description="null: not withdrawn (only those are listed)")


class ChainReport(_Closed):
    plan_id: str = Field(description="the chain's last plan, the one asked for")
    chain: list[str] = Field(description="the chain's plan ids, oldest first")
    window_days: float = Field(description="days")
    as_of: int = Field(description="unix seconds: the report's time")
    plans: list[ChainPlan] = Field(description="each plan's report, oldest first")
    pooled: Pooled = Field(description="the uplift pooled over every (plan, film, wave) "
                                       "stratum (method.chain)")
    next_waves: list[NextWaveLink] = Field(description="next waves planned after plan_id, not "
                                                       "in this chain")
    method: dict[str, str] = Field(description="each figure's method, in words")
    units: dict[str, str] = Field(description="each figure's unit")
    note: str
