// The whole campaign: each plan of the chain up to this one over its sent waves, and the uplift pooled (GET /campaigns/{id}/report?chain=true).

import { getJson, query } from "./api.js";
import { blockColumns, countInterval, pointsInterval, relativeInterval, uplift_chart, utcTime } from "./campaign_report.js";
import { h, int, count, section, table, errorBox, sentence, daySpan } from "./ui.js";

const link = (id) => h("a", { href: `#/campaigns/${encodeURIComponent(id)}` }, id);
const span = ([a, b]) => (a === b ? `wave ${a}` : `waves ${a}–${b}`);

/** Why the chain's report is not asked for (a plan that continues none: its own report is the
    campaign's; a next wave withdrawn before it sent any); null where it is. */
function emptyState(summary) {
  if (!summary.previous_plan_id) {
    return h("p", { class: "note", id: "whole-campaign-empty" },
      "This plan begins its campaign, and no earlier plan is pooled with it: the report above is the whole campaign's. ",
      "Once a next wave is planned from it and sent, the next wave's page reports the whole campaign: each plan over its sent waves, and the uplift pooled over them all.");
  }
  const gone = summary.withdrawn;
  if (gone && gone.sent_waves === 0) {
    return h("p", { class: "note", id: "whole-campaign-empty" },
      "No wave of this plan was sent (it was withdrawn before any): the campaign's sent waves are its earlier plans', ",
      "and the page of the plan it continues, ", link(summary.previous_plan_id), ", reports them.");
  }
  return null;
}

/** The warnings of the chain's plans the server gives in words (random-holdout calibration, places
    from another model, places converting beyond chance), each named by its plan; null when none has
    one. */
function planWarnings(report) {
  const said = report.plans.flatMap((p) => [p.calibration_warning,
    p.dispersion && p.dispersion.beyond_chance === true ? p.dispersion.note : null,
    p.dispersion && p.dispersion.model_warning].filter(Boolean)
    .map((w) => h("li", {}, link(p.plan_id), `: ${sentence(w)}`)));
  return said.length ? h("ul", { class: "warning", id: "whole-campaign-warnings" }, said) : null;
}

/** The pooled uplift in one sentence, in the single report's units (percentage points, a
    signed percent, conversions), or why there is none (the server's words). */
function pooledSentence(report) {
  const p = report.pooled;
  const waves = report.plans.length ? report.plans[report.plans.length - 1].campaign_waves[1] : 0;
  // no plan in the report: no wave counted, said in words (a span of waves 1 to 0 is none)
  const sent = waves > 0 ? `the campaign's ${span([1, waves])}` : "no wave of the campaign counted";
  const over = `Pooled over ${count(p.plans_count, "plan")} (${count(p.strata, "stratum", "strata")} of a plan, a film and a wave; ${sent})`;
  if (p.no_estimate) return h("p", { id: "whole-campaign-pooled" }, `${over}: no uplift is measured: ${sentence(p.no_estimate)}`);
  return h("p", { id: "whole-campaign-pooled" }, `${over}: absolute uplift `,
    h("strong", { id: "whole-campaign-absolute" }, pointsInterval(p.absolute_uplift)),
    ", relative uplift ", h("span", { id: "whole-campaign-relative" }, relativeInterval(p.relative_uplift)),
    ", incremental conversions ", h("span", { id: "whole-campaign-incremental" }, countInterval(p.incremental_conversions)),
    " (estimate [95% interval]).");
}

/** The chain's report drawn: the pooled uplift, the window, the server's note and warnings,
    the chart and a row per plan, then the pooled row. */
function chainView(report, planId) {
  const windowSpan = daySpan(report.window_days);
  const unscaled = report.plans.some((p) => p.predicted && p.predicted.factor === null);
  const rows = [...report.plans.map((p) => ({ ...p.overall, name: `plan ${p.position}`,
    label: [link(p.plan_id), ` (plan ${p.position}${p.plan_id === planId ? ", this one" : ""}: the campaign's ${span(p.campaign_waves)})`] })),
  { ...report.pooled, name: "pooled", label: `Pooled (${count(report.pooled.strata, "stratum", "strata")})` }];
  const cols = blockColumns(unscaled, windowSpan, "plan, film and wave");
  cols[0] = { key: "label", label: "Plan (the campaign's waves counted)", wrap: true };
  const later = report.next_waves || [];
  return [pooledSentence(report),
    h("p", { class: "note", id: "whole-campaign-window" }, `Conversions within ${windowSpan} of each wave's start `,
      `(its recorded send, else its plan's creation), as of ${utcTime(report.as_of)}; each earlier plan counts the waves it had sent when the next plan of the chain was planned.`),
    h("p", { class: "note", id: "whole-campaign-note" }, "How the server counted: ", sentence(report.note)),
    later.length ? h("p", { class: "note", id: "whole-campaign-later" },
      `This plan has ${later.length === 1 ? "a next wave" : `${later.length} next waves`} not counted here (`,
      ...later.flatMap((w, i) => [i ? ", " : "", link(w.plan_id)]),
      "): the page of the chain's last plan counts them with this one's.") : "",
    planWarnings(report),
    uplift_chart(rows),
    table("Uplift against the control groups, per plan of the campaign (oldest first) and pooled over every plan, film and wave",
      cols, rows),
    // the predicted column's meaning, kept out of its header (a word wide at 640 px)
    h("p", { class: "note", id: "whole-campaign-predicted" }, "Predicted target conversions: what the plans' probabilities expect of ",
      "the contacted users had they not been contacted, ",
      unscaled ? `over the probabilities' own span, not scaled to the window of ${windowSpan}.` : `within the window of ${windowSpan}.`)];
}

/** The campaign page's "Whole campaign" section for ``planId`` (its ``summary``, kept up to date by
    the page): ``box``, and ``load(given, windowDays)`` asking the chain's report with this plan's
    waves sent and the page report's window (undefined: the server's). Only the latest ask paints. */
export function wholeCampaign(planId, summary) {
  const body = h("div", { id: "whole-campaign" });
  const box = section("Whole campaign", body);
  let asked = 0;
  const empty = emptyState(summary);
  body.replaceChildren(empty || h("p", { class: "loading" }, "Reading the whole campaign's report…"));
  const load = async (given, windowDays) => {
    const mine = ++asked;
    if (empty) return;
    // the box keeps its height while it is read: the sections under it moved under a click
    body.style.minHeight = `${body.offsetHeight}px`;
    body.replaceChildren(h("p", { class: "loading" }, "Reading the whole campaign's report…"));
    let report;
    try {
      report = await getJson(`/campaigns/${encodeURIComponent(planId)}/report${query({ chain: true, sent_waves: given, window_days: windowDays })}`);
    } catch (e) {
      if (mine === asked) {
        body.replaceChildren(errorBox(e, () => load(given, windowDays)));
        body.style.minHeight = "";
      }
      return;
    }
    if (mine !== asked) return;
    body.replaceChildren(...chainView(report, planId).filter(Boolean));  // a null drew "null"
    body.style.minHeight = "";
  };
  return { box, load };
}
