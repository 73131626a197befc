// Plan a slate: films with budgets and values, a frequency cap, control share and waves.

import { fitToCatalog } from "./catalog_fields.js";
import { postJson } from "./api.js";
import { download } from "./downloads.js";
import { h, int, num, pct, days, expectedCount, section, table, tableBox, errorBox, refusal, answerForm, filmName, sentence, holdButton,
  announce, count, reloadPage } from "./ui.js";
import { keptForm, pickedRows } from "./search.js";
import { offerWrites } from "./writes.js";

const filmLink = (v, r) => h("a", { href: `#/film/${encodeURIComponent(r.film_id)}` }, v || r.film_id);

function leftOut(summary) {  // a next wave's films left out from it on (asked, or no effect)
  const left = summary.left_out || [];
  const name = (id) => { const f = (summary.films || []).find((x) => x.film_id === id); return f && f.title ? `${f.title} (${id})` : id; };
  return left.length ? h("p", { class: "note", id: "plan-left-out" }, "Left out from this wave on: ",
    left.map((x) => `${name(x.film_id)}, ${int(x.budget_left)} contacts of budget unplanned (${x.why === "asked" ? "asked" : "no effect measured"})`).join("; "), ".") : "";
}

function capScope(summary) {  // a plan whose cap counts the store's other plans too
  const c = summary.cap_scope || {};
  return c.scope === "store" ? h("p", { class: "note", id: "plan-cap-scope" },
    `Cap across the store's campaigns: ${int(c.plans)} other stored plan(s) counted against each user's cap; `,
    `${count(c.users_limited || 0, "user")} had part of it left, ${count(c.users_excluded || 0, "user")} none (not planned).`) : "";
}

function noEffect(summary) {
  const left = (summary.left_out || []).map((x) => x.film_id);
  const flat = ((summary.no_effect || {}).films || []).filter((id) => !left.includes(id));
  const pts = (x) => `${x >= 0 ? "+" : ""}${num(100 * x, 2)}`;
  const lines = (summary.films || []).filter((f) => flat.includes(f.film_id)).map((f) => {
    const u = f.measured_uplift.absolute_uplift;
    return `${f.title || f.film_id}: ${pts(u.estimate)} points [${pts(u.low)}, ${pts(u.high)}]`;
  });
  const said = (summary.no_effect || {}).note || "";
  // no film of no effect: said, as the CLI says it (an older summary said "none of them")
  if (!((summary.no_effect || {}).films || []).length && said.startsWith("no film")) {
    return h("p", { class: "note", id: "plan-no-effect" }, sentence(said[0].toUpperCase() + said.slice(1)));
  }
  return lines.length ? h("p", { class: "warning", id: "plan-no-effect" },
    `No effect measured so far (uplift of the sent waves, conversion rate of targets less controls, 95% interval): ${lines.join("; ")}. `,
    "Their remaining budget is planned all the same: leave them out in the Next wave section if that holds.") : "";
}

/** A plan made with a model whose calibration measured nothing (horizon.calibrated false): every
    eligible pair has a probability of 0, and its zeros would read as a measured plan. A plan stored
    before that flag is told by its horizon's description, as the server's report tells it
    (calibration.uncalibrated), not by its zeros (tiny probabilities round to 0 too). */
function noChance(summary) {
  const t = summary.totals || {};
  const horizon = summary.horizon || {};
  const flagged = typeof horizon.calibrated === "boolean" ? !horizon.calibrated
    : String(horizon.description || "").startsWith("no calibration in this model");
  if (!(t.selected > 0) || !flagged) return "";
  const said = horizon.description || "";
  return h("p", { class: "warning", id: "plan-no-chance" },
    "No conversion is expected: every eligible user's probability of watching these films is 0, ",
    "so the expected conversions and worth below are 0 and the users selected were not weighed by ",
    "their chance or the films' values.", said ? ` The plan's model: ${sentence(said)}` : "");
}

/** The waves of a stored plan its download holds (plan.csv holds only the waves that may still go
    out: recommender/campaigns/sendable.py): up to those its next wave of most sent waves
    (``next_waves``' first not withdrawn unsent) was planned after, or its withdrawal's; the note
    says when some are left out (they may be users the next wave holds out as controls). */
export function downloadNote(summary) {
  const waves = (summary.parameters || {}).waves || 1;
  // a next wave withdrawn before any send re-plans nothing (withdraw.next_wave_of)
  const by = (summary.next_waves || []).find((n) => !(n.withdrawn && n.withdrawn.sent_waves === 0));
  const gone = summary.withdrawn;
  const last = Math.min(waves, by ? by.sent_waves : waves, gone ? gone.sent_waves : waves);
  if (last >= waves) return h("p", { class: "note", id: "plan-download-note", hidden: true });
  const left = last + 1 === waves ? `Wave ${waves} is` : `Waves ${last + 1}–${waves} are`;
  const why = by && by.sent_waves === last
    ? ["its next wave ", h("a", { href: `#/campaigns/${encodeURIComponent(by.plan_id)}` }, by.plan_id),
      ` re-plans ${last + 1 === waves ? "it" : "them"} (download and send that plan's waves instead; it may hold their users out as controls)`]
    : [`the campaign was withdrawn after ${last === 0 ? "no wave" : last === 1 ? "wave 1" : `waves 1–${last}`}, and their users are free for other campaigns`];
  return h("p", { class: "warning", id: "plan-download-note" },
    `${left} left out of this download (never sent from this plan): `, ...why, ".");
}

/** The stored plans this one repeats (same slate, model and parameters: most likely a retry, whose
    pairs this plan left out; held_out_elsewhere.same_request), each linked with when it was stored,
    and what to do (retry_warning), above the figures those pairs are missing from. */
function retried(summary) {
  const twins = (summary.held_out_elsewhere || {}).same_request || [];
  if (!twins.length && !summary.retry_warning) return "";
  const links = twins.flatMap((t, i) => [i ? ", " : "",
    h("a", { href: `#/campaigns/${encodeURIComponent(t.plan_id)}` }, t.plan_id), t.created ? ` (stored ${t.created})` : ""]);
  return h("p", { class: "warning", id: "plan-retry" }, "Perhaps a retry: ",
    summary.retry_warning ? `${sentence(summary.retry_warning)} `
      : "a stored plan has this plan's slate, model and parameters, and this plan leaves out the (film, user) pairs it selects. ",
    twins.length ? ["The same request, stored before: ", ...links, "."] : "");
}

export function planSummary(planId, summary) {
  const t = summary.totals || {};
  const o = summary.optimality || {};
  const naive = summary.naive || {};
  const waves = (summary.parameters || {}).waves || 1;
  const horizon = summary.horizon && summary.horizon.days ? ` within ${days(summary.horizon.days)} days` : "";
  return [
    // a second next wave of one plan: each plans the same remaining budget (send only one)
    summary.warning ? h("p", { class: "warning", id: "plan-warning" }, summary.warning) : "",
    // a holdout near 0 or 1: the uplift's interval will be wide (far from an even split)
    summary.split_warning ? h("p", { class: "warning", id: "plan-split" }, `${summary.split_warning}.`) : "",
    // a next wave: films whose sent waves measured no effect (the whole interval at or below 0)
    noEffect(summary), leftOut(summary),
    retried(summary),
    // pairs other stored plans hold out as controls, left out (or, on Spark, not)
    summary.held_out_elsewhere && summary.held_out_elsewhere.pairs
      ? h("p", { class: "note", id: "plan-held-elsewhere" },
        `${int(summary.held_out_elsewhere.pairs)} (film, user) pairs contacted or held out as controls by ${int(summary.held_out_elsewhere.plans_count)} other stored plan(s): ${summary.held_out_elsewhere.note}.`) : "",
    // the cap counted across the store's campaigns (cap_scope "store"): whom it kept out
    capScope(summary),
    // values too far apart for the solver's relative tolerance: the gap to the best would not show
    // what the films of small value lost
    o.note ? h("p", { class: "warning", id: "plan-spread" }, `Not exact for every film: ${o.note}.`) : "",
    noChance(summary),
    t.contacts && !t.control ? h("p", { class: "warning", id: "plan-no-control" },
      ((summary.parameters || {}).holdout ? "No control group (the control share rounds to no user for these budgets)"
        : "No control group (control share 0)") +
      ": this campaign's effect on its users cannot be measured against anyone.") : "",
    h("dl", { class: "facts", id: "plan-totals" },
      h("dt", {}, "Plan"), h("dd", {}, planId),
      // the plan's numbers are its own model's, which the footer no longer names once a new model
      // is served
      summary.created || summary.model_version ? [h("dt", {}, "Planned"), h("dd", { id: "plan-made" },
        [summary.created, summary.model_version && `with model ${summary.model_version}`].filter(Boolean).join(" "))] : "",
      h("dt", {}, "Contacts"), h("dd", {}, `${int(t.contacts)} target, ${int(t.control)} control (never contacted for its film): (film, user) pairs`),
      // over the calibration horizon: the report's predicted conversions are over its own window
      // (30 days unless set)
      h("dt", {}, "Expected conversions"), h("dd", { id: "plan-expected" }, `${expectedCount(t.expected_conversions)} (film, user) pairs${horizon} among the contacted ones`,
        t.expected_value !== undefined ? ` (worth ${num(t.expected_value, 2)} value units)` : "",
        horizon ? `; ${days(summary.horizon.days)} days is the model's calibration horizon, not a campaign report's window: a report predicts over its own window (30 days unless set)` : ""),
      h("dt", {}, "Selected users' worth"), h("dd", {}, `${num(o.objective, 2)} value units (value × probability of watching, over the contacted `,
        "users and their control group, which the planner chooses together); ",
        `the best any plan could reach is at most ${num(o.lp_upper_bound, 2)}, so this plan is within ${pct(o.gap, 4)} of the best`),
      h("dt", {}, "Naive plan"), h("dd", {}, `${num(naive.objective, 2)} value units (each film's top audience alone, cap applied after); `,
        `the planner's plan is worth ×${num(naive.planner_gain, 3)} as much`)),
    table("Per film", [
      { key: "title", label: "Film", format: filmLink },
      { key: "budget", label: "Budget (contacts)", num: true, format: int },
      { key: "eligible_users", label: "Eligible users", num: true, format: int },
      { key: "contacts", label: "Contacts", num: true, format: int },
      { key: "control", label: "Control", num: true, format: int },
      { key: "expected_conversions", label: `Expected conversions${horizon}`, num: true, wide: true, format: expectedCount },
      // its unit in the header, what it means under the table (the whole sentence in the header,
      // a word wide at 640 px, 200% zoom, made every header ~354 px tall)
      { key: "dual_price", label: "Shadow price per selected user (value units)", num: true, wide: true, format: (v) => num(v, 4) },
      { key: "budget_exceeds_eligible", label: "Note",
        format: (v, row) => [v ? "budget and its control group above the eligible users: planned in full" : "",
          waves > 1 && row.contacts + row.control < waves
            ? `${int(waves)} waves for ${int(row.contacts + row.control)} selected users: some waves hold nobody` : "",
          row.note || ""].filter(Boolean).join("; ") },
    ], summary.films || []),
    h("p", { class: "note", id: "plan-shadow-price" }, "Shadow price per selected user: in value units, ",
      "between what one more selected user of the film would add and what the last one selected adds."),
    h("button", { type: "button", class: "ghost", id: "plan-download",
      onclick: async (e) => {
        // the button waits for its file, as the audience's do (one file per click)
        const button = e.currentTarget;
        const release = holdButton(button);
        try {
          await download(`/campaigns/${encodeURIComponent(planId)}/plan.csv`, `${planId}.csv`);
        } catch (err) {  // one error under the button, not one more per failed click
          const box = errorBox(err, () => button.click());
          box.classList.add("download-error");
          if (button.nextElementSibling?.classList.contains("download-error")) button.nextElementSibling.replaceWith(box);
          else button.after(box);
        } finally { release(); }
      } },
    "Download the plan (CSV)"),
    downloadNote(summary),
  ];
}

/** A plan answered after its page was left: said above the page shown (not only to a screen
    reader), linked, until the next page. Planned again, the same slate replays it (api.js keeps
    its Idempotency-Key until its answer is shown). The campaigns list shown is drawn again first:
    asked before the plan was stored, it lacked it until a reload. */
function storedAway(r) {
  const contacts = count((r.summary.totals || {}).contacts || 0, "contact");
  const banner = h("div", { class: "warning", role: "status", id: "plan-stored-away" },
    `The slate you planned before leaving “Plan a slate” was stored as plan ${r.plan_id} (${contacts}), `,
    "perhaps after this page was drawn: ", h("a", { href: `#/campaigns/${encodeURIComponent(r.plan_id)}` }, `open campaign ${r.plan_id}`), ".");
  // the router clears the notices as it starts the page again (synchronously), so this one is
  // put up after
  if (/^#\/?campaigns\/?(\?|$)/.test(location.hash)) reloadPage();
  document.getElementById("plan-stored-away")?.remove();
  document.getElementById("view").before(banner);
}

// the server's bounds (recommender/campaigns/slate.py), so the browser marks a number above them,
// as it marks one below the least
const MAX_BUDGET = 2 ** 48, MAX_CAP = 1000, MAX_WAVES = 1000, MAX_SEED = 2 ** 32 - 1;

function slateRow(film, remove, saved = {}) {
  // required: a cleared field would plan the film with 0 contacts
  const budget = h("input", { type: "number", min: 0, max: MAX_BUDGET, step: 1, required: true, value: saved.budget ?? 100, "aria-label": `budget for ${filmName(film)}` });
  // the server's bounds of a conversion's worth (value units: 1e-4 to 1e12)
  const value = h("input", { type: "number", min: 0.0001, max: 1e12, step: "any", required: true, value: saved.value ?? 1, "aria-label": `value for ${filmName(film)}` });
  const row = h("tr", {}, h("td", {}, filmName(film)), h("td", {}, budget), h("td", {}, value),
    h("td", {}, h("button", { type: "button", class: "ghost", "aria-label": `remove ${filmName(film)}`,
      onclick: remove }, "×")));
  return { row, read: () => ({ film_id: film.film_id, budget: Number(budget.value), value: Number(value.value) }),
    // what the tab keeps of the row across a reload: the film as found and the fields as typed
    kept: () => ({ film: { film_id: film.film_id, title: film.title, year: film.year }, budget: budget.value, value: value.value }) };
}

// the slate being planned, kept for this tab (sessionStorage, as the key is) across a reload or
// Back
const FORM_KEY = "studio:plan-form";

export function plan(view) {
  const body = h("tbody", {});
  const find = h("input", { id: "slate-search", type: "search", placeholder: "type a title" });
  const found = h("ul", { class: "found" });
  // every field required: a cleared share, cap or waves would be sent as 0
  const cap = h("input", { id: "cap", type: "number", min: 1, max: MAX_CAP, step: 1, required: true, value: 1 });
  // any share in [0, 1), as the server and `plan --holdout` take; 1 and above said here, as the
  // browser says a share below 0
  const holdout = h("input", { id: "holdout", type: "number", min: 0, step: "any", required: true, value: 0.1 });
  const shareBelowOne = () => holdout.setCustomValidity(Number(holdout.value) >= 1
    ? "The control share is below 1: the share of each film's selected users held out." : "");
  holdout.addEventListener("input", shareBelowOne);
  // what the cap counts: this plan alone (as before), or every campaign in the store too
  const scope = h("select", { id: "cap-scope" },
    h("option", { value: "plan" }, "this plan only"),
    h("option", { value: "store" }, "all stored campaigns"));
  const waves = h("input", { id: "waves", type: "number", min: 1, max: MAX_WAVES, step: 1, required: true, value: 3 });
  const seed = h("input", { id: "seed", type: "number", min: 0, max: MAX_SEED, step: 1, required: true, value: 0 });
  // the seed draws the control groups only: with a control share of 0 there is none (the server
  // refuses a seed then), so the box is off and not sent
  const noDraw = () => {
    seed.disabled = holdout.value !== "" && Number(holdout.value) === 0;
    seed.title = seed.disabled ? "No control group to draw with a control share of 0" : "";
  };
  holdout.addEventListener("input", noDraw);
  // not a live region (the plan's tables were read out): announce says the plan made
  const out = h("div", { id: "plan-result" });
  let keep = () => {};  // until what was kept is back (keptForm)
  const slate = pickedRows(find, found, body, slateRow, () => keep());
  keep = keptForm(FORM_KEY, slate, { cap, cap_scope: scope, holdout, waves, seed });
  shareBelowOne();  // a share kept from before is checked as a typed one
  noDraw();
  async function run(e) {
    e.preventDefault();
    // a key that may not write: its note says so (Enter in a field still submits the form)
    if (submit.hidden) return;
    if (!slate.size) { out.replaceChildren(refusal("add at least one film to the slate", find)); return; }
    out.replaceChildren(h("p", { class: "loading", role: "status" }, "Planning the slate…"));
    // no second plan while this one is solved: a click after a fast answer stored a copy
    const release = holdButton(e.target.querySelector("button[type=submit]"));
    try {
      const r = await postJson("/campaigns/plan", {
        films: [...slate.values()].map((s) => s.read()), cap: Number(cap.value),
        ...(scope.value === "store" ? { cap_scope: "store" } : {}),
        holdout: Number(holdout.value), waves: Number(waves.value),
        ...(seed.disabled ? {} : { seed: Number(seed.value) }),
      }, { once: true, shown: () => out.isConnected });
      if (!out.isConnected) { storedAway(r); return; }
      out.replaceChildren(section("The plan", ...planSummary(r.plan_id, r.summary),
        h("p", {}, h("a", { href: `#/campaigns/${encodeURIComponent(r.plan_id)}` }, "Open this campaign"))));
      announce(`Plan ${r.plan_id} stored: ${count((r.summary.totals || {}).contacts || 0, "contact")}.`);
    } catch (err) { out.replaceChildren(errorBox(err)); } finally { release(); }
  }
  const submit = h("button", { type: "submit" }, "Plan");
  const form = answerForm(run, out,
    h("label", { for: "slate-search" }, "Add a film"), find, found,
    tableBox(h("table", { class: "slate" }, h("caption", {}, "Films in the slate"),
      h("thead", {}, h("tr", {}, ["Film", "Budget (contacts)", "Value of one conversion", "Remove"].map((c) =>
        h("th", { scope: "col" }, c)))), body)),
    h("div", { class: "row" },
      h("label", { for: "cap" }, "Cap per user"), cap,
      h("label", { for: "cap-scope" }, "Cap counts"), scope,
      h("label", { for: "holdout" }, "Control share (0–1: 0.1 = 10% of each film's selected users)"), holdout,
      h("label", { for: "waves" }, "Waves"), waves,
      h("label", { for: "seed" }, "Seed"), seed),
    submit);
  form.addEventListener("input", keep);
  // a plan is stored: a key that can only read is not offered the button (the slate is kept)
  offerWrites("Planning a campaign", "plan-no-write", [submit], submit);
  view.replaceChildren(h("h1", {}, "Plan a slate"),
    section("Slate",
      h("p", { class: "note" }, "Each film gets at most its budget of contacts, its control group drawn on top; each user at most the cap over the ",
        "campaign (with “all stored campaigns”, less the films the store's other live campaigns already selected them for). ",
        "The planner maximises value × probability of watching over all contacts, exactly."),
      form),
    out);
  fitToCatalog({ titles: [{ input: find }] });  // a catalog without titles: films by id
}
