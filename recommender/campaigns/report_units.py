"""What each number of a campaign report is measured in and how it is computed, in words.

``UNITS`` names every number of the report's body by its field (a block's ``target_rate``,
``measured_targets``, a wave's ``wave``), as the distribution's bodies do, so that a reader
of ``campaign report --json`` or ``GET /campaigns/{plan_id}/report`` finds each field's unit
under its own name (the families ``conversions``, ``rates`` and ``predicted_conversions`` stay
for those who read them); ``tests/campaigns/test_report_units.py`` walks a real body.
``predicted_scaling`` and ``p_warning`` say, in words, how the predicted conversions were
scaled to the report's window and when they forecast nothing.
"""

from __future__ import annotations

from typing import Any

from recommender.io.text import days_text
from recommender.model.calibration import (
    RANDOM_HOLDOUT_NOTE,
    horizon_factor,
    random_holdout,
    uncalibrated,
)

METHOD = {
    "rates": "95% Wilson score interval, an end with 3 or fewer events (conversions, or "
             "non-conversions) moved out to the exact Poisson limit (Brown, Cai & DasGupta "
             "2001)",
    "absolute_uplift": "rate_target - rate_control; 95% interval: Newcombe's hybrid score "
                       "interval (method 10, from the two Wilson intervals)",
    "relative_uplift": "rate_target / rate_control - 1; 95% interval: MOVER-R (Donner & Zou "
                       "2012: the ratio's limits from the two Wilson intervals, as Newcombe's "
                       "for the difference); no control conversion: no estimate and no "
                       "upper bound, high is null",
    "incremental_conversions": "measured targets x absolute uplift (interval scaled alike)",
    "strata": "a block over several (film, wave) strata: the control rate is each stratum's "
              "weighted by its targets, the intervals use the controls' effective size "
              "1 / sum(w^2 / controls) (stratified Newcombe, Yan & Su 2010); targets of a "
              "stratum without controls are left out (measured_targets counts the others)",
    "predicted_conversions": "sum of the plan's p (probability of watching within the "
                             "calibration horizon without a contact), each p stretched to the "
                             "window: 1 - (1 - p) ** k (calibration.scale; see 'predicted')",
    "conversion": "an event for the row's film by the row's user in [start, start + window)",
    "dispersion": "per arm (controls, targets) of the measured rows, each place's conversions "
                  "against those its rows' (film, wave) rates expect: the generalized "
                  "Cochran-Mantel-Haenszel statistic (x - e)' V^+ (x - e), e = sum n p over "
                  "the strata and V the places' hypergeometric covariance given each "
                  "stratum's conversions, places under 5 expected conversions or "
                  "non-conversions pooled, on rank(V) df (groups - 1); beyond chance at p < "
                  "level / arms tested (Bonferroni); phi = chi-square / df "
                  "(recommender/campaigns/dispersion.py)",
}

_CONVERTED = "rows converted (users)"
_RATE = "share of rows (0.1 = 10%): estimate, low and high of its 95% interval"
_PREDICTED = "rows (users): sum of p stretched to the window"
#: how the control rate of a block is made (the footer's ``strata`` method says it at length)
CONTROL_RATE = ("weighted over strata: each (film, wave) stratum's controls converted / "
                "controls, weighted by the stratum's measured targets (not the block's "
                "controls converted / controls); one stratum, or none with targets: "
                "converted / controls")

#: the unit of each number of the report (the uplift blocks' units were not said: the CLI
#: prints points and percents, the JSON holds shares)
UNITS = {"targets": "plan rows contacted", "controls": "plan rows held out",
         "conversions": _CONVERTED, "rates": "share of rows (0.1 = 10%)",
         "target_conversions": _CONVERTED, "control_conversions": _CONVERTED,
         "measured_targets": "plan rows contacted in a (film, wave) with controls: those the "
                             "rates and uplift compare",
         "measured_conversions": "rows converted among the measured targets",
         "target_rate": _RATE,
         # a weighted figure, not controls converted / controls: said where the number is
         "control_rate": f"{_RATE}; {CONTROL_RATE}",
         "absolute_uplift": "difference of the rates, a share (0.05 = 5 percentage points)",
         "relative_uplift": "ratio of the rates minus 1 (0.5 = +50%)",
         "incremental_conversions": "rows converted (users) beyond the control rate",
         "predicted_conversions": _PREDICTED, "predicted_target_conversions": _PREDICTED,
         "predicted_control_conversions": _PREDICTED,
         "control_effective_size": "plan rows held out (effective, over strata)",
         "wave": "the wave's number (1 is sent first)",
         "window_days": "days", "start": "unix seconds (the plan's created time)",
         "end": "unix seconds (start + window)",
         "as_of": "unix seconds (the report's time: how much of each window had passed)",
         "events_read": "store events of the plan's films in the waves' windows",
         "events_after_as_of": "store events of events_read dated after as_of (counted)",
         "early_conversions": "plan rows with an event in the day before their wave's start "
                              "(not counted)",
         "wave_starts": "unix seconds: each wave's window (start, end; source: its recorded "
                        "send, else an earlier wave's latest one, else the plan's start)",
         "sent_waves": "waves (1..N counted)", "plan_waves": "waves",
         "waves_included": "wave numbers (1 is sent first)",
         "horizon_days": "days: the plan's probabilities' horizon",
         "factor": "a ratio: calibration horizons the window amounts to",
         # the dispersion block (recommender/campaigns/dispersion.py), per arm
         "level": "probability: the dispersion check's false-alarm rate over both arms",
         "unplaced_rows": "measured plan rows whose user has no place (not tested)",
         "rows": "measured plan rows of the arm with a place",
         "places": "places (values of the attribute) with rows in the arm",
         "groups": "places tested, the pooled small ones counting as one",
         "pooled_places": "places pooled into one group (under 5 expected conversions or "
                          "non-conversions)",
         "statistic": "the generalized Cochran-Mantel-Haenszel chi-square (no unit)",
         "df": "degrees of freedom: groups of places - 1 (fewer where strata fix some "
               "groups' counts)",
         "p_value": "probability of a chi-square this large if a row's chance depended on "
                    "its film and wave alone",
         "phi": "a ratio: chi-square / df (1 on average if a row's chance depends on "
                "its film and wave alone; more under a place's shock, or where a place's "
                "users differ in p within a film)"}


def p_warning(horizon: dict[str, Any]) -> str | None:
    """The report's ``calibration_warning`` for a plan's ``horizon`` (its summary's): a plan
    made from a model calibrated on a random holdout (a log without timestamps) carries p
    that are no conversion rates, so its predicted conversions forecast nothing the report
    observes; None for any other plan (one stored before the flag too, as then)."""
    if not random_holdout(horizon):
        return None
    return ("the plan's model was calibrated on a random holdout (its log had no timestamps): "
            "predicted conversions are no forecast of conversion, and predicted against "
            "observed compares unlike figures; each probability is "
            f"{horizon.get('note') or RANDOM_HOLDOUT_NOTE}")


def predicted_scaling(horizon: dict[str, Any], window_days: float
                      ) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the calibration ``scale`` reads, what the body says about it) for the plan's
    ``horizon`` (its summary's) and the report's window."""
    days = horizon.get("days")
    curve = horizon.get("curve") or horizon.get("horizon_curve")
    cal = {"horizon_days": days, "horizon_curve": curve}
    k = horizon_factor(cal, window_days) if days else None
    span = days_text(float(days)) if days else ""  # as every text says the horizon
    if uncalibrated(horizon):  # a plan stored before the flag too (its description)
        how = ("not scaled: the plan's model had no calibration, so every p is 0 and so are "
               "the predicted conversions, whatever the window")
    elif k is None:
        how = ("not scaled: the plan's probabilities have no horizon in days, so predicted "
               "conversions cover the calibration's held-out slice, whatever the window")
    elif len((curve or {}).get("days") or []) >= 2:  # what horizon_factor reads as a curve
        how = (f"each p stretched from {span} to {window_days:g} days: 1 - (1 - p) ** k, "
               f"k = {k:.4g} from the measured activity curve (calibration.scale)")
    else:
        how = (f"each p stretched from {span} to {window_days:g} days: 1 - (1 - p) ** k, "
               f"k = window / horizon = {k:.4g} (calibration.scale; the plan's summary holds "
               "no activity curve, so activity is taken as even over time)")
    return cal, {"horizon_days": days, "window_days": window_days,
                 "factor": None if k is None else round(k, 6), "scaling": how}
