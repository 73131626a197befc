"""A campaign's report over its chain of plans: each plan's report, and the uplift pooled.

A campaign is a chain of plans: its first plan, then each next wave planned from what came
back after some of the previous plan's waves were sent (``next_wave.py``, linked in
``campaign_plan_links``). ``campaign report PLAN_ID`` reports one plan of it; ``chain_report``
reports the chain that ends at ``PLAN_ID``, oldest first: each earlier plan over the waves it
had sent when the next plan of the chain was planned (the link's ``sent_waves``: the rest were
re-planned by that next plan, never sent from it), the last one over its own report's waves
(``report.included_waves``; ``sent_waves`` given counts that plan's), each with the single
report's blocks and intervals (``report.campaign_report``, at one ``as_of``).

The pooled block compares like with like over the whole chain: every (plan, film, wave) is a
stratum (each plan a stratum, and within it each (film, wave) as in the plan's own report,
since the plans' controls are not the same share of their targets either), and the estimator
is the single report's over its strata (``report.strata_stats``): the target rate is the
measured targets' own, the control rate each stratum's weighted by its measured targets, and
the intervals are the stratified Newcombe interval with the controls' effective size
``1 / sum(w^2 / controls)`` (Yan and Su, 2010), MOVER-R for the ratio. A next wave never
plans a pair a sent wave of its chain contacted or held out (``next_wave.py``), so no row is
counted twice. The chain's next waves after ``PLAN_ID`` are not in it (named in
``next_waves``: report the last plan of a chain to include them).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sqlalchemy as sa

from recommender.campaigns import report as _report
from recommender.campaigns.report import NO_MODEL, campaign_report, strata_stats
from recommender.campaigns.report_units import METHOD, UNITS
from recommender.campaigns.store import CampaignStore
from recommender.errors import InvalidParameterError
from recommender.model.model import Model

#: the pooled block's method, in words (the body's ``method.chain``)
CHAIN_METHOD = (
    "pooled over the chain of plans: every (plan, film, wave) a stratum (each plan a stratum, "
    "within it each (film, wave) as the plan's own report), the same stratified estimator as "
    "a report's blocks: target rate the measured targets' own, control rate each stratum's "
    "weighted by its measured targets, 95% intervals stratified Newcombe with the controls' "
    "effective size 1 / sum(w^2 / controls) (Yan & Su 2010) and MOVER-R for the ratio; each "
    "earlier plan counts the waves it had sent when the chain's next plan was planned")
#: the units of the numbers a chain's body adds to a report's (``UNITS``)
CHAIN_UNITS = {
    "position": "the plan's place in the chain (1: the campaign's first plan)",
    "campaign_waves": "the campaign's wave numbers (counted over the chain's sent waves from "
                      "its first plan): the plan's first and last counted wave",
    "strata": "(plan, film, wave) strata pooled",
    "plans_count": "plans of the chain pooled"}


def chain_of(store: CampaignStore, plan_id: str) -> list[tuple[str, int | None]]:
    """The chain of plans that ends at ``plan_id``, oldest first, each ``(plan_id, sent
    waves)``: an earlier plan's its link's (its waves sent when the next plan of the chain
    was planned), ``plan_id``'s None (its report's own). ``UnknownPlanError`` for no such
    plan; a chain that links back to one of its plans (a damaged store) is refused."""
    from recommender.campaigns.events import plan_links

    store.summary(plan_id)  # first: an unknown id is refused as a report refuses it
    c = plan_links.c
    chain: list[tuple[str, int | None]] = [(plan_id, None)]
    seen = {plan_id}
    with store.engine.connect() as conn:
        at = plan_id
        while (link := conn.execute(sa.select(c.previous_plan_id, c.sent_waves).where(
                c.plan_id == at)).first()) is not None:
            at = str(link[0])
            if at in seen:
                raise InvalidParameterError(
                    f"the chain of plan {plan_id} links back to plan {at}: the store's plan "
                    "links are damaged, so the chain has no first plan to report from")
            seen.add(at)
            chain.append((at, int(link[1])))
    return chain[::-1]


def chain_report(store: CampaignStore, plan_id: str, window_days: float = 30.0,
                 sent_waves: int | None = None, model: Model | None = None,
                 no_model: str = NO_MODEL, as_of: int | None = None) -> dict[str, Any]:
    """The report of the chain of plans that ends at ``plan_id`` (see the module docstring):
    each plan's report (``campaign_report``'s body without the units and method, said once
    here), the campaign's wave numbers of each, and the ``pooled`` block over every (plan,
    film, wave). ``sent_waves``: the waves of ``plan_id`` counted (default: its report's);
    ``UnknownPlanError``, ``InvalidParameterError`` and ``NothingToReportError`` as
    ``campaign_report`` raises them."""
    from recommender.campaigns.withdraw import next_waves

    now = _report.report_now() if as_of is None else int(as_of)
    plans: list[dict[str, Any]] = []
    counts: list[list[int]] = [[], [], [], []]
    predicted = [0.0, 0.0]
    first_wave = 1
    chain = chain_of(store, plan_id)
    for position, (pid, sent) in enumerate(chain, 1):
        body = campaign_report(store, pid, window_days, sent_waves=sent_waves
                               if pid == plan_id else sent, model=model, no_model=no_model,
                               as_of=now)
        for film in body["films"]:  # each (film, wave) of the plan's report: one stratum
            for w in film["waves"]:
                for i, name in enumerate(("targets", "target_conversions", "controls",
                                          "control_conversions")):
                    counts[i].append(int(w[name]))
        predicted[0] += body["overall"]["predicted_target_conversions"]
        predicted[1] += body["overall"]["predicted_control_conversions"]
        if pid != plan_id:  # its waves are the link's: said so, not "given"
            nxt, n = chain[position][0], int(body["sent_waves"])
            said = (f"the chain's next plan {nxt} was planned after {n} sent "
                    f"wave{'s' if n != 1 else ''}")
            body["note"] = body["note"].replace(f"({body['sent_waves_source']})", f"({said})",
                                                1)
            body["sent_waves_source"] = said
        last_wave = first_wave + int(body["sent_waves"]) - 1
        plans.append({"position": position, "campaign_waves": [first_wave, last_wave],
                      **{k: v for k, v in body.items() if k not in ("units", "method")}})
        first_wave = last_wave + 1
    n_t, x_t, n_c, x_c = (np.asarray(a, np.int64) for a in counts)
    pooled = {"plans_count": len(plans), "strata": len(n_t),
              **strata_stats(n_t, x_t, n_c, x_c, predicted[0], predicted[1])}
    later = [n for n in next_waves(store, plan_id) if n["withdrawn"] is None]
    note = (f"{len(plans)} plan{'s' if len(plans) != 1 else ''} of the campaign, its "
            f"{_waves(1, first_wave - 1)} counted ("
            + "; ".join(f"{p['plan_id']}: {_waves(*p['campaign_waves'])}, "
                        f"{p['sent_waves_source']}" for p in plans)
            + "); " + CHAIN_METHOD)
    if later:
        note += (f"; plan {plan_id} has next waves ({', '.join(n['plan_id'] for n in later)}) "
                 "not in this chain: report the last plan of the chain to count them")
    return {"plan_id": plan_id, "chain": [p["plan_id"] for p in plans],
            "window_days": window_days, "as_of": now, "plans": plans, "pooled": pooled,
            "next_waves": later, "method": {**METHOD, "chain": CHAIN_METHOD},
            "units": {**UNITS, **CHAIN_UNITS}, "note": note}


def _waves(first: int, last: int) -> str:
    """The campaign's waves ``first``..``last`` in words."""
    return f"wave {first}" if first == last else f"waves {first}-{last}"
