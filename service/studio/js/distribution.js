// Demand by place for a film, with a screen allocation: a section of the film page.

import { filmPath, getJson, pageNow, setHashParams } from "./api.js";
import { h, int, count, num, days, pct, section, table, errorBox, refusal, ignoredSettings,
  focusGoingInto, focusInto, wholeNumber, announce } from "./ui.js";
import { pagedTable } from "./pager.js";

// /health's model (its place_attributes), asked once per page load and again for a new model; null
// when /health could not say, not cached. A model without places is not kept either: a page drawn
// on it asks again at its next change (the model may have been reloaded since)
let served = null;
function servedModel() {
  if (!served) {
    served = getJson("/health").then((body) => {
      if (!body.model || !(body.model.place_attributes || []).length) served = null;
      return body.model || null;
    }).catch(() => { served = null; return null; });
  }
  return served;
}
async function placeAttributes() {
  const found = (await servedModel())?.place_attributes;
  if (!Array.isArray(found)) served = null;
  return Array.isArray(found) ? found : null;
}
window.addEventListener("studio:model-changed", () => { served = null; });

/** Fill the select `by` with the model's places (`wanted` selected), or say in `out` why there are
    none (`retry`: how to try again after a failed read); resolves to the places, or null when
    /health could not say. What `out` was given while /health was asked (a submit's answer) stays. */
const placeOf = (name) => name.trim().toLowerCase();  // recommender/distribution/places.py check_place
const NO_PLACES = "This model's users have no place attribute (region, city, cinema or zip_zone): there is no demand by place to show. "
  + "Places are columns of the users file: train with a users.csv or users.parquet beside the log, or --users FILE, holding one.";
export async function fillPlaces(by, out, { wanted = "", retry }) {
  const shown = out.firstChild;
  const found = await placeAttributes();
  const kept = out.firstChild !== shown;  // `out` says something of its own meanwhile
  const say = (node) => { if (!kept) out.replaceChildren(node); };
  const beside = `${by.id}-none`;  // the note said where the hidden select was
  if (found === null) {
    say(errorBox(new Error(`the model's place attributes could not be read from /health; ${retry}`)));
  } else if (!found.length) {
    // said in `out`; or, where `out` keeps what it said meanwhile (a refusal), beside the hidden
    // select
    if (kept) {
      if (!document.getElementById(beside)) by.after(h("p", { class: "note", id: beside }, NO_PLACES));
    } else {
      document.getElementById(beside)?.remove();
      say(h("p", { class: "note", id: "dist-none" }, NO_PLACES));
    }
    // a place select with no option offered nothing to choose
    for (const node of [by, ...by.labels]) node.hidden = true;
  } else {
    // shown again: hidden while the model had no places, the page is kept across a reload of the
    // model to one with places
    for (const node of [by, ...by.labels]) node.hidden = false;
    document.getElementById("dist-none")?.remove();
    document.getElementById(beside)?.remove();
    // in any case, blanks around it ignored, as the server reads by= (by=City was said unusable)
    by.replaceChildren(...found.map((p) => h("option", { value: p, selected: p === placeOf(wanted) || undefined }, p)));
  }
  return found;
}

/** A warning when the model's calibration measured nothing (horizon.calibrated false): every
    expected_new is 0, a forecast of nobody (the CLI warns too). The flag is the body's own, so a
    failed /health cannot drop it; horizon.description is the reason. "" for a calibrated body. */
export function uncalibrated(body, id) {
  if (!body.horizon || body.horizon.calibrated !== false) return "";
  const said = body.horizon.description || "this model has no calibration (retrain it with --holdout > 0)";
  return h("p", { class: "warning", id }, `No new viewer is forecast (every expected_new is 0): ${said}.`);
}

/** The nodes showing a demand body (GET /films/{id}/distribution or POST
    /distribution/cold-start): totals, notes (`warning`: `uncalibrated`'s) and the table by
    place. */
/** The columns screens can follow (``screens_by``: ``total``, the server's default, or
    ``new``), each as the Studio names it. */
const SCREENS_BY = { total: "expected total (viewers so far + expected new viewers)",
  new: "expected new viewers (the film's new audience, not its past viewers)" };

/** The select of the column screens follow (``screens_by``), ``chosen`` selected. */
export const screensBySelect = (id, chosen = "total") => h("select", { id },
  Object.entries(SCREENS_BY).map(([v, label]) => h("option", { value: v, selected: v === chosen || undefined },
    v === "total" ? "expected total" : "expected new viewers")));

/** While the ``screens`` box is empty there is nothing for screens to follow: the ``select`` is
    off, and the hint returned (id ``hintId``) says why. ``sync`` sets both from the box, at each
    input and wherever the box is set. */
export function screensByOff(screens, select, hintId) {
  const hint = h("span", { class: "hint", id: hintId }, "(off while no screens are typed to share out)");
  const sync = () => {
    select.disabled = screens.value === "";
    hint.hidden = !select.disabled;
    // described by the hint only while it is shown
    if (select.disabled) select.setAttribute("aria-describedby", hintId);
    else select.removeAttribute("aria-describedby");
  };
  for (const type of ["input", "change"]) screens.addEventListener(type, sync);
  sync();
  return { hint, sync };
}

/** ``screens_by`` as the server reads it (any case, blanks around it ignored): a key of
    SCREENS_BY, or null. */
export const screensByOf = (text) => (Object.hasOwn(SCREENS_BY, text.trim().toLowerCase()) ? text.trim().toLowerCase() : null);

/** The sentence the status region says of a demand answer (``prefix``: whose demand). */
export const demandSaid = (prefix, body) => `${prefix} by ${body.by}: ${count(body.viewers, "viewer")} so far, `
  + `${num(body.expected_new, 1)} more expected.`;

export function demandView(body, warning = "", screensBy = "total") {
  const horizon = body.horizon && body.horizon.days ? ` within ${days(body.horizon.days)} days` : "";
  return [
    body.note ? h("p", { class: "warning", id: "dist-unranked" }, `Not a taste for the film: ${body.note}.`) : "",
    warning,
    h("p", { class: "note", id: "dist-total" },
      `${count(body.viewers, "viewer")} so far, ${num(body.expected_new, 1)} more expected${horizon} `,
      `(sum of calibrated probabilities over non-viewers). Places under ${count(body.min_cell, "user")} `,
      `are merged into “other” (${body.merged_places} merged).`,
      body.screens ? ` ${count(body.screens.total, "screen")} shared out in proportion to each place's ${SCREENS_BY[screensBy] || SCREENS_BY.total}` +
        (body.screens.capped_by ? `, capped by ${body.screens.capped_by}.` : ".") : ""),
    // which column the screens follow, in the body's own words (units.screens)
    body.screens && body.units && body.units.screens
      ? h("p", { class: "note", id: "dist-screens-follow" }, `Screens: ${body.units.screens}.`) : "",
    // users with no value of the attribute are in no row: the film card's viewers count them, these
    // rows do not
    body.users_without_place && body.users_without_place.users
      ? h("p", { class: "note", id: "dist-unplaced" },
        `${count(body.users_without_place.users, "user")} ${body.users_without_place.users === 1 ? "has" : "have"} no ${body.by} and ${body.users_without_place.users === 1 ? "is" : "are"} in no row` +
        (body.users_without_place.viewers === null
          ? (body.users_without_place.users < body.min_cell
            ? ` (fewer than ${body.min_cell}: their figures are not shown).`
            : ` (the users with a ${body.by} are fewer than ${body.min_cell}: no figures are shown).`)
          : `: ${count(body.users_without_place.viewers, "viewer")}, ${num(body.users_without_place.expected_new, 1)} more expected.`))
      : "",
    body.screens && body.screens.warning
      ? h("p", { class: "warning", id: "dist-screens-warning" }, body.screens.warning) : "",
    // the pool's screens are one block, as the API's screens.note and the CLI say
    body.screens && body.screens.note
      ? h("p", { class: "note", id: "dist-screens-note" }, body.screens.note) : "",
    ...placesTable(body),
  ];
}

const PAGE = 25;
const MAX_SCREENS = 10_000_000;

const index = (v) => (v === null ? "–" : num(v, 1)); // as the server rounds it (and the CLI shows it)
// The places 25 at a time. Every column the API and the CLI give, and under the table what each
// counts, in the body's own words (its units).
function placesTable(body) {
  const rows = body.places;
  const capped = body.screens && body.screens.capacity !== null && body.screens.capacity !== undefined;
  // by cinema, each cinema's city beside its id where the body gives it (an id alone, "c045", says
  // nothing of where)
  const cities = rows.some((r) => r.city);
  const columns = [
    // the place attribute's name headed lower case beside "City", "Users"...: capitalised
    { key: "place", label: body.by ? `${body.by[0].toUpperCase()}${body.by.slice(1)}` : "Place", wrap: true },
    ...(cities ? [{ key: "city", label: "City", wrap: true }] : []),
    { key: "users", label: "Users", num: true, format: int },
    { key: "viewers", label: "Viewers", num: true, format: int },
    // the body's 3 decimals, as the CLI's table prints them
    { key: "expected_new", label: "Expected new viewers", num: true, format: (v) => num(v, 3) },
    { key: "expected_total", label: "Expected total", num: true, format: (v) => num(v, 3) },
    // the API's unit says a share from 0 to 1; the column shows it as a percentage
    { key: "share", label: "Share of expected total", num: true, format: (v) => pct(v), shownAs: "shown here as a percentage" },
    { key: "index_vs_users", label: "Index vs users (100 = par)", num: true, format: index },
    { key: "index_vs_viewing", label: "Index vs viewing (100 = par)", num: true, format: index },
    { key: "screens", label: "Screens", num: true, format: (v) => (v === null ? "–" : int(v)) },
    // the screens of the place's cinemas, which cap its allocation (the CLI's column too)
    ...(capped ? [{ key: "capacity", label: "Capacity (screens)", num: true,
      format: (v) => (v === null ? "–" : int(v)) }] : []),
  ];
  const units = body.units || {};
  const said = [...columns.map((c) => [c.label, units[c.key] && c.shownAs ? `${units[c.key]}; ${c.shownAs}` : units[c.key]]),
    ["user_share", units.user_share], ["viewing_share", units.viewing_share]].filter(([, u]) => u);
  const legend = said.length ? h("details", { class: "note", id: "dist-units" },
    h("summary", {}, "What each column counts"),
    h("dl", { class: "facts" }, said.flatMap(([label, u]) => [h("dt", {}, label), h("dd", {}, u)]))) : "";
  if (rows.length <= PAGE) return [table(`Demand by ${body.by}`, columns, rows), legend];
  return [pagedTable(`Demand by ${body.by}`, "places", columns, rows, { class: "dist-places" }, [], PAGE), legend];
}

export function distributionSection(id, params) {
  // filled from the model's own place attributes (a fixed list offered places a model lacks and hid
  // one it has)
  const by = h("select", { id: "dist-by" });
  const wanted = params.get("by") || "";
  // the server's bounds (recommender/distribution/demand.py MAX_SCREENS), read as every page reads
  // the address's whole numbers (ui.js wholeNumber)
  const typedScreens = params.get("screens") || "";
  const bookmarked = typedScreens ? wholeNumber(typedScreens) : null;
  if (typedScreens && bookmarked === null) {
    ignoredSettings([["screens", typedScreens, `screens to share out must be a whole number from 1 to ${int(MAX_SCREENS)}: none are shared out`]]);
  }
  const screens = h("input", { id: "dist-screens", type: "number", min: 1, max: MAX_SCREENS, step: 1,
    value: bookmarked === null ? "" : String(bookmarked), placeholder: "none" });
  // the column the screens follow (screens_by), sent with screens only; the default, total,
  // is left out of the bookmark
  const typedBy = params.get("screens_by") || "";
  if (typedBy && screensByOf(typedBy) === null) {
    ignoredSettings([["screens_by", typedBy, "screens follow the expected total (total) or the expected new viewers (new): the expected total is used"]]);
  }
  const screensBy = screensBySelect("dist-screens-by", screensByOf(typedBy) || "total");
  const off = screensByOff(screens, screensBy, "dist-screens-by-hint");
  // not a live region (it read the table out at each change): a changed choice says its answer in
  // the page's status region (announce)
  const out = h("div", { id: "dist-out" });
  // while its page is shown: ``out.isConnected`` still held while the router replaced the page
  const drawnAs = pageNow();
  const shown = () => out.isConnected && pageNow() === drawnAs;
  let seq = 0;
  async function load(changed = false) {
    const mine = ++seq;  // only the latest choice paints (a slow earlier answer is dropped)
    const going = changed && focusGoingInto(out);  // the screens left with Tab, into the table
    if (!by.options.length) {
      const found = await fillPlaces(by, out, { wanted, retry: "change the screens or reload the page to try again" });
      if (mine !== seq || !found || !found.length) return;
      if (wanted && !found.includes(placeOf(wanted)) && shown()) {
        ignoredSettings([["by", wanted, `no such place attribute in this model (${found.join(", ")}): demand by ${by.value} is shown`]]);
      }
    }
    if (!screens.checkValidity()) {  // said here: it was sent (a 422) and kept in the bookmark
      out.replaceChildren(refusal(`screens to share out must be a whole number from 1 to ${int(MAX_SCREENS)}, got “${screens.value}”`, screens));
      return;
    }
    // the number the box read, as the address is read (wholeNumber), and sent as it is bookmarked
    const shared = screens.value === "" ? "" : String(Number(screens.value));
    if (shown()) {  // the choices in the bookmark (the server's default, region, left out)
      // screens_by with screens only (alone it asks the same again)
      setHashParams({ by: by.value === "region" ? "" : by.value, screens: shared,
        screens_by: !shared || screensBy.value === "total" ? "" : screensBy.value });
    }
    out.replaceChildren(h("p", { class: "loading", role: "status" }, "Forecasting demand…"));
    const follows = shared ? screensBy.value : "total";  // as asked
    try {
      const body = await getJson(filmPath(id, "/distribution", { by: by.value, screens: shared,
        screens_by: shared ? follows : "" }));
      const warning = uncalibrated(body, "dist-uncalibrated");
      if (mine !== seq) return;
      out.replaceChildren(...demandView(body, warning, follows));
      focusInto(out, going);
      if (changed && shown()) announce(demandSaid("Demand", body));
    } catch (e) {
      if (mine === seq) out.replaceChildren(errorBox(e, () => load()));
    }
  }
  for (const box of [by, screens, screensBy]) box.addEventListener("change", () => { if (pageNow() === drawnAs) load(true); });
  load();
  return section("Demand by place",
    h("div", { class: "row" }, h("label", { for: "dist-by" }, "By"), by,
      h("label", { for: "dist-screens" }, "Screens to share out"), screens,
      h("label", { for: "dist-screens-by" }, "Screens follow"), screensBy, off.hint), out);
}
