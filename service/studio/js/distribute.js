// Distribute: a new film's demand by place, and each cinema's screens shared among a slate.

import { fitToCatalog, noComparableRefusal } from "./catalog_fields.js";
import { answeredBy, filmPath, getJson, postJson, serverLimitsWithin } from "./api.js";
import { saveBlob } from "./downloads.js";
import { h, int, count, num, days, section, table, tableBox, errorBox, fieldError, refusal, filmName,
  titleWithYear, answerForm, unknownList, genreList, announce, byShare } from "./ui.js";
import { pagedTable } from "./pager.js";
import { csvCell, csvCells, fileName, fewOf } from "./files.js";
import { keptForm, pickedChips, pickedRows } from "./search.js";
import { demandSaid, demandView, fillPlaces, screensByOff, screensBySelect, uncalibrated } from "./distribution.js";

const PAGE = 25;
const MAX_COUNT = 2 ** 31 - 1;  // the server's most screens for one cinema (io/places.py)
// ``text`` as a whole number from ``low`` to ``high``, else null, by the server's rule for a
// screens file's cell (io/places.py ``whole_count``): digits with an optional fraction and exponent
// whose value is whole, so "2.0" is 2 and "2.5", "+2" or "1.0000000000000001" are refused (Number()
// makes the last one 1).
export function wholeCount(text, low, high) {
  const m = /^([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/.exec(text);
  if (!m) return null;
  const digits = (m[1] + (m[2] || "")).replace(/^0+/, "");
  if (!digits) return low <= 0 ? 0 : null;  // zero, however written
  const trimmed = digits.replace(/0+$/, "");
  // the value is trimmed x 10^shift
  const shift = Number(m[3] || 0) - (m[2] || "").length + digits.length - trimmed.length;
  if (shift < 0) return null;  // a fraction is left
  if (trimmed.length + shift > String(high).length) return null;  // more digits than high
  const value = Number(trimmed + "0".repeat(shift));
  return value >= low && value <= high ? value : null;
}

/** Cinemas from pasted `cinema_id,screens` lines (a cinemas.csv will do), split as the server reads
    a screens file: by commas, or by semicolons or tabs when the first line holds one and no comma.
    Ids kept as written. Returns {cinemas}, or {error} naming the line; no text gives {cinemas:
    null} (the server's table). */
export function parseCinemas(text) {
  const lines = text.split(/\r\n|\r|\n/);
  if (!lines.some((l) => l.trim())) return { cinemas: null };
  const first = lines.find((l) => l.trim());
  const sep = [";", "\t"].find((d) => first.includes(d) && !first.includes(",")) || ",";
  let idCol = 0, screensCol = 1, start = 0;
  const head = csvCells(first, sep).map((c) => c.trim().toLowerCase());
  if (head.includes("cinema_id") || head.includes("screens")) {
    idCol = head.indexOf("cinema_id");
    screensCol = head.indexOf("screens");
    if (idCol < 0 || screensCol < 0) return { error: "line 1: the header must name cinema_id and screens" };
    start = lines.indexOf(first) + 1;
  }
  const cinemas = [];
  const seen = new Set();
  for (let i = start; i < lines.length; i++) {
    const cells = csvCells(lines[i], sep);
    if (cells.every((c) => !c.trim())) continue;  // blank, or separators only (";;")
    const id = cells[idCol] === undefined ? "" : cells[idCol];
    const raw = (cells[screensCol] || "").trim();
    if (!id) return { error: `line ${i + 1}: no cinema_id` };
    if (seen.has(id)) return { error: `line ${i + 1}: cinema ${id} is listed twice` };
    if (cells.length < 2) {
      return { error: `line ${i + 1}: expected cinema_id${sep === "\t" ? "(tab)" : sep}screens, got “${lines[i].trim()}”` };
    }
    // "2.0" as pandas writes a float column, as the CLI and HTTP take it (it was refused)
    const screens = wholeCount(raw, 1, MAX_COUNT);
    if (screens === null) {
      return { error: `line ${i + 1}: screens must be a whole number from 1 to ${MAX_COUNT.toLocaleString("en")}, got “${raw}”` };
    }
    seen.add(id);
    cinemas.push({ cinema_id: id, screens });
  }
  return cinemas.length ? { cinemas } : { error: "the cinemas list only a header" };
}

/** A number as Python's ``str`` writes a float (the CLI's CSV cells): the shortest digits that
    read back as it, "2.0" for a whole number, an exponent ("1e-05", "1e+16") below 1e-4 and
    from 1e16. */
export function pyFloat(v) {
  if (Object.is(v, -0)) return "-0.0";
  const a = Math.abs(v);
  if (Number.isFinite(v) && a !== 0 && (a < 1e-4 || a >= 1e16)) {
    const [m, e] = v.toExponential().split("e");
    return `${m}e${e[0] === "-" ? "-" : "+"}${e.replace(/^[-+]/, "").padStart(2, "0")}`;
  }
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

// not a live region: announce says the answer
const NEW_FILM_KEY = "studio:distribute-new-film";

function newFilm() {
  const chips = h("ul", { class: "chips", "aria-label": "Comparable films" });
  const find = h("input", { id: "dnew-search", type: "search", placeholder: "type a title" });
  const found = h("ul", { class: "found" });
  const genres = h("input", { id: "dnew-genres", type: "text", placeholder: "e.g. Drama, Thriller" });
  const by = h("select", { id: "dnew-by" });
  const screens = h("input", { id: "dnew-screens", type: "number", min: 1, max: 10000000, step: 1, placeholder: "none" });
  const screensBy = screensBySelect("dnew-screens-by");  // screens_by, sent with screens only
  // not a live region (a table read out at each answer): announce says the answer
  const out = h("div", { id: "dnew-result" });
  let keep = () => {};  // until what was kept is back (keptForm)
  const chosen = pickedChips(find, found, chips, (f) => titleWithYear(filmName(f), f.year), () => keep());
  // the place chosen: the select's, or the one kept while the model's places are not in it
  let wanted = "";
  const place = { get value() { return by.value || wanted; }, set value(v) { wanted = v; } };
  keep = keptForm(NEW_FILM_KEY, chosen, { genres, by: place, screens, screensBy });
  // the model's places; asked again on submit while none are known (the first ask can come before a
  // key is entered)
  const off = screensByOff(screens, screensBy, "dnew-screens-by-hint");
  // the model's places; asked again on submit while none are known (the first ask can come before
  // an API key is entered)
  const places = () => fillPlaces(by, out, { wanted, retry: "submit again to retry" });
  places();
  // only the latest submit paints, none after a refused field (answerForm)
  async function run(e, latest) {
    e.preventDefault();
    const g = genreList(genres.value);
    if (!chosen.size && !g.length) {
      out.replaceChildren(noComparableRefusal(find, genres)); return;
    }
    if (!by.value) {
      const found = await places();
      if (!latest() || !found || !found.length) return;
    }
    out.replaceChildren(h("p", { class: "loading", role: "status" }, "Forecasting demand…"));
    const follows = screens.value ? screensBy.value : "total";  // a model without calibration has none to borrow. The probabilities mix known films' calibrations (calibrated_from, largest share first): the first five are named
    try {
      const body = await postJson("/distribution/cold-start", {
        comparable_film_ids: [...chosen.keys()], genres: g, by: by.value,
        ...(screens.value ? { screens: Number(screens.value), screens_by: follows } : {}) });
      const warning = uncalibrated(body, "dist-uncalibrated");
      if (!latest()) return;
      // a model without calibration has none to borrow, so none is named. The probabilities mix
      // known films' calibrations (calibrated_from, largest share first): the first five are named
      const mix = warning ? [] : byShare(body.cold_start?.calibrated_from);
      const links = mix.slice(0, 5).map(([id]) => h("a", { href: `#/film/${encodeURIComponent(id)}` }, id));
      const named = links.flatMap((a, i) => [i ? ", " : "", a, ` ${(100 * mix[i][1]).toFixed(1)}%`]);
      const more = mix.length > 5 ? ` and ${mix.length - 5} more` : "";
      const alone = body.cold_start?.genres_only;  // no comparable film known: genres alone
      out.replaceChildren(
        // comparable films the model does not know are skipped and listed (it was a 404)
        ...unknownList("dnew-unknown-films", "film id(s)", body.cold_start?.unknown_film_ids || [],
          body.cold_start?.unknown_film_hints || []),
        alone ? h("p", { class: "note", id: "dnew-genres-only" }, `${alone[0].toUpperCase()}${alone.slice(1)}.`) : "",
        links.length ? h("p", { class: "note", id: "dnew-calibrated" },
          "Probabilities mix the calibrations of known films, each with its share: ", ...named, more, ".") : "",
        ...demandView(body, warning, follows));
      announce(demandSaid("A new film's demand", body));
      mix.slice(0, 5).forEach(([id], i) => {  // their titles, once known (the id stays if unread)
        getJson(filmPath(id)).then((f) => { links[i].textContent = titleWithYear(filmName(f), f.year); })
          .catch(() => {});
      });
      // a genre the server refused: the field marked and described by the refusal, as Find a film's
    } catch (err) { if (latest()) out.replaceChildren(fieldError(err, genres, /genre/i)); }
  }
  const form = answerForm(run, out,
    h("label", { for: "dnew-search" }, "Comparable films"), find, found, chips,
    h("label", { for: "dnew-genres" }, "Genres (comma-separated)"), genres,
    h("div", { class: "row" }, h("label", { for: "dnew-by" }, "By"), by,
      h("label", { for: "dnew-screens" }, "Screens to share out"), screens,
      h("label", { for: "dnew-screens-by" }, "Screens follow"), screensBy, off.hint),
    h("button", { type: "submit" }, "Forecast demand"));
  form.addEventListener("input", keep);
  return section("A new film: demand by place",
    h("p", { class: "note" }, "Expected new viewers in each place for a film with no history, from films like it and its genres; ",
      "optionally a number of screens shared out in proportion."),
    form, out);
}

function slateRow(film, remove, saved = {}) {
  const label = titleWithYear(filmName(film), film.year);
  const lo = h("input", { type: "number", min: 0, step: 1, value: saved.lo ?? 0, required: true, "aria-label": `fewest screens for ${filmName(film)}` });
  const hi = h("input", { type: "number", min: 0, step: 1, value: saved.hi ?? "", placeholder: "no limit", "aria-label": `most screens for ${filmName(film)}` });
  const row = h("tr", {}, h("td", {}, label), h("td", {}, lo), h("td", {}, hi),
    h("td", {}, h("button", { type: "button", class: "ghost", "aria-label": `remove ${filmName(film)}`, onclick: remove }, "×")));
  return { row, label, boxes: [lo, hi], read: () => ({ film_id: film.film_id, min_screens: Number(lo.value),
    max_screens: hi.value === "" ? null : Number(hi.value) }),
    kept: () => ({ film: { film_id: film.film_id, title: film.title, year: film.year }, lo: lo.value, hi: hi.value }) };
}

// the slate of films opening together, kept for this tab (sessionStorage, as the key is)
const SLATE_KEY = "studio:distribute-slate";

/** each cinema's city beside its id where the answer gives it (pasted lines give none) */
function pivot(body, titles) {
  const films = body.films.map((f) => f.film_id);
  const byCinema = new Map();
  for (const r of body.allocation) {
    if (!byCinema.has(r.cinema_id)) byCinema.set(r.cinema_id, { cinema_id: r.cinema_id, city: r.city });
    byCinema.get(r.cinema_id)[`f:${r.film_id}`] = r.screens;
  }
  const rows = [...byCinema.values()];
  // each cinema's city beside its id where the answer gives it (the server's cinema table;
  // pasted cinema_id,screens lines give none)
  const cities = body.allocation.some((r) => r.city);
  const columns = [{ key: "cinema_id", label: "Cinema", wrap: true },
    ...(cities ? [{ key: "city", label: "City", wrap: true }] : []),
    ...films.map((id) => ({ key: `f:${id}`, label: titles.get(id) || id, num: true, format: (v) => int(v || 0) }))];
  return pagedTable("Screens per cinema", "cinemas", columns, rows, { id: "dslate-cinemas" }, [], PAGE);
}

function hiddenNote(body) {
  const hidden = Math.max(0, ...body.films.map((f) => f.expected_new_hidden_cinemas || 0));
  return hidden
    // the targets the objective is counted from (units.objective), not the plain shares
    ? `Expected new viewers are over the cinemas shown: ${count(hidden, "cinema")} ${hidden === 1 ? "has its" : "have their"} figures hidden by the minimum cell of ${count(body.min_cell, "user")} (fewer users, or pooled with such cinemas; an empty expected_new in the downloaded allocation).`
    : "";
}

// " (the same letters in another Unicode form)" where a table's cinema id and the users' differ
// only so (one composed, NFC, one decomposed, NFD: they print alike), as the CLI's note says
function formNote(given, named) {
  return given !== named && given.trim().normalize("NFC") === named.trim().normalize("NFC")
    ? ` (the same letters in Unicode form ${named.normalize("NFC") === named ? "NFC, accents composed" : "NFD, accents decomposed"}; this one is ${given.normalize("NFC") === given ? "NFC" : "NFD"})`
    : "";
}

function slateResult(body, titles, warning) {
  const lost = body.cinemas_without_users || [];
  const near = body.near_misses || {};
  const horizon = body.horizon && body.horizon.days ? ` within ${days(body.horizon.days)} days` : "";
  return [
    h("p", { class: "note", id: "dslate-total" },
      // shared_by "equally": no cinema of the slate has any expected new viewer (a model without
      // calibration), so the targets are equal shares, as the CLI's headline says; "by expected
      // new viewers" read where every one was 0. An answer without the field: by viewers
      body.shared_by === "equally" ? [
        `${count(body.screens, "screen")} of ${count(body.cinemas, "cinema")} shared equally among ${count(body.films.length, "film")} within their fewest and most screens `,
        "(no cinema has any expected new viewer to share them by): each cinema's screens as close as possible to equal shares, ",
        "a film held back by its most screens scaled down ",
        `(total deviation from those targets: ${num(body.objective, 2)} screens). `,
      ] : [
        `${count(body.screens, "screen")} of ${count(body.cinemas, "cinema")} shared among ${count(body.films.length, "film")}, `,
        // as the CLI's legend and expected_new's null say: a cinema pooled with a small one is hidden
        // too, whatever its users
        "each cinema's screens as close as possible to its target: its share of the films' expected new viewers among its users, ",
        "a film held to its fewest or most screens having its viewers scaled by one factor at every cinema until its share meets that bound ",
        "(only a bound the allocation without bounds crosses; at a cinema no user names a fewest is not scaled), ",
        "and a cinema whose figures are hidden sharing by all the hidden cinemas' viewers pooled ",
        `(total deviation from those scaled targets: ${num(body.objective, 2)} screens). `,
      ],
      // quoted, with the id users spell where a shown cinema's is it but for case, spaces or
      // leading zeros (near_misses), as the CLI's note
      hiddenNote(body)),
    warning,
    lost.length ? h("p", { class: "warning", id: "dslate-lost" },
      `${int(lost.length)} ${lost.length === 1 ? "cinema is" : "cinemas are"} named by no user (their screens are shared equally; check the ids): `,
      // quoted (' c001' with its space), with the id users spell where a shown cinema's is it but
      // for case, spaces, Unicode form or leading zeros (near_misses), as the CLI's note; one
      // in another Unicode form prints alike, so the note says so
      lost.slice(0, 10).map((c) => `'${c}'` + (near[c] ? ` (users name '${near[c][0]}'${formNote(c, near[c][0])})` : "")).join(", ")
        + (lost.length > 10 ? ` and ${int(lost.length - 10)} more` : "")) : "",
    table("Per film", [
      { key: "film_id", label: "Film", format: (v) => h("a", { href: `#/film/${encodeURIComponent(v)}` }, titles.get(v) || v) },
      { key: "min_screens", label: "Fewest screens", num: true, format: int },
      { key: "max_screens", label: "Most screens", num: true, format: (v) => (v === null ? "no limit" : int(v)) },
      { key: "screens", label: "Screens given", num: true, format: int },
      { key: "expected_new", label: `Expected new viewers${horizon} (users, cinemas shown)`, num: true,
        format: (v) => num(v, 3) },  // the columns and bytes of `recommender distribution --slate --out` (floats as Python writes them, "2.0"); each row's city and its film's title as the answer gives them
      { key: "note", label: "Note", format: (v) => (v ? `Not a taste for the film: ${v}` : "") },
    ], body.films),
    pivot(body, titles),
    h("button", { type: "button", class: "ghost", id: "dslate-download", onclick: () => {
      // the columns and bytes of `recommender distribution --slate --out`: expected_new and
      // horizon_days written as Python writes a float ("2.0"); each row's city, and its film's
      // title, as the answer gives them
      const named = new Map(body.films.map((f) => [f.film_id, f.title]));
      const days = body.horizon && typeof body.horizon.days === "number" ? pyFloat(body.horizon.days) : "";
      const lines = body.allocation.map((r) => [r.cinema_id, r.film_id, r.screens,
        r.expected_new === null ? "" : pyFloat(r.expected_new), r.city, named.get(r.film_id), days].map(
        (v, i) => (i === 3 || i === 6 ? v : csvCell(v))).join(","));
      // named for what it holds: the films (a few), cinemas, screens and the model that answered
      saveBlob(new Blob([["cinema_id,film_id,screens,expected_new,city,title,horizon_days", ...lines].join("\n") + "\n"],
        { type: "text/csv" }), fileName(["allocation", ...fewOf(body.films.map((f) => f.film_id)),
        `${body.cinemas}cinemas`, `${body.screens}screens`, body.model_version || answeredBy(body)]));
    } }, `Download the allocation (${int(body.allocation.length)} rows, CSV)`),
  ];
}

function slate() {
  const body = h("tbody", {});
  const find = h("input", { id: "dslate-search", type: "search", placeholder: "type a title" });
  const found = h("ul", { class: "found" });
  const cinemas = h("textarea", { id: "dslate-cinemas-text", rows: 5,
    placeholder: "cinema_id,screens — one cinema per line (a cinemas.csv will do)" });
  const out = h("div", { id: "dslate-result" });  // not a live region: announce says the answer
  let keep = () => {};  // until what was kept is back (keptForm)
  const films = pickedRows(find, found, body, slateRow, () => keep());
  keep = keptForm(SLATE_KEY, films, { cinemas });
  // a slate past the server's RECOMMENDER_MAX_SLATE_CELLS (/health's max_slate_cells) is refused
  // here, as the server's 422 says it (pasted cinemas and unknown limits: the server says it)
  async function run(e, latest) {
    e.preventDefault();
    if (!films.size) { out.replaceChildren(refusal("add at least one film", find)); return; }
    const bad = [...films.values()].find((f) => { const b = f.read(); return b.max_screens !== null && b.max_screens < b.min_screens; });
    if (bad) {
      const b = bad.read();
      out.replaceChildren(refusal(`${bad.label}: most screens (${int(b.max_screens)}) is below fewest screens (${int(b.min_screens)})`, ...bad.boxes));
      return;
    }
    const parsed = parseCinemas(cinemas.value);
    if (parsed.error) { out.replaceChildren(refusal(`cinemas, ${parsed.error}`, cinemas)); return; }
    // the films as asked, titled even if one was removed meanwhile
    if (parsed.cinemas) {
      const most = (await serverLimitsWithin())?.max_slate_cells;
      if (!latest()) return;
      const cells = parsed.cinemas.length * films.size;
      if (Number.isInteger(most) && cells > most) {
        out.replaceChildren(errorBox(`a slate of ${count(films.size, "film")} over ${count(parsed.cinemas.length, "cinema")} is ${int(cells)} cells (cinemas x films), more than the ${int(most)} one allocation solves (the server's RECOMMENDER_MAX_SLATE_CELLS; the solver's time grows with the square of the cells): allocate fewer films or cinemas at a time, or raise the limit`));
        return;
      }
    }
    out.replaceChildren(h("p", { class: "loading", role: "status" }, "Sharing out the screens…"));
    // the films as asked: one removed while the answer was on its way lost its title to its id
    const titles = new Map([...films.entries()].map(([id, s]) => [id, s.label]));
    try {
      const answer = await postJson("/distribution/slate", {
        films: [...films.values()].map((s) => s.read()),
        ...(parsed.cinemas ? { cinemas: parsed.cinemas } : {}) });
      const warning = uncalibrated(answer, "dslate-uncalibrated");
      if (!latest()) return;
      out.replaceChildren(...slateResult(answer, titles, warning));
      announce(`Screens per cinema: ${count(answer.screens, "screen")} of ${count(answer.cinemas, "cinema")} shared ${answer.shared_by === "equally" ? "equally " : ""}among ${count(answer.films.length, "film")}.`);
    } catch (err) { if (latest()) out.replaceChildren(errorBox(err)); }
  }
  const form = answerForm(run, out,
    h("label", { for: "dslate-search" }, "Add a film"), find, found,
    tableBox(h("table", { class: "slate" }, h("caption", {}, "Films in the slate"),
      h("thead", {}, h("tr", {}, ["Film", "Fewest screens", "Most screens", "Remove"].map((c) =>
        h("th", { scope: "col" }, c)))), body)),
    h("label", { for: "dslate-cinemas-text" }, "Cinemas and their screens (leave empty for the server's cinema table)"),
    cinemas,
    h("button", { type: "submit" }, "Share out the screens"));
  form.addEventListener("input", keep);
  return section("Films opening together: screens per cinema",
    h("p", { class: "note" }, "Each cinema's screens are shared among the films in proportion to the films' expected new viewers ",
      "among its users (those who name it as their cinema; a cinema whose figures are hidden: all the hidden cinemas' viewers pooled), ",
      "as closely as whole screens allow, within each film's fewest and most screens over all cinemas: a film a bound holds back ",
      "has its viewers scaled by one factor at every cinema until its share meets that bound (a bound the allocation without bounds ",
      "already meets holds nothing back; at a cinema no user names, where the films share alike, a fewest is not scaled)."),
    form, out);
}

export function distribute(view) {
  view.replaceChildren(h("h1", {}, "Distribute"), newFilm(), slate());
  // a catalog without titles (films by id) or genres (a new film by comparables alone)
  fitToCatalog({ titles: [{ input: view.querySelector("#dnew-search") },
    { input: view.querySelector("#dslate-search") }], genres: [view.querySelector("#dnew-genres")] });
}
