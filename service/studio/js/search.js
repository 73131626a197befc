// Find a film: search as you type by title; by genre once the genre is entered.

import { getJson, query } from "./api.js";
import { h, int, count, table, errorBox, filmName, linkToFilm, titleWithYear, refocusAfterRemoval,
  ignoredSettings, offsetSetting, focusGoingInto, focusInto, sayOwn, sentence, announce } from "./ui.js";
import { pagerPress, pagerBack, pagerHold } from "./pager.js";
import { fitToCatalog } from "./catalog_fields.js";

const PAGE = 20;
// the most a bookmarked genre's first search waits for /health's catalog counts (ms)
const FACTS_WAIT_MS = 2000;

const KIND_LABELS = { title: "title", title_start: "title start", words: "all words",
  inside: "inside title", typo: "typo", similar: "similar", year: "year", film_id: "film id",
  all: "" };

/** A result's `match` in a few words, as the CLI's table says it
    (recommender/query/title_match.py, match_text): "title; year 1980: no". */
export function matchText(m) {
  if (!m) return "";
  const parts = [m.kind === "year" ? `year ${m.year}` : (KIND_LABELS[m.kind] ?? m.kind)];
  // a film whose id the query is but for leading zeros or Unicode form ("007" for "7")
  if (m.kind === "film_id" && m.exact_id === false) {
    parts[0] = "film id, another form (leading zeros, spaces, Unicode form)";
  }
  const fixes = (m.corrected || []).map((c) =>
    `${c.typed} -> ${c.title_word}${c.edits === 2 ? " (2 edits)" : ""}`);
  if (fixes.length && m.kind !== "typo") parts.push(`typo: ${fixes.join(", ")}`);
  else if (fixes.length) parts[0] = `typo: ${fixes.join(", ")}`;
  if ((m.unmatched || []).length) parts.push(`not found: ${m.unmatched.join(", ")}`);
  if (m.year !== null && m.year !== undefined && m.kind !== "year") {
    parts.push(`year ${m.year}: ${m.year_matched ? "yes" : "no"}`);
  }
  return parts.filter((p) => p).join("; ");
}

/** Whether a search result's title typed is its whole title (of the year typed if any) or its
    id: the one kind of match Enter opens (Find a film) or picks (the pickers). */
export function wholeTitle(f) {
  return Boolean(f.match && (f.match.kind === "film_id"
    || (f.match.kind === "title" && f.match.year_matched !== false)));
}

/** The film Enter takes from ``films`` (a search's answer, best first): the first, when it is
    the only one the title typed names whole (``wholeTitle``); null otherwise. */
function enterPicks(films) {
  const exact = films.filter(wholeTitle);
  return exact.length === 1 && exact[0] === films[0] ? films[0] : null;
}

export function search(view, params) {
  const q = h("input", { id: "q", type: "search", value: params.get("q") || "",
    placeholder: "e.g. the godfather", autocomplete: "off" });
  const genre = h("input", { id: "genre", type: "text", value: params.get("genre") || "",
    placeholder: "any genre" });
  // not a live region (it read the whole table out at each search): the page's status region says
  // what was found (announce); its first answer is the page's sentence
  const results = h("div", { id: "results", "data-says-own": true });
  // a genre the server refused (422: "unknown genre 'Dramma' (did you mean 'Drama'?)") is said
  // beside the field, in the server's words
  const genreSaid = h("p", { id: "genre-invalid", class: "invalid", role: "alert", hidden: true });
  // the field's own description (catalog_fields' "genre-none") is kept beside the refusal and given
  // back after it
  const sayGenre = (text) => {
    genreSaid.textContent = text ? sentence(text) : "";
    genreSaid.hidden = !text;
    const own = (genre.getAttribute("aria-describedby") || "").split(" ")
      .filter((id) => id && id !== "genre-invalid");
    const ids = text ? [...own, "genre-invalid"] : own;
    if (text) genre.setAttribute("aria-invalid", "true"); else genre.removeAttribute("aria-invalid");
    if (ids.length) genre.setAttribute("aria-describedby", ids.join(" "));
    else genre.removeAttribute("aria-describedby");
  };
  // a bad offset is ignored, and said
  let offset = offsetSetting(params, "the films to skip must be a whole number from 0: the first page is shown");
  let timer = null;
  let seq = 0;

  async function run(open = false) {
    if (!view.isConnected) { clearTimeout(timer); return; }  // the user has moved on
    const mine = ++seq;
    // the title as typed: an id pasted with its spaces is that film first (the server also tries it
    // without them)
    const state = { q: q.value.trim() ? q.value : "", genre: genre.value.trim(), offset: offset || "" };
    history.replaceState(null, "", `#/search${query(state)}`);
    pagerHold(results);  // a focus on Previous or Next outlives the redraw
    const going = focusGoingInto(results);  // a Tab out of the title or the genre, into the results
    results.replaceChildren(h("p", { class: "loading", role: "status" }, "Searching…"));
    try {
      const body = await getJson(`/films${query({ query: state.q, genre: state.genre,
        limit: PAGE, offset })}`);
      if (mine !== seq) return;
      sayGenre("");
      // Enter in the title box, and the title typed names one film exactly (its whole title, of the
      // year typed if any, or its id): that film opens, as Enter in the pickers picks it
      const exact = open && offset === 0 ? enterPicks(body.films) : null;
      if (exact) {
        location.hash = `#/film/${encodeURIComponent(exact.film_id)}`;
        return;
      }
      const shown = body.films.length;
      // no film of the page has a title: the first column holds each film's id, linked, and is
      // headed so, its copy left out
      const titled = body.films.some((f) => f.title);
      const said = shown ? `Films ${int(offset + 1)}–${int(offset + shown)} of ${int(body.total)}`
        : body.total > 0 ? `No film on this page: ${int(body.total)} match, past the last page.`
          : "No film matches.";
      results.replaceChildren(
        h("p", {}, said),
        shown ? table("Matching films", [
          { key: "title", label: titled ? "Title" : "Film ID", format: (v, r) => linkToFilm(r),
            wrap: !titled || undefined },
          // a catalog's columns blank in every row (a log without films.csv) are left out, as the
          // CLI's film tables leave them
          ...(body.films.some((f) => f.year) ? [{ key: "year", label: "Year", num: true }] : []),
          ...(body.films.some((f) => (f.genres || []).length)
            ? [{ key: "genres", label: "Genres", format: (v) => (v || []).join(", ") }] : []),
          { key: "viewers", label: "Viewers", num: true, format: int },
          ...(titled ? [{ key: "film_id", label: "Film id", wrap: true }] : []),
          // how each film matched the title typed (none to say when only a genre is given)
          ...(state.q ? [{ key: "match", label: "Match", format: matchText }] : []),
        ], body.films) : "",  // replaceChildren writes a null as the text "null"
        // catalog films no interaction names: left out of the model, so never in the table
        (body.not_in_model || []).length ? h("p", { class: "note", id: "search-left-out" },
          "Not in the model (in the training catalog, but no interaction in the log: no audience; a cold-start audience ranks one): ",
          body.not_in_model.map((f) => `${titleWithYear(f.title, f.year)} [${f.film_id}]`).join(", "), ".") : "",
        h("div", { class: "pager" },
          h("button", { type: "button", disabled: offset === 0 || undefined,
            onclick: () => { pagerPress(results, "Previous"); offset = Math.max(0, offset - PAGE); run(); } }, "Previous"),
          h("button", { type: "button", disabled: offset + shown >= body.total || undefined,
            onclick: () => { pagerPress(results, "Next"); offset += PAGE; run(); } }, "Next")));
      pagerBack(results);
      focusInto(results, going);
      sayOwn(results, `Search results: ${said}`);
    } catch (e) {
      if (mine !== seq) return;
      if (e.status === 422 && state.genre && /genre/i.test(e.message)) {
        sayGenre(e.message);
        results.replaceChildren(h("p", { class: "note" }, "No search made: correct the genre."));
      } else results.replaceChildren(errorBox(e));
      pagerBack(results);  // a Previous or Next whose page never came: its error, not the body
      sayOwn(results);
    }
  }
  results.retry = run;  // "Try again" after the engine was out of reach
  const later = () => { offset = 0; clearTimeout(timer); timer = setTimeout(run, 200); };
  q.addEventListener("input", later);
  // (a form of two text fields and no button is not submitted by Enter: the key is the box's)
  q.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || e.isComposing || !q.value.trim()) return;
    e.preventDefault();
    clearTimeout(timer);
    offset = 0;  // a search anew, from its first page (on a later page it redrew that page)
    run(true);
  });
  // a genre is a whole word, not a prefix: searched when complete (Enter, or leaving the field),
  // not at every pause in typing (each prefix was a 422)
  genre.addEventListener("change", later);
  view.replaceChildren(
    h("h1", {}, "Find a film"),
    h("form", { class: "row", role: "search", onsubmit: (e) => { e.preventDefault(); offset = 0; run(); } },
      h("label", { for: "q" }, "Title"), q, h("label", { for: "genre" }, "Genre"), genre),
    genreSaid, results);
  q.focus();
  // a catalog without titles is searched by film id, one without genres by none: the fields say so
  // once /health tells. Only a bookmarked genre waits for /health, at most FACTS_WAIT_MS, as the
  // catalog may have none
  const first = () => { if (seq === 0) run(); };  // unless one ran (a field typed in meanwhile)
  fitToCatalog({ titles: [{ input: q, label: "Film ID" }], genres: [genre] }).then((cleared) => {
    if (!view.isConnected) return;
    if (cleared.genre) {
      ignoredSettings([["genre", cleared.genre, "this model's catalog has no genres: films of every genre are shown"]]);
      run();  // again, if one ran with it
    } else first();
  });
  if (genre.value.trim()) setTimeout(first, FACTS_WAIT_MS);
  else first();
}

/** A film's title without the year a catalog writes after it, in Unicode form NFC: "Hamlet
    (1948)" and "Hamlet (1996)" are both "Hamlet", "Amélie" decomposed (NFD) is "Amélie"
    composed. */
function bareTitle(f) {
  return filmName(f).replace(/\s*\(\d{4}\)\s*$/, "").normalize("NFC");
}

/** How many of `films` (a search's answer, best first) the query names as it names the first one
    (same kind and year match) and share its title (year aside), or, matched as a whole title, have
    it as a name however the catalog writes the rest: two or more, and Enter must not pick one
    silently ("heat": Heat (1995) and "Heat, The (2013)"). 0 for none. */
function sameTitle(films) {
  const [first] = films;
  if (!first || !first.match) return 0;
  const alike = (f) => f.match && f.match.kind === first.match.kind
    && f.match.year_matched === first.match.year_matched
    && (first.match.kind === "title"
      || bareTitle(f).toLowerCase() === bareTitle(first).toLowerCase());
  return films.filter(alike).length;
}

/** Film suggestions as the user types into `find` (debounced 200 ms, the 5 best title matches),
    shown in `found` as "Add <title> (<year>)" buttons; a click hands the film to `onPick` (false
    back: picked already), and the status region says it was added to `where` ("the slate"). */
export function filmPicker(find, found, onPick, where = "the list") {
  suggestionsOf(find, found);
  let timer = null;
  let seq = 0;
  let current = false;  // the list answers what the box holds now
  let pickOnAnswer = false;  // Enter came before the answer: pick its film, if it names one whole
  let ambiguous = 0;  // the list's first films share a title and match alike: Enter picks none
  let whole = null;  // the button of the film the title typed names whole (enterPicks), or null
  let unnamed = "";  // what Enter says when it picks none (no film is called what was typed)
  // a film picked empties the box: a look-up still waiting or under way is for what the box held,
  // and its late answer must not fill the empty box
  const picked = (f) => {
    clearTimeout(timer); seq++; current = false; pickOnAnswer = false;
    const added = onPick(f) !== false;
    find.value = ""; found.replaceChildren(); find.focus();
    // said: a film was added silently, the box emptied, and nothing told a screen reader
    const named = f.title ? `${f.title} (${f.film_id})` : f.film_id;
    announce(added ? `Added ${named} to ${where}.` : `${named} is in ${where} already.`);
  };
  async function lookUp(mine) {
    try {
      const r = await getJson(`/films${query({ query: find.value, limit: 5 })}`);  // as typed (" 42")
      if (mine !== seq) return;
      current = true;
      // a film picked: the box and the list are cleared for the next one; two films of one title
      // and year are told apart by their ids
      const label = (f) => titleWithYear(filmName(f), f.year);
      // compared in one Unicode form: "Amélie" composed (NFC) and decomposed (NFD) print alike,
      // and were two buttons "Add Amélie (2001)" without their ids
      const seen = (f) => label(f).normalize("NFC");
      const twice = (f) => r.films.filter((g) => seen(g) === seen(f)).length > 1;
      found.replaceChildren(...r.films.map((f) => h("li", {}, h("button", { type: "button",
        class: "ghost", onclick: () => picked(f) },
        `Add ${label(f)}${twice(f) ? ` [${f.film_id}]` : ""}`))));
      const typed = find.value.trim();
      const none = `No film matches “${typed}”.`;
      if (!r.films.length) found.replaceChildren(h("li", { class: "note" }, none));
      ambiguous = sameTitle(r.films);
      let alike = "";
      if (ambiguous > 1) {
        // films the title typed names, written apart in the catalog ("Heat", "Heat, The"): called
        // what was typed
        const bare = bareTitle(r.films[0]);
        const one = r.films.slice(0, ambiguous).every((f) => bareTitle(f).toLowerCase() === bare.toLowerCase());
        alike = `${ambiguous} films are called “${one ? bare : typed}”: choose one.`;
        found.append(h("li", { class: "note" }, alike));
      }
      // Enter picks only a film the title typed names whole (its title, or its id), as Find a film
      // opens one: "heist of tokyo" added The Outpost of Tokyo, the first film found
      const named = ambiguous < 2 ? enterPicks(r.films) : null;
      whole = named ? found.querySelector("button") : null;
      unnamed = !r.films.length ? none : alike || `No film is called “${typed}”: the closest is ${label(r.films[0])}${twice(r.films[0]) ? ` [${r.films[0].film_id}]` : ""}; choose one.`;
      const picking = pickOnAnswer;
      pickOnAnswer = false;
      if (picking) enter();  // said as added (picked), or why not
      // else said in the page's status region, as Find a film says its results (the list drawn
      // told a screen reader nothing)
      else announce(`Search results: ${r.films.length ? `${count(r.films.length, "film")} found for “${typed}”.` : none}${alike ? ` ${alike}` : ""}`);
    } catch (e) { if (mine === seq) { pickOnAnswer = false; found.replaceChildren(h("li", {}, errorBox(e, () => lookUp(++seq)))); } }
  }
  // Enter with the list drawn: the film the title names whole is added; else nothing is, and the
  // list and the status region say why (no film is called that, the closest; or several are)
  const enter = () => {
    if (whole) { whole.click(); return; }
    if (!unnamed) return;
    // said in the list too, beside the films to choose from (once: it said none found, or several
    // films of that title, already)
    const listed = [...found.querySelectorAll("li.note")].some((li) => li.textContent === unnamed);
    if (!listed) found.append(h("li", { class: "note", id: `${find.id}-unnamed` }, unnamed));
    announce(unnamed);
  };
  // Enter picks the film the title typed names whole (at once, if its list is not drawn yet); it
  // never submits the form the box sits in (a plan)
  find.addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    if (current) enter();
    else if (find.value.trim()) {
      pickOnAnswer = true;
      clearTimeout(timer);
      lookUp(++seq);
    }
  });
  find.addEventListener("input", () => {
    clearTimeout(timer);
    current = false;
    pickOnAnswer = false;
    const mine = ++seq;  // only the answer to what is typed now is shown
    if (!find.value.trim()) { found.replaceChildren(); return; }
    timer = setTimeout(() => lookUp(mine), 200);
  });
}

/** `find` as the combobox its suggestions (`found`) make it: aria-controls names the list,
    aria-expanded says whether it holds any film; Down goes into the list, Up and Down move in it,
    Escape goes back to the box. */
function suggestionsOf(find, found) {
  if (!found.id) found.id = `${find.id}-suggestions`;
  found.setAttribute("aria-label", "Films found");
  for (const [k, v] of [["role", "combobox"], ["aria-autocomplete", "list"],
    ["aria-controls", found.id], ["aria-expanded", "false"]]) find.setAttribute(k, v);
  new MutationObserver(() => find.setAttribute("aria-expanded", String(Boolean(found.querySelector("button")))))
    .observe(found, { childList: true, subtree: true });
  const move = (e, to) => { e.preventDefault(); to?.focus(); };
  find.addEventListener("keydown", (e) => { if (e.key === "ArrowDown") move(e, found.querySelector("button")); });
  found.addEventListener("keydown", (e) => {
    const buttons = [...found.querySelectorAll("button")], at = buttons.indexOf(e.target);
    if (at < 0) return;
    if (e.key === "ArrowDown") move(e, buttons[at + 1]);
    else if (e.key === "ArrowUp") move(e, at ? buttons[at - 1] : find);
    else if (e.key === "Escape") move(e, find);
  });
}

/** Films picked with `filmPicker` as table rows in `body`: `makeRow(film, remove)` gives an object
    with its `row`; returns the Map film_id -> that object, in the order picked (once each). A
    removed row's focus goes to the next remove button, else the search box. */
export function pickedRows(find, found, body, makeRow, onChange = () => {}, where = "the slate") {
  const picked = new Map();
  const redraw = () => { body.replaceChildren(...[...picked.values()].map((s) => s.row)); onChange(); };
  // also how a page puts back the rows it had (`picked.pick(film, saved)`)
  const pick = (f, saved) => {
    const added = !picked.has(f.film_id);
    if (added) {
      picked.set(f.film_id, makeRow(f, () => {
        const at = [...picked.keys()].indexOf(f.film_id);
        picked.delete(f.film_id); redraw(); refocusAfterRemoval(body, at, find);
      }, saved));
    }
    redraw();
    return added;
  };
  filmPicker(find, found, (f) => pick(f), where);
  return Object.assign(picked, { pick });
}

// the most characters one form keeps: the tab's storage (about five million) also holds the API key
// and the plans not yet answered
const KEEP_MAX = 1_000_000;

/** What a form keeps for its tab (sessionStorage), under `key`: the values of the `fields` (name ->
    element, or anything with a `value`) and, when the form picks films (`rows`: `pickedRows` or
    `pickedChips`, or null), each row's `kept()`. What was kept is put back at once (rows through
    `rows.pick(film, kept)`); returns `keep()`, to call on every change. A form too big to keep is
    forgotten, so a reload never puts back an older one. */
export function keptForm(key, rows, fields) {
  const forget = () => { try { sessionStorage.removeItem(key); } catch { /* off */ } };
  const keep = () => {
    const values = Object.entries(fields).map(([k, el]) => [k, el.value]);
    // fields plainly too long to keep are not written out first (a pasted million ids made 9 MB of
    // JSON per keystroke)
    if (values.reduce((n, [, v]) => n + String(v ?? "").length, 0) > KEEP_MAX) { forget(); return; }
    const text = JSON.stringify({ films: rows ? [...rows.values()].map((r) => r.kept()) : [],
      ...Object.fromEntries(values) });
    try {
      if (text.length > KEEP_MAX) sessionStorage.removeItem(key);
      else sessionStorage.setItem(key, text);
    } catch {  // storage full or off: the form still works, unkept
      forget();
    }
  };
  let kept = null;
  try { kept = JSON.parse(sessionStorage.getItem(key) || "null"); } catch { kept = null; }
  if (kept && typeof kept === "object") {
    for (const [k, el] of Object.entries(fields)) if (typeof kept[k] === "string") el.value = kept[k];
    for (const r of rows && Array.isArray(kept.films) ? kept.films : []) {
      if (r && r.film && typeof r.film.film_id === "string") rows.pick(r.film, r);
    }
  }
  return keep;
}

/** Films picked with `filmPicker` as removable chips in `chips` (each shown by `label`); returns
    the Map film_id -> {film, kept()}, in the order picked, with `pick(film)` (for `keptForm`);
    `onChange` runs when a film is picked or removed. */
export function pickedChips(find, found, chips, label = filmName, onChange = () => {},
  where = "the comparable films") {
  const chosen = new Map();
  const draw = () => {
    chips.replaceChildren(...[...chosen.values()].map(({ film: f }) => h("li", {},
      label(f), h("button", { type: "button", class: "ghost", "aria-label": `remove ${filmName(f)}`,
        onclick: () => {
          const at = [...chosen.keys()].indexOf(f.film_id);
          chosen.delete(f.film_id); draw(); refocusAfterRemoval(chips, at, find);
        } }, "×"))));
    onChange();
  };
  const pick = (f) => {
    const added = !chosen.has(f.film_id);
    chosen.set(f.film_id, { film: f,
      kept: () => ({ film: { film_id: f.film_id, title: f.title, year: f.year } }) });
    draw();
    return added;
  };
  filmPicker(find, found, (f) => pick(f), where);
  return Object.assign(chosen, { pick });
}
