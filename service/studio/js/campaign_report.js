// A campaign's report: uplift with 95% intervals per wave and per film, and how it counted.

import { h, int, num, pct, fixed, expectedCount, section, table, tableBox, sentence, daySpan, days } from "./ui.js";

export const interval = (v) => (!v || v.estimate === undefined ? "–"
  : `${v.estimate === null ? "–" : pct(v.estimate, 2)} [${pct(v.low, 2)}, ${v.high === null ? "+∞" : pct(v.high, 2)}]`);
// a difference of two rates is in percentage points (the CLI's "+2.71 pts"), not a percent, so it
// does not read as a second relative uplift; both uplifts signed, as the CLI writes them
const signed = (x, unit = "") => (x === null || x === undefined ? "–"
  : `${x >= 0 ? "+" : ""}${fixed(100 * x, 2)}${unit}`);
// conversions beyond the controls' rate, signed to 2 decimals as the CLI writes them
const signedCount = (x) => (x === null || x === undefined ? "–" : `${x >= 0 ? "+" : ""}${num(x, 2)}`);
export const countInterval = (v) => (!v || v.estimate === undefined ? "–"
  : `${signedCount(v.estimate)} [${signedCount(v.low)}, ${v.high === null ? "+∞" : signedCount(v.high)}]`);
export const pointsInterval = (v) => (!v || v.estimate === undefined ? "–"
  : `${v.estimate === null ? "–" : `${signed(v.estimate)} pts`} [${signed(v.low)}, ${v.high === null ? "+∞" : signed(v.high)}]`);
export const relativeInterval = (v) => (!v || v.estimate === undefined ? "–"
  : `${signed(v.estimate, "%")} [${signed(v.low, "%")}, ${v.high === null ? "+∞" : signed(v.high, "%")}]`);

// One horizontal interval per row on a shared axis: where the uplift may lie, and zero.
export function uplift_chart(rows) {
  const svgNS = "http://www.w3.org/2000/svg";
  const lows = rows.map((r) => r.absolute_uplift?.low ?? 0);
  const highs = rows.map((r) => r.absolute_uplift?.high ?? 0);
  const lo = Math.min(0, ...lows);
  const hi = Math.max(0, ...highs);
  const span = hi - lo || 1;
  const W = 560; const rowH = 26; const left = 110;
  const x = (v) => left + ((v - lo) / span) * (W - left - 20);
  const svg = document.createElementNS(svgNS, "svg");
  // the axis' labels: the ends' on one line, "0 (no effect)" on its own line below where it would
  // run into one
  const pp = (v) => `${v > 0 ? "+" : ""}${fixed(100 * v, 1)} pts`;
  const wide = (text) => text.length * 6.5;  // 11px text: an upper bound of its width
  const ends = [...(lo < 0 ? [[x(lo), x(lo) + wide(pp(lo))]] : []),
    ...(hi > 0 ? [[x(hi) - wide(pp(hi)), x(hi)]] : [])];
  const zero = [x(0) + 4, x(0) + 4 + wide("0 (no effect)")];
  const apart = ends.every(([a, b]) => b + 4 <= zero[0] || zero[1] + 4 <= a);
  const axisY = rowH * rows.length + 16;
  svg.setAttribute("viewBox", `0 0 ${W} ${axisY + (apart ? 8 : 22)}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Absolute uplift with 95% intervals, per row of the table below");
  svg.classList.add("chart");
  const add = (tag, attrs, text) => {
    const el = document.createElementNS(svgNS, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    if (text) el.textContent = text;
    svg.append(el);
  };
  add("line", { x1: x(0), x2: x(0), y1: 0, y2: rowH * rows.length, stroke: "#1c1f24" });
  rows.forEach((r, i) => {
    const y = rowH * i + rowH / 2;
    add("text", { x: 4, y: y + 4, "font-size": 12 }, r.name);
    const u = r.absolute_uplift;
    if (!u || u.estimate === undefined) return;
    add("line", { x1: x(u.low), x2: x(u.high), y1: y, y2: y, stroke: "#1f5fbf", "stroke-width": 4 });
    if (u.estimate !== null) add("circle", { cx: x(u.estimate), cy: y, r: 5, fill: "#14213d" });
  });
  // kept inside the chart: at the right end it is drawn leftwards of the zero line
  const rightward = zero[1] <= W;
  add("text", { x: rightward ? zero[0] : x(0) - 4, y: apart ? axisY : axisY + 14, "font-size": 11,
    "text-anchor": rightward ? "start" : "end", class: "axis-zero" }, "0 (no effect)");
  // the scale: the axis' ends in percentage points (the rate of targets less that of controls)
  if (lo < 0) add("text", { x: x(lo), y: axisY, "font-size": 11, class: "axis-end" }, pp(lo));
  if (hi > 0) add("text", { x: x(hi), y: axisY, "font-size": 11, "text-anchor": "end", class: "axis-end" }, pp(hi));
  // drawn at its own size in a box that scrolls sideways where narrower (shrunk on a phone, its
  // labels were unreadable), said while it overflows (tableBox)
  return h("figure", { class: "chart-figure" },
    h("p", { class: "hint scroll-hint", hidden: true }, "The chart is wider than its box: scroll it sideways to see the whole of it (the zero line and the estimates may lie to the right)."),
    tableBox(svg), h("figcaption", { class: "note" },
    "Absolute uplift (target conversion rate less control conversion rate, in percentage points): ",
    "the dot is the estimate, the bar its 95% interval; a bar crossing 0 is no clear effect."));
}

/** The plan rows whose event fell in the day before the plan (a log of dates, a clock behind):
    counted in no conversion and no "events read", said where seen. Rows, as the server counts them:
    a user planned two films is two. */
function earlyWarning(report) {
  if (!report.early_conversions) return null;
  const why = /\(early_conversions\): [\d,]+; (.+)$/.exec(report.note || "");
  // with a wave's send recorded, that wave's rows are early before its send, not the plan
  const when = sendsRecorded(report) ? "their wave's start (its recorded send, else an earlier wave's, else the plan's creation)" : "the plan was created";
  return h("p", { class: "warning", id: "report-early" },
    `${int(report.early_conversions)} of the plan's rows (a user and a film) had an event for that film in the day before ${when}: `,
    "not counted as conversions, nor among the events read", why ? ` (${why[1]}).` : ".");
}

/** The plan's model was calibrated on a random holdout (no timestamps): its p are no conversion
    rates, so the predicted conversions forecast nothing the report observes (calibration_warning);
    null for any other plan. */
function randomHoldoutWarning(report) {
  if (!report.calibration_warning) return null;
  return h("p", { class: "warning", id: "report-random-holdout" },
    "Predicted conversions are no forecast: ", sentence(report.calibration_warning));
}

/** The places' conversions vary beyond chance (the report's dispersion check): said where seen,
    with each arm that fired and what to read the figures as. */
function dispersionWarning(report) {
  const d = report.dispersion;
  if (!d || d.beyond_chance !== true) return null;
  const arms = ["controls", "targets"].filter((n) => d[n] && d[n].beyond_chance === true)
    .map((n) => `the ${n}: phi ${num(d[n].phi, 2)}, p ${Number(d[n].p_value.toPrecision(3))}`);
  return h("p", { class: "warning", id: "report-dispersion" },
    `Conversion rates vary across the model's places (${d.attribute}) more than one rate per film and wave allows `,
    `(${arms.join("; ")}; phi is the spread over what chance gives, about 1 or less without a difference): `,
    "a shock shared by a place (weather, a holiday, a closed cinema), or places whose users differ within a film, which the check cannot tell apart. ",
    "If a shock, the absolute uplift, the rates and their intervals describe this campaign, not a forecast of a repeat, for which the intervals are too narrow; ",
    "the relative uplift held in the measurement of such shocks (README, “What the intervals assume”).");
}

/** The places the dispersion check read came from a model not the plan's (model_warning, naming
    both versions and the plan's users it does not know): said beside the check, whatever its
    result. */
function dispersionModelWarning(report) {
  const said = report.dispersion && report.dispersion.model_warning;
  if (!said) return null;
  return h("p", { class: "warning", id: "report-dispersion-model" },
    "The check of conversion rates across places read another model's places: ", sentence(said));
}

/** The events read dated after the report's time (as_of): counted all the same, and said beside the
    count. */
function lateEvents(report) {
  const n = report.events_after_as_of;
  if (!n) return "";
  return ` (${int(n)} of them dated after the report's time, ${utcTime(report.as_of)}: counted all the same)`;
}

/** Whether the report counts some wave from its recorded send (`campaign sent`, POST
    /campaigns/{id}/waves/{wave}/sent) rather than from the plan's start. */
function sendsRecorded(report) {
  return (report.wave_starts || []).some((w) => w.source === "recorded");
}

/** A warning while a wave's window is still open at the report's time (wave_starts' window_open):
    its observed conversions will grow, and the predicted ones are for the whole window; null once
    every window has closed. */
function windowOpen(report, span) {
  const open = (report.wave_starts || []).filter((w) => w.window_open);
  if (!open.length) return null;
  const passed = open.map((w) => `${report.wave_starts.length > 1 ? `wave ${w.wave}: ` : ""}`
    + `${num(w.window_elapsed_days, 2)} days`).join(", ");
  return h("p", { class: "warning", id: "report-window-open" },
    `The window of ${span} is still open (${passed} passed at ${utcTime(report.as_of)}): `,
    "observed conversions will grow; predicted conversions are for the full window.");
}

/** Unix seconds as the server shows times: ISO 8601 in UTC, whole seconds
    (recommender.io.text.iso_utc). */
export function utcTime(seconds) {
  return new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, "Z");
}

/** Each counted wave's window (the report's wave_starts): from its recorded send, else from an
    earlier wave's latest recorded send (source "after wave K's send": waves go out in order), else
    from the plan's start; read-only. */
function waveStarts(report, span) {
  const starts = report.wave_starts || [];
  if (!starts.length) return null;
  return h("p", { class: "note", id: "report-wave-starts" }, `Each wave's window of ${span}: `,
    starts.map((w) => `wave ${w.wave} from ${utcTime(w.start)} to ${utcTime(w.end)} (`
      + (w.source === "recorded" ? "its recorded send"
        : w.source.startsWith("after wave ") ? `no send recorded: from ${w.source.slice(6)}, as waves go out in order`
          : "the plan's start, no send recorded") + ")").join("; "), ".");
}

// whether each wave 1..n counted has its own send recorded (wave 2 recorded alone counts wave
// 1 too, as waves go out in order)
function allRecorded(report, n) {
  const got = new Set(report.recorded_waves || []);
  for (let w = 1; w <= n; w += 1) if (!got.has(w)) return false;
  return true;
}

const plural = (list) => ((list || []).length === 1 ? "" : "s");

/** Which waves the report counts, and why, in a marketer's words. `later`: GET
    /campaigns/{id}'s next_waves; of several (each a re-plan of the same remaining budget), the
    server counts the most waves any says were sent, and the campaign goes on in each. */
function wavesCounted(report, later = []) {
  const n = report.sent_waves, of = report.plan_waves;
  const which = n === 1 ? "Wave 1" : `Waves 1–${n}`;
  const source = report.sent_waves_source || "";
  const each = later.map((w) => `${w.plan_id} after ${w.sent_waves}${w.withdrawn ? ", since withdrawn" : ""}`);
  const why = source === "given" ? "as set in “Waves already sent”"
    : source.startsWith("the next wave") && later.length > 1
      ? `${later.length} next waves were planned after this plan (${each.join("; ")} sent waves): `
        + "the most waves any of them says were sent"
    : source.startsWith("the next wave") ? "a next wave was planned after them"
      : source.startsWith("withdrawn") ? "the campaign was withdrawn after them"
        : source.startsWith("recorded sends") ? (allRecorded(report, n) && n === of ? "their sends were recorded"
          : "the sends recorded (“Record send”"
            + (allRecorded(report, n) ? "" : `: wave${plural(report.recorded_waves)} ${(report.recorded_waves || []).join(", ")}, waves going out in order`)
            + ") go up to them"
            + (n === of ? "" : "; set “Waves already sent” to count later waves sent unrecorded"))
        : "every wave of the plan, as nothing says fewer went out";
  const warn = n === of && source !== "given" && !source.startsWith("withdrawn")
    && !source.startsWith("recorded sends") && of > 1
    ? " If later waves have not gone out yet, set “Waves already sent”: their users were never contacted, and counting them lowers the uplift." : "";
  return `${which} of ${of} counted (${why}).${warn}`;
}

/** The columns of a report's blocks (overall, a wave, a film; a chain's plan and the pooled block):
    ``unscaled``, predicted conversions not stretched to the window; ``span``, the window in words;
    ``strata``, what the control rate is weighted over. */
export function blockColumns(unscaled, span, strata = "film and wave") {
  return [
    { key: "name", label: "Group", wrap: true },
    { key: "targets", label: "Targets", num: true, format: int },
    // the targets compared: those whose film and wave hold controls (see the note)
    { key: "measured_targets", label: "Targets compared", num: true, format: int },
    { key: "controls", label: "Controls", num: true, format: int },
    { key: "target_conversions", label: "Target conversions", num: true, format: int },
    { key: "control_conversions", label: "Control conversions", num: true, format: int },
    { key: "target_rate", label: "Target rate [95%]", format: interval },
    // weighted over (film, wave) strata by their targets: not control conversions / controls
    // the long headers kept a few words a line (wide): at 640 px (200% zoom) they were a word or
    // two wide, every header of the row ~204 px tall
    { key: "control_rate", label: `Control rate, weighted by targets per ${strata} [95%]`, wide: true, format: interval },
    { key: "absolute_uplift", label: "Absolute uplift, percentage points [95%]", wide: true, format: pointsInterval },
    { key: "relative_uplift", label: "Relative uplift [95%]", format: relativeInterval },
    { key: "incremental_conversions", label: "Incremental conversions [95%]", wide: true,
      format: countInterval },
    // what they are (without contact; not scaled: over what) is said in a note beside the table:
    // the whole sentence in the header was six lines at 640 px
    { key: "predicted_target_conversions", label: unscaled
      ? "Predicted target conversions (not scaled to the window)"
      : `Predicted target conversions (within ${span})`,
      num: true, wide: true, format: expectedCount },
    // why a row has no uplift (no control group, nobody selected), or which targets the uplift
    // leaves out
    { key: "no_estimate", label: "Note", prose: true,
      format: (v, row) => v || [row.note, row.warning, row.split_warning].filter(Boolean).map((x) => (x.endsWith(".") ? x : `${x}.`)).join(" ") },
  ];
}

/** How conversions reach the report, said under its count when it read no event (every
    conversion 0, and nothing said why): the store's events, recorded by the CLI or the API. */
function eventsIn(report) {
  if (report.events_read !== 0) return "";
  return h("p", { class: "note", id: "report-events-how" },
    "No event was read: conversions reach the report as the campaign store's events (user_id, film_id, timestamp), ",
    "recorded with ", h("code", {}, "recommender events import --store STORE FILE"), " or ", h("code", {}, "POST /events"),
    " (README: “Closing the loop: responses, uplift, the next wave”). Until then every conversion reads 0.");
}

export function reportView(report, later) {
  // probabilities without a horizon in days: the server does not stretch them to the window, and
  // the column says so
  const unscaled = !!report.predicted && report.predicted.factor === null;
  const span = report.window_days === null || report.window_days === undefined ? "– days" : daySpan(report.window_days);
  const said = report.horizon && report.horizon.description;
  const rows = [{ name: "overall", ...report.overall },
    ...report.waves.map((w) => ({ name: `wave ${w.wave}`, ...w }))];
  const cols = blockColumns(unscaled, span);
  const method = report.method || {};
  return section("Report",
    h("p", { class: "note", id: "report-events" }, `${int(report.events_read)} events read in the window${lateEvents(report)}; a conversion is an event for the film by the `,
      `contacted (or held-out) user within ${span} of ${sendsRecorded(report) ? "its wave's start (below)" : "the plan"}. `,
      `Rates: ${method.rates || "95% Wilson score intervals"}. Absolute uplift: ${method.absolute_uplift || "95% interval"}. `,
      `Relative uplift: ${method.relative_uplift || "95% interval"}. `,
      method.strata ? `Over several films or waves: ${method.strata}.` : ""),
    eventsIn(report),
    h("p", { class: "note", id: "report-note" }, wavesCounted(report, later),
      unscaled ? [" Predicted target conversions: what the plan's probabilities expect of the contacted users had they not been contacted, ",
        `over the probabilities' own span rather than the window of ${span} `,
        `(${report.predicted.scaling || "not scaled: the probabilities have no horizon in days"}).`,
        said ? ` The plan's probabilities: ${sentence(said)}` : ""]
        : [" Predicted target conversions: what the plan's probabilities expect of the contacted users within the window had they not been contacted.",
          // the plan page's expected conversions are over the calibration horizon: linked
          report.predicted && report.predicted.horizon_days ? h("span", { id: "report-predicted-window" },
            ` They are over this report's window of ${span}; the plan's expected conversions are over its calibration horizon of ${days(report.predicted.horizon_days)} days (as the plan says it), `,
            "stretched here to the window.") : ""]),
    report.note ? h("details", { class: "note" }, h("summary", {}, "How the API says it counted"), report.note) : null,
    waveStarts(report, span),
    windowOpen(report, span),
    earlyWarning(report),
    randomHoldoutWarning(report),
    dispersionWarning(report),
    dispersionModelWarning(report),
    uplift_chart(rows),
    table(`Uplift against the control group, overall and per wave (the first ${int(report.sent_waves)} sent)`, cols, rows),
    table("Per film", cols, report.films.map((f) => ({ name: f.title ? `${f.title} (${f.film_id})` : f.film_id, ...f }))));
}
