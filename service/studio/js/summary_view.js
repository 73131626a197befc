// A summary's pictures: the audience funnel (rings and expected conversion), the segment
// split ring by ring and the portrait; a known film's (film.js) and a new film's (build.js).

import { h, int, pctP, lift, days, section, table, liftBars, sentence } from "./ui.js";

// the users without a value of an attribute, as a portrait and a filter name them
export const NO_VALUE = "(no value)";

export function funnel(summary) {
  const horizon = summary.horizon && summary.horizon.days
    ? ` within ${days(summary.horizon.days)} days` : "";
  const widest = Math.max(1, ...summary.tiers.map((t) => t.size));
  return section("Audience funnel",
    summary.note ? h("p", { class: "warning", id: "unranked" }, `This film cannot be ranked: ${summary.note}.`) : "",
    // every user has watched it (or every one is excluded): said as it is, not as a film nobody
    // wants
    summary.candidates === 0 ? h("p", { class: "warning", id: "no-candidates" },
      `Nobody is left to reach: all ${int(summary.viewers)} users in the model have watched this film.`) : "",
    // a model without calibration gives no conversion (base and rings null; candidates left): said
    // so
    summary.candidates && summary.base_conversion === null
      ? h("p", { class: "warning", id: "no-conversion" }, "No expected conversion: ",
        sentence((summary.horizon && summary.horizon.description) || "this model has no calibration"))
      : h("p", { class: "note" }, `Expected conversion: the share of a ring's users expected to watch the film${horizon}, `,
        summary.conversion_note ? "borrowed from known films' calibrations (below). "
          : "measured on interactions held out from training. ", "Base: a random candidate, ",
        pctP(summary.base_conversion), "."),
    // a new film's p is its comparables' (calibrated_from): said where the numbers are
    summary.conversion_note && summary.base_conversion !== null
      ? h("p", { class: "note", id: "conversion-borrowed" },
        sentence(summary.conversion_note.replace(/^./, (c) => c.toUpperCase()))) : "",
    // a log without timestamps: held out at random, p is no conversion rate (horizon.note)
    summary.horizon && summary.horizon.random_holdout && summary.base_conversion !== null
      ? h("p", { class: "warning", id: "random-holdout" },
        sentence(`${summary.horizon.note[0].toUpperCase()}${summary.horizon.note.slice(1)}`)) : "",
    h("ol", { class: "funnel" }, summary.tiers.map((t) => h("li", { "data-tier": t.tier },
      h("span", { class: "ring-name" }, t.tier),
      h("span", { class: "ring-bar", "aria-hidden": "true",
        style: `width:${Math.max(4, (100 * t.size) / widest).toFixed(1)}%` }),
      h("span", { class: "ring-facts" },
        `${int(t.size)} users`, t.rank_range ? ` · ranks ${int(t.rank_range[0])}–${int(t.rank_range[1])}` : "",
        ` · expected conversion ${pctP(t.expected_conversion)}`,
        // its 95% interval (the calibration's estimation noise: the note below says what it leaves out)
        t.expected_conversion_interval
          ? ` (95% interval ${pctP(t.expected_conversion_interval[0])}–${pctP(t.expected_conversion_interval[1])})` : "",
        t.conversion_lift !== null ? ` (${lift(t.conversion_lift)} base)` : "")))),
    summary.conversion_interval_note && summary.base_conversion !== null
      // a sentence of its own, capitalised as the CLI prints it ("No interval: ...")
      ? h("p", { class: "note", id: "conversion-interval" },
        sentence(summary.conversion_interval_note.replace(/^./, (c) => c.toUpperCase()))) : "");
}

// how many of an attribute's values the portrait leaves out, and their users in all, as the CLI's
// summary says it ("hidden: 2 gender values (70 users in all)"): the model's values (GET
// /users/attributes: listed, left out as held by fewer than min_cell users, and the users without
// one) less those shown; "" where the values are not known
function hiddenValues(attr, cells, summary, attributes) {
  const scope = summary.portrait_scope;
  const listed = attributes && attributes.attributes && attributes.attributes[attr];
  if (!listed || !scope || scope.users === undefined || !scope.users) return "";
  const blank = ((attributes.without_value || {})[attr] ?? 1) !== 0;  // null: some, hidden
  const unlisted = ((attributes.hidden_values || {})[attr] || {}).values || 0;
  const values = listed.length + unlisted + (blank && !listed.includes("") ? 1 : 0);
  const min = summary.min_cell;
  const users = scope.users - cells.reduce((n, c) => n + c.count, 0);
  const why = `each of fewer than ${min} users (or leaving fewer than ${min} outside them) or hidden with one ` +
    "so that it is not the total less the shown ones";
  const said = cells.length
    ? (values > cells.length ? `Hidden: ${int(values - cells.length)} ${attr} value${values - cells.length > 1 ? "s" : ""} ` +
      `(${int(users)} users in all), ${why}.` : "")
    : scope.users < min
      ? `Hidden: every ${attr} value (${int(values)} values): the portrait pictures ${int(scope.users)} users, fewer than ${min}.`
      : `Hidden: ${int(values)} ${attr} values, every one (${int(users)} users in all), ${why}.`;
  return said ? h("p", { class: "note hidden-values", "data-attribute": attr }, said) : "";
}

export function splits(summary, modelSegments = [], attributes = null) {
  const segs = (summary.segments || []).map((s) => ({ label: s.label, lift: s.lift, count: s.count }));
  const portrait = Object.entries(summary.portrait || {});
  const scope = summary.portrait_scope;
  const over = scope ? ` of the ${scope.tiers.join(" + ")} ring${scope.tiers.length > 1 ? "s" : ""}` +
    (scope.users !== undefined ? `, ${int(scope.users)} users` : "") : "";
  // the privacy rule hides more than the small cells: said, so a missing value is not read as
  // "nobody"
  const hidden = summary.suppressed_cells
    ? ` ${summary.suppressed_cells} cell(s) are hidden by the privacy rule: those under ${summary.min_cell} users ` +
      `(in the portrait, also a value leaving fewer than ${summary.min_cell} of its users outside the pictured ones), ` +
      "and beside them the next smallest wherever a hidden one could otherwise be worked out from the totals " +
      "(so a value left out is not a value with no user)." : "";
  // the segments cover every ring (the portrait its own scope): said, as the counts differ
  const rings = (summary.tiers || []).filter((t) => t.rank_range);
  const ringUsers = rings.reduce((n, t) => n + t.size, 0);
  const segScope = rings.length ? ` The segments cover the ${rings.map((t) => t.tier).join(", ")} ring` +
    `${rings.length > 1 ? "s" : ""} (${int(ringUsers)} users).` : "";
  // the privacy rule can hide the all-rings cells of the largest segments while their ring cells
  // are shown: both are drawn, and the users the list leaves out are counted, so a missing segment
  // is not read as a small one
  const listed = segs.reduce((n, x) => n + (x.count || 0), 0);
  const left = Math.max(0, ringUsers - listed);
  const perRing = new Map();
  // every segment has its row, one the privacy rule hides in every ring too
  const anyCell = rings.some((t) => (t.segments || []).length);
  for (const s of anyCell ? [...(summary.segments || []), ...modelSegments] : []) {
    if (!perRing.has(s.segment)) perRing.set(s.segment, { label: s.label });
  }
  for (const t of rings) {
    for (const c of t.segments || []) {
      if (!perRing.has(c.segment)) perRing.set(c.segment, { label: c.label });
      perRing.get(c.segment)[t.tier] = c;
    }
  }
  const ringCell = (c) => (c ? `${int(c.count)} (${lift(c.lift)})` : "hidden");
  // each segment's all-rings cell beside its rings' (as the CLI's summary prints "all"), the rows
  // in the CLI's order: the most in the audience as far as shown first
  const overall = new Map((summary.segments || []).map((s) => [s.segment, s]));
  for (const [seg, row] of perRing) row.all = overall.get(seg);
  const shownUsers = (row) => Math.max((row.all || {}).count || 0,
    rings.reduce((n, t) => n + ((row[t.tier] || {}).count || 0), 0));
  const rows = [...perRing.values()].sort((a, b) => shownUsers(b) - shownUsers(a));
  // the segments whose all-rings cell the rule hides, named: their rings' cells are the table's,
  // where the rule allows
  const gone = rows.filter((r) => !r.all && rings.some((t) => r[t.tier] && r[t.tier].count));
  const goneNote = gone.length ? ` Left out of this list as the privacy rule hides their all-rings count: ${
    gone.map((r) => `“${r.label}” (${rings.filter((t) => r[t.tier] && r[t.tier].count)
      .map((t) => `${t.tier} ring ${int(r[t.tier].count)} users, ${lift(r[t.tier].lift)}`).join("; ")})`).join(", ")}.` : "";
  return [
    section("Segments in the audience",
      h("p", { class: "note", id: "segments-scope" }, `Lift: the segment's share of the rings against its share of all users.${segScope}`,
        hidden && left ? ` ${int(left)} of these ${int(ringUsers)} users are in segments the privacy rule hides from this list; ` +
          "the table below shows each ring's segments where the rule allows (a cell it hides says “hidden”)." : "",
        goneNote),
      liftBars("Segment lift", segs),
      perRing.size ? table("Segments ring by ring: users (lift against all users)", [
        { key: "label", label: "Segment" },
        ...rings.map((t) => ({ key: t.tier, label: `${t.tier} (${int(t.size)} users)`, num: true, format: ringCell })),
        { key: "all", label: `all rings (${int(ringUsers)} users)`, num: true, format: ringCell },
      ], rows) : ""),
    // a model without user attributes has no portrait: not said as a portrait hidden
    section(`Portrait${over}`,
      portrait.length ? h("p", { class: "note" }, "Each attribute value's share of the audience against its share of all users.", hidden) : "",
      portrait.length ? portrait.map(([attr, cells]) => h("div", { class: "portrait" },
        h("h3", {}, attr),
        cells.length ? liftBars(`${attr} lift`, cells.map((c) => ({
          // users the attribute file gives no value: the value "" (a bar without a name)
          label: c.value === "" ? NO_VALUE : c.value, lift: c.lift, count: c.count })))
          : h("p", { class: "note" }, scope && scope.users === 0
            ? "Nobody is pictured: the ranks it covers hold no user."
            : "Every value is hidden by the privacy rule."),
        hiddenValues(attr, cells, summary, attributes)))
        // the portrait's attributes only: users with a city or a cinema alone have attributes
        : h("p", { id: "portrait-none" }, "The model's users have none of the portrait's attributes (age_band, gender, occupation, region): " +
          "train with a users.csv or users.parquet beside the log, or --users FILE, holding them to picture an audience by them.")),
  ];
}
