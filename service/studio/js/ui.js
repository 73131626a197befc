// Small DOM helpers: elements, number formats, tables, lift bars, loading states (error boxes: error_box.js; CSV cells and file names: files.js; paged tables and their Previous/Next: pager.js).

import { LIMITS_WAIT_MS, limitsFaultSaid } from "./api.js";
// the error boxes (errorBox, and the page's own load tried again) are error_box.js's
export { errorBox, fieldError, refusal, describedBy, reloadPage } from "./error_box.js";

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    // through the CSSOM: the page's policy (service/headers.py, STUDIO_CSP) refuses a style
    // attribute
    else if (k === "style") el.style.cssText = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const int = (x) => (x === null || x === undefined ? "–" : Number(x).toLocaleString("en"));
// ``x`` to ``digits`` decimals as Python's format rounds it (the CLI's, the server's): the double's
// exact value, a tie to the even digit. toFixed rounds a tie away from zero (102.5: "103" here,
// "102" in the CLI)
export function fixed(x, digits) {
  const out = x.toFixed(digits);
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21) return out;
  const long = x.toFixed(Math.min(100, digits + 20)); // exact past where a tie could hide
  if (long.slice(-20) !== "5".padEnd(20, "0")) return out;
  const down = long.slice(0, -20).replace(/\.$/, ""); // the tie cut toward zero
  return Number(down[down.length - 1]) % 2 === 0 ? down : out;
}
export const pct = (x, digits = 1) =>
  x === null || x === undefined ? "–" : `${fixed(100 * x, digits)}%`;
// a probability as a percentage to ``digits`` decimals, or to 4 significant digits below 1% as
// the server rounds it (recommender/model/probability_digits.py): a rare film's 0.0006288 read
// "0.06%", and a lift could not be rebuilt from it; now "0.06288%"
export const pctP = (x, digits = 2) => {
  if (x === null || x === undefined) return "–";
  const p = Number(x);
  const small = p > 0 && p < 0.01 ? 1 - Math.floor(Math.log10(p)) : 0;
  return `${fixed(100 * p, Math.max(digits, small))}%`;
};
// a count and its noun in the number it takes: "1 user", "2,070 users"
export const count = (n, noun, nouns = null) =>
  `${int(n)} ${Number(n) === 1 ? noun : nouns || `${noun}s`}`;
// a number to ``digits`` decimals with thousands separators ("12,345.6"), rounded as the server's
// Python rounds (``fixed``)
export const num = (x, digits = 3) => {
  if (x === null || x === undefined) return "–";
  return fixed(Number(x), digits).replace(/^(-?)(\d{4,})/,
    (_, sign, whole) => sign + whole.replace(/\B(?=(\d{3})+$)/g, ","));
};
/** An expected count (a report's predicted conversions, a plan's expected ones) as the CLI's
    report writes it (report_text's expected_text): one decimal from 1 on, 2 significant digits
    below (0.030, 0.00041), rounded as Python rounds; a short window's 0.03 read 0.0, as if
    nothing were predicted; 0 is 0.0. */
export const expectedCount = (x) => {
  if (x === null || x === undefined) return "–";
  const v = Number(x);
  if (!Number.isFinite(v) || v === 0 || Math.abs(v) >= 1) return num(v, 1);
  const decimals = (y) => 1 - Math.floor(Math.log10(Math.abs(y)));  // 2 significant digits
  const shown = Number(fixed(v, decimals(v)));  // 0.996 -> 1.00: its decimals, 1.0
  return Math.abs(shown) >= 1 ? num(shown, 1) : fixed(shown, decimals(shown));
};
// a span of days as the page's words give it ("within 106 days"): whole days from 10 on, else to 3
// decimals without trailing zeros
export const days = (x) => (Number(x) >= 10 ? num(x, 0) : String(Number(fixed(Number(x), 3))));
/** A span given in days, with its unit: to 3 decimals ("12.5 days"), under a day its length in
    hours, minutes or seconds too ("0.333 days (8 hours)"); under a thousandth of a day to 3
    significant digits, not "0". */
export function daySpan(x) {
  const d = Number(x);
  // to 3 decimals at any length (``days`` gives whole days from 10 on)
  const text = d >= 0.001 || d <= 0 ? num(d, 3).replace(/\.?0+$/, "") : String(Number(d.toPrecision(3)));
  const unit = text === "1" ? "day" : "days";
  if (!(d > 0 && d < 1)) return `${text} ${unit}`;
  const round = (n) => Number(n.toPrecision(3));
  const [n, noun] = round(d * 24) >= 1 ? [d * 24, "hour"] : round(d * 1440) >= 1 ? [d * 1440, "minute"]
    : [d * 86400, "second"];
  const said = String(round(n));
  return `${text} ${unit} (${said} ${noun}${said === "1" ? "" : "s"})`;
}
// to 3 decimals, as the server rounds a lift and the CLI prints it (to 2, a lift of 1.002 read
// "×1.00" under a legend saying every lift is above 1)
export const lift = (x) => (x === null || x === undefined ? "–" : `×${fixed(Number(x), 3)}`);

// after removing item `index` of a list of remove buttons, focus moves to the button now at that
// place (or the last), else to `fallback` (the removed button took the focus with it)
export function refocusAfterRemoval(container, index, fallback) {
  const buttons = container.querySelectorAll("button");
  (buttons[Math.min(index, buttons.length - 1)] || fallback).focus();
}

// the user's last press, a pointer's or a key's: a click on the page's text leaves the focus on the
// body, as a Tab out of a field does; ``pointerPresses`` tells a click made while an answer was on
// its way
let pointerPresses = 0;
let lastPressPointer = false;
document.addEventListener("pointerdown", () => { pointerPresses += 1; lastPressPointer = true; }, true);
document.addEventListener("keydown", () => { lastPressPointer = false; }, true);
/** The pointer presses (clicks, taps) on the page so far: one more since a request left tells a
    focus on the body put there by the user, not dropped with a removed control. */
export const pointerPressesSoFar = () => pointerPresses;

/** ``button`` off while its request is on its way (one request per press); the function returned
    turns it on again and gives it back the focus where the focus fell to the body meanwhile (a
    disabled button drops it); not after a click made meanwhile (that focus is the user's). */
export function holdButton(button) {
  const focused = document.activeElement === button, presses = pointerPresses;
  button.disabled = true;
  return () => {
    button.disabled = false;
    if (focused && presses === pointerPresses && button.isConnected && document.activeElement === document.body) button.focus();
  };
}

/** Whether a redraw of ``box`` takes the focus with it: the focus is in ``box``, or on the body
    after a key (the field is being left with Tab; after a click it is the user's). ``focusInto``
    after the redraw puts it back. */
export function focusGoingInto(box) {
  const at = document.activeElement;
  const going = !at || at === document.body ? !lastPressPointer : box.contains(at) && !at.closest(".pager");
  return going && { pointerPresses };
}
/** After ``box`` is drawn again: where ``going`` (``focusGoingInto``), a focus lost to the body
    goes to the new answer's first control, where the Tab was going; not after a click made
    meanwhile. */
export function focusInto(box, going) {
  if (going && going.pointerPresses === pointerPresses && document.activeElement === document.body) {
    box.querySelector("a[href], button:enabled, input, select, summary")?.focus();
  }
}

/** Say the settings of the page's address that could not be used (``items``: [key, value as
    written, why and what is used instead]) in the notice above the page (app.js). */
export function ignoredSettings(items) {
  if (items.length) window.dispatchEvent(new CustomEvent("studio:settings-ignored", { detail: items }));
}

// the page's one status region (#page-status, visually hidden): a short sentence after each page
// drawn or turned (a live <main> read whole tables out; errors are said by their role=alert boxes)
let announceTimer = null;
let announced = 0;
/** Announce ``text`` in the status region (emptied first, so the same sentence twice, a
    page turned back and forth, is said again). */
export function announce(text) {
  const box = document.getElementById("page-status");
  if (!box) return;
  announced += 1;
  hush();
  announceTimer = setTimeout(() => { box.textContent = text; }, 100);
}
/** Silence the status region as a page is left: a pending sentence (announce waits 100 ms) would be
    said of a page no longer shown. */
export function hush() {
  clearTimeout(announceTimer);
  const box = document.getElementById("page-status");
  if (box) box.textContent = "";
}
/** Say what a part marked data-says-own answered (``text``); with none (its first answer failed,
    said by its alert) the page is said as the router says it ("Find a film: page shown."). */
export function sayOwn(box, text) {
  const first = box.getAttribute("data-says-own") !== "said";
  box.setAttribute("data-says-own", "said");
  if (text) { announce(text); return; }
  const heading = first && box.isConnected && box.closest("#view")?.querySelector("h1");
  if (heading) announce(`${heading.textContent.trim()}: page shown.`);
  // a later failure or refusal, said by its own alert: the region no longer holds the answer it
  // took the place of
  else hush();
}
/** How many announcements were made so far (the router announces a page drawn only where
    the page announced nothing of its own). */
export const announcedSoFar = () => announced;

/** Say ``text`` (a sentence: what the page went on without) in the notice above the page,
    once, until the next page. */
export function pageNote(text) {
  window.dispatchEvent(new CustomEvent("studio:page-note", { detail: text }));
}

/** The note of a page that went on without /health's limits (``serverLimitsWithin`` gave
    null): ``defaults`` says what it uses instead. */
export function limitsLate(defaults) {
  // a /health that failed is not one that is slow
  const why = limitsFaultSaid() === "failed" ? "could not be read (the request failed)"
    : `did not answer within ${LIMITS_WAIT_MS / 1000} seconds`;
  pageNote(`The server's limits (/health) ${why}: this page goes on with ${defaults}.`);
}

/** A whole number as an address writes it: decimal digits alone (Number() reads "0x10", "1e1" and
    "+16" as 16), from `min` to `max`; null for anything else. */
export function wholeNumber(text, min = 0, max = Number.MAX_SAFE_INTEGER) {
  if (typeof text !== "string" || !/^[0-9]+$/.test(text)) return null;
  const n = Number(text);
  return n >= min && n <= max ? n : null;
}

/** The address's `offset` (rows to skip): 0 when absent or empty; a value `wholeNumber`
    refuses is 0 too, and said in the page's notice with `why`. */
export function offsetSetting(params, why) {
  const typed = (params && params.get("offset")) ?? "";
  const offset = typed === "" ? 0 : wholeNumber(typed);
  if (offset === null) ignoredSettings([["offset", typed, why]]);
  return offset ?? 0;
}

export function loading(what) {
  return h("p", { class: "loading", role: "status" }, `Loading ${what}…`);
}

/** ``text`` ended as a sentence: a full stop unless it ends in one, or in "?" or "!" (the
    server's "did you mean '42'?" read "?."). */
export const sentence = (text) => (/[.?!]$/.test(String(text)) ? String(text) : `${text}.`);

/** A form whose submit runs `run(event, latest)`; when the browser refuses a field, the previous
    answer in `out` is taken away, so it is not read as the answer to what the form holds.
    `latest()` is true while that submit is the form's last and no field was refused since: only
    then does its answer paint. */
export function answerForm(run, out, ...children) {
  let seq = 0;
  const form = h("form", { onsubmit: (e) => {
    const mine = ++seq;
    return run(e, () => mine === seq);
  } }, ...children);
  // "Try again" in its answer box submits this form again (not the section's first form)
  if (typeof out.retry !== "function") out.retry = () => form.requestSubmit();
  form.addEventListener("invalid", () => {
    seq++;
    out.replaceChildren(h("p", { class: "warning" },
      "A field is not valid (the browser marks it): correct it and submit again."));
  }, true);
  return form;
}

export function section(title, ...children) {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

// a table wider than its box scrolls sideways inside it: the box is then a focusable region named
// by the table's caption, so a keyboard can scroll it (Firefox and Safari do not let a keyboard
// into a scroller: axe's scrollable-region-focusable); a table that fits adds no Tab stop. Checked
// whenever the box or table changes size.
const scrollers = typeof ResizeObserver === "function" ? new ResizeObserver((entries) => {
  for (const { target } of entries) {
    const box = target.closest(".table-wrap");
    if (box) markScroller(box);
  }
}) : null;

function markScroller(box) {
  const over = box.scrollWidth > box.clientWidth + 1;
  // a chart's hint that it scrolls (uplift_chart), shown while it does
  const hint = box.parentElement?.querySelector(":scope > .scroll-hint");
  if (hint) hint.hidden = !over;
  if (over) {
    box.setAttribute("tabindex", "0");
    box.setAttribute("role", "region");
    // named by its section too: a plan and its report each have a "Per film" table
    const where = box.closest("section")?.querySelector("h2")?.textContent;
    const what = box.querySelector("caption")?.textContent
      || box.querySelector("svg[aria-label]")?.getAttribute("aria-label") || "table";
    box.setAttribute("aria-label", `${where ? `${where}: ` : ""}${what} (scrolls sideways)`);
  } else {
    for (const a of ["tabindex", "role", "aria-label"]) box.removeAttribute(a);
  }
}

/** GET /segments' answer as ``segmentName`` reads it: each listed segment's label by its number,
    and the minimum cell (users) below which the server withholds a segment. */
export const segmentLabels = (body) => ({
  labels: new Map(body.segments.map((s) => [String(s.segment), s.label])), minCell: body.min_cell });

// a segment the server withholds: the labels are read (``known``) and GET /segments lists no
// segment of that number
const withheld = (known, key) => Boolean(known) && !known.labels.has(key);

/** A segment's segment_label, as every CSV of the server and the CLI writes it: its label,
    "hidden" for a segment the server withholds; "" while the labels are not read. */
export function segmentLabel(known, v) {
  const key = String(v);
  return withheld(known, key) ? "hidden" : (known && known.labels.get(key)) || "";
}

/** A user's segment in an audience table: ``segmentLabel``'s words (``known``: ``segmentLabels``),
    a withheld one's "hidden" titled with why; the number while the labels are not read or a listed
    one has no label; "–" for none. */
export function segmentName(known, v) {
  if (v === null || v === undefined) return "–";
  const key = String(v);
  if (!withheld(known, key)) return segmentLabel(known, key) || key;
  return h("span", { class: "segment-hidden", title: `Segment ${key}: fewer than ${int(known.minCell)} users ` +
    "(the minimum cell, RECOMMENDER_MIN_CELL): its label is withheld, as GET /segments withholds it" },
  segmentLabel(known, key));
}

/** The box a table (or a chart) scrolls sideways in (every table of the studio is drawn in one). */
export function tableBox(tableElement) {
  const box = h("div", { class: "table-wrap" }, tableElement);
  if (scrollers) { scrollers.observe(box); scrollers.observe(tableElement); }
  return box;
}

// columns: [{key, label, format?, num?, wrap?, prose?, wide?}]; rows: objects (wrap: ids or names,
// which may be one long word, break inside their cells; prose: sentences, kept a line's width;
// wide: a header of several words over narrow numbers, kept a few words wide; see studio.css)
export function table(caption, columns, rows) {
  return tableBox(
    h("table", {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, columns.map((c) =>
        h("th", { scope: "col", class: [c.num ? "num" : "", c.wide ? "wide" : ""].join(" ").trim() }, c.label)))),
      h("tbody", {}, rows.map((r) => h("tr", {}, columns.map((c) => {
        const v = c.format ? c.format(r[c.key], r) : r[c.key];
        return h("td", { class: c.num ? "num" : c.wrap ? "wrap" : c.prose ? "prose" : "" }, v === null || v === undefined ? "–" : v);
      }))))));
}

// One bar per item, its length the lift against the whole user base (1 = no difference).
export function liftBars(label, items, max = null) {
  const top = max || Math.max(2, ...items.map((i) => i.lift || 0));
  return h("ul", { class: "bars", "aria-label": label }, items.map((i) => h("li", {},
    h("span", { class: "bar-label" }, i.label),
    h("span", { class: "bar-track", "aria-hidden": "true" },
      h("span", { class: `bar ${i.lift >= 1 ? "up" : "down"}`,
        style: `width:${Math.min(100, (100 * (i.lift || 0)) / top).toFixed(1)}%` }),
      h("span", { class: "bar-one", style: `left:${(100 / top).toFixed(1)}%` })),
    h("span", { class: "bar-value" }, `${lift(i.lift)} · ${int(i.count)} users`))));
}

// " (year)" after a film's title, unless the title carries it already ("Toy Story (1995)")
export function yearSuffix(title, year) {
  return year && !String(title || "").includes(String(year)) ? ` (${year})` : "";
}

// a film's name: its title, or its id where the catalog gives none (FilmTrust: every title is ""),
// so no heading, link or label is left blank
export function filmName(film) {
  return (film && film.title) || (film && film.film_id) || "";
}

export function titleWithYear(title, year) {
  return `${title}${yearSuffix(title, year)}`;
}

export function linkToFilm(film) {
  return h("a", { href: `#/film/${encodeURIComponent(film.film_id)}` }, filmName(film));
}

/** The Studio's address of user ``id``'s page (any character: encoded). */
export const userHref = (id) => `#/user/${encodeURIComponent(id)}`;

/** A user id as written, linked to the user's page (the cell's text is the id itself; downloads are
    built from the data). */
export const linkToUser = (id) => h("a", { href: userHref(id) }, id);

const SHOWN_UNKNOWN = 10;

/** The ids the server did not know (`noun`: "id(s)", "film id(s)"): ten written out, all behind
    "Show all" (50,000 unknown seeds made one paragraph a screen reader read whole). */
export function unknownList(id, noun, ids, hints = []) {
  if (!ids.length) return [];
  const more = ids.length - SHOWN_UNKNOWN;
  return [h("p", { class: "warning", id },
    `${int(ids.length)} unknown ${noun} skipped: ${quotedIds(ids.slice(0, SHOWN_UNKNOWN))}`,
    more > 0 ? ` and ${int(more)} more` : ""),
  // what the answer says of each (unknown_film_hints): the film a title names, its matches
  hints.length ? h("ul", { class: "note", id: `${id}-hints` }, ...hints.map((t) => h("li", {}, t))) : "",
  more > 0 ? h("details", { id: `${id}-all` }, h("summary", {}, `Show all ${int(ids.length)} unknown ${noun}`),
    h("p", {}, quotedIds(ids))) : ""];
}

// each id in quotes, as the hints write them ('u00141, u02708'): an id holding ", " would read as
// two
const quotedIds = (ids) => ids.map((x) => `'${x}'`).join(", ");

/** The entries of ``shares`` (id -> share), largest first: ties in the order of ``order``, else by
    id as text (``Object.entries`` puts integer-like keys first). */
export function byShare(shares, order = []) {
  const at = new Map(order.map((id, i) => [String(id), i]));
  const rank = (id) => (at.has(id) ? at.get(id) : Infinity);
  return Object.entries(shares || {}).sort(([a, x], [b, y]) => (y - x) || (rank(a) - rank(b))
    || (a < b ? -1 : a > b ? 1 : 0));
}

/** The genres typed in a field, split on commas: the ASCII one, and the full-width "，" and
    ideographic "、" an East Asian keyboard types. */
export function genreList(text) {
  return text.split(/[,\uFF0C\u3001]/).map((s) => s.trim()).filter(Boolean);
}

