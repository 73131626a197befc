// Build an audience: lookalikes of a list of users; a new film's audience from comparables.

import { fitToCatalog, noComparableRefusal } from "./catalog_fields.js";
import { answeredAt, answeredBy, capToServer, getJson, postJson, query, serverLimits } from "./api.js";
import { downloadPosted, saveBlob } from "./downloads.js";
import { markFields } from "./error_box.js";
import { h, int, num, section, table, errorBox, fieldError, refusal, describedBy, linkToFilm,
  answerForm, unknownList, genreList, linkToUser, announce, hush, holdButton, byShare, segmentName, segmentLabels,
  segmentLabel } from "./ui.js";
import { pagedTable } from "./pager.js";
import { csvCell, fileName, fewOf, pseudonymBox, rankedAgain } from "./files.js";
import { headerNote, otherReadings, parseIds, readSeeds } from "./seed_list.js";
export { parseIds };  // the Build page's reading of a seed list (seed_list.js)
import { keptForm, pickedChips } from "./search.js";
import { funnel, splits } from "./summary_view.js";

// what each table's score is (the CLI's legends, recommender/cli/printing.py), so a score is not
// read as a chance
const LOOKALIKE_SCORE = "Score (mean cosine similarity to the seeds' tastes, -1 to 1; not a probability)";
const COLD_START_SCORE = "Score (affinity to the new film's taste, for ordering only; not a probability)";
const userColumns = (scoreLabel) => [
  { key: "rank", label: "Rank", num: true, format: int },
  { key: "user_id", label: "User", wrap: true, format: linkToUser },
  { key: "score", label: scoreLabel, num: true, format: (v) => num(v, 4) },
  { key: "tier", label: "Ring", format: (v) => v || "–" },
  // numbers, headed so, while the labels could not be read (they read as labels)
  { key: "segment", label: known ? "Segment" : "Segment (number: labels not read)",
    format: (v) => segmentName(known, v) },
];
// segment number -> label (GET /segments: segmentLabels), shown as the film page shows them
// (segmentName: the label alone, "hidden" for a withheld one); null until read
let known = null;
const model = { segments: [], attributes: null };  // a summary's tables' (GET /segments, /users/attributes)
// the model's reference data (GET /segments, /users/attributes), asked as the page is drawn and,
// while unread, again where an answer needs it (a table, its CSV, a summary), so one failed ask is
// not final until a reload
const asks = new Map();  // path -> the ask in flight or answered ({ body } or { error })
function reference(path) {
  if (!asks.has(path)) {
    const ask = getJson(path).then((body) => {
      if (path === "/segments") { known = segmentLabels(body); model.segments = body.segments; } else model.attributes = body;
      return { body };
    }, (error) => {
      if (asks.get(path) === ask) asks.delete(path);  // asked again at the next need
      return { error };
    });
    asks.set(path, ask);
  }
  return asks.get(path);
}
/** The segments' labels read (asked again if unread); the error why not, else null. */
const labelsRead = async () => (known ? null : (await reference("/segments")).error || null);
/** What a table or CSV without the labels is, said beside it (``what``: the answer's parts). */
const labelsUnread = (id, error, what) => h("p", { class: "warning", id },
  `The segments' labels could not be read (GET /segments: ${error.message}): ${what}. `
  + "Ask again to try them again.");

// distinct seeds the server knew (one look-up per seed: a list of 100,000 stays instant)
function knownSeeds(seeds, unknownIds) {
  const unknown = new Set(unknownIds);
  return new Set(seeds.filter((s) => !unknown.has(s))).size;
}

/** Each user of ``seeds`` once, at its first id, as the CLI reads a list (id_lists: ids equal once
    stripped are one seed, ``body``'s stripped_seed_ids). */
function onePerUser(seeds, body) {
  const spaced = new Set([...(body.stripped_seed_ids || []), ...body.unknown_seed_ids]);
  const seen = new Set();
  return seeds.filter((s) => {
    const key = spaced.has(s) ? s.trim() : s;
    return !seen.has(key) && seen.add(key);
  });
}

const PAGE = 25;

// each form as typed, kept for this tab (sessionStorage, as the key is) across a reload or Back
// from a film page
const LOOKALIKE_KEY = "studio:build-lookalike";
const NEW_FILM_KEY = "studio:build-new-film";

/** The users 25 at a time, and ``download`` under them. */
function pagedUsers(caption, users, id, scoreLabel, download) {
  // no candidate left (every user a seed): said so
  if (!users.length) {
    return h("p", { class: "warning", id }, `${caption}: no user to list; every user of the `
      + "model is a seed or already counted out, so nobody is left to rank.");
  }
  return pagedTable(caption, "users", userColumns(scoreLabel), users, { id }, download, PAGE);
}

/** A lookalike audience as a CSV made here (the server has no CSV of lookalikes): the columns
    of the server's audience.csv, and the segment's label. */
function lookalikeCsv(users, filename) {
  const status = h("p", { id: "lookalike-csv-status", class: "note", role: "status" });
  const button = h("button", { type: "button", class: "ghost", onclick: async () => {
    // the labels asked again where they are unread; read already, the file is saved at once, in the
    // click
    const release = holdButton(button);
    const unread = known ? null : await labelsRead();
    release();
    const head = ["user_id", "rank", "score", "percentile", "tier", "segment", "segment_label"];
    const lines = users.map((u) => [u.user_id, u.rank, u.score, u.percentile, u.tier,
      u.segment, segmentLabel(known, u.segment)].map(csvCell).join(","));
    saveBlob(new Blob([[head.join(","), ...lines].join("\n") + "\n"],
      { type: "text/csv" }), filename);
    status.className = unread ? "warning" : "note";
    status.textContent = unread ? `Downloaded ${filename} with an empty segment_label column: `
      + `the segments' labels could not be read (GET /segments: ${unread.message}).` : "";
  } }, `Download these ${int(users.length)} users (CSV)`);
  return [button, status];
}

/** A new film's audience as the server writes it (POST /audiences/cold-start.csv, the body
    ``request`` of the JSON ``shown``, with the segments' labels; a file of another model version or
    events sequence is said to be ranked again): the bytes `cold-start --csv` prints, under the
    server's file name (``fallback`` where it names none). ``pseudonyms.on``: the server's
    pseudonyms for the user ids. */
function coldStartCsv(request, shown, fallback, pseudonyms, kept) {
  const status = h("p", { id: "cold-csv-status", class: "note", role: "status" });
  const failed = h("div", { id: "cold-csv-error" });  // one error at a time, not a pile
  const button = h("button", { type: "button", class: "ghost", id: "cold-csv", onclick: async () => {
    const release = holdButton(button);  // one file per click: a second asked again unseen
    failed.replaceChildren();
    status.className = "note";
    status.textContent = "Preparing the CSV…";
    try {
      const pseudonymize = pseudonyms.on ? "true" : "";
      // (a new model said here alone, not by the page's notice too: comparedWith)
      const drawn = answeredAt(shown);
      const { name, ...file } = await downloadPosted(`/audiences/cold-start.csv${query({ with: "segment_label", pseudonymize })}`,
        request, pseudonymize ? fallback.replace(/\.csv$/, "_pseudonymized.csv") : fallback,
        { comparedWith: drawn.version });
      // asked again: a model reloaded, or events applied, since the table was drawn
      const again = rankedAgain(drawn, file);
      status.className = again ? "warning" : "note";
      status.textContent = `Downloaded ${name}.${again ? ` ${again}` : ""}`;
    } catch (e) {
      status.textContent = "";
      failed.replaceChildren(errorBox(e, () => button.click()));
    } finally { release(); }
  } }, `Download these ${int(shown.users.length)} users (CSV)`);
  return [button, pseudonymBox("cold-csv-pseudonymize", pseudonyms, kept), status, failed];
}

/** The page's note, when every candidate scores the same (the users are in no order): the body's
    ``tied`` says so. A note beside ``tied: false`` names the seeds or comparable films left out of
    the mean taste of a ranked audience (seedsUsed and comparablesUsed say it). */
function unranked(body, id) {
  return body.note && body.tied ? h("p", { class: "warning", id }, `These users are not ranked: ${body.note}.`) : "";
}

const quoted = (ids) => ids.slice(0, 10).map((x) => `'${x}'`).join(", ") + (ids.length > 10 ? ` and ${int(ids.length - 10)} more` : "");

/** What a lookalike's mean taste is of: the seeds used (seeds_used), and the known seeds left out
    for having nothing fitted (unfitted_seed_ids: a zero taste vector); "" when every known seed
    counts. */
function seedsUsed(body, known) {
  const unfitted = body.unfitted_seed_ids || [], used = body.seeds_used;
  if (!unfitted.length || used === undefined) return "";
  return h("p", { class: unfitted.length < known ? "note" : "warning", id: "lookalike-seeds" },
    unfitted.length < known
      ? `The audience is ranked by the mean taste of ${int(used)} of the ${int(known)} known seeds: `
        + `${int(unfitted.length)} ${unfitted.length === 1 ? "has" : "have"} nothing fitted (a zero taste vector: none of their ratings was learned from) and ${unfitted.length === 1 ? "is" : "are"} left out of it: ${quoted(unfitted)}.`
      : `No known seed has anything fitted (a zero taste vector: none of their ratings was learned from): ${quoted(unfitted)}.`);
}

/** What a new film's taste is the mean of: the comparable films used (comparable_films, id ->
    weight, titled where known) and the genres, and the comparable films left out for having nothing
    fitted (unfitted_film_ids). */
function comparablesUsed(body, chosen) {
  const name = (id) => { const f = chosen.get(id)?.film; return f && f.title ? `${f.title} (${id})` : id; };
  const used = byShare(body.comparable_films, [...chosen.keys()]);  // the heaviest first
  const weighted = used.some(([, w]) => w !== 1);
  const genres = body.genres || [], unfitted = body.unfitted_film_ids || [];
  // with nothing fitted anywhere, none is left out: the mean is of them all (zero)
  const left = unfitted.filter((id) => !(id in (body.comparable_films || {})));
  const blank = unfitted.filter((id) => id in (body.comparable_films || {}));
  const parts = [...used.map(([id, w]) => name(id) + (weighted ? ` (weight ${num(w, 2)})` : "")),
    ...(genres.length ? [`the genre${genres.length === 1 ? "" : "s"} ${genres.join(", ")}`] : [])];
  return h("p", { class: unfitted.length ? "warning" : "note", id: "cold-mean" },
    parts.length ? `The new film's taste is the mean of ${parts.join("; ")}.` : "",
    left.length ? ` Left out of it, having nothing fitted (a zero taste vector: no rating of theirs was learned from): ${left.map(name).join(", ")}.` : "",
    blank.length ? ` Nothing is fitted for ${blank.map(name).join(", ")} (a zero taste vector: no rating was learned from).` : "");
}

function lookalike() {
  const ids = h("textarea", { id: "seed-ids", rows: 6, placeholder: "one user id per line" });
  const file = h("input", { id: "seed-file", type: "file", accept: ".csv,.txt,text/plain" });
  const k = capToServer(h("input", { id: "lookalike-k", type: "number", min: 1, max: 10000, value: 100 , required: true }));
  // not a live region (it read the whole table out at each page turned): the page's status region
  // says what was found (announce); errors are said by role=alert. Drawn under both forms
  // (answerBox)
  const out = answerBox("lookalike-out", "Lookalikes");
  const keep = keptForm(LOOKALIKE_KEY, null, { ids, k });
  // a CSV whose header names no id column, or several: its columns offered (the CLI's --id-column),
  // for the list whose header they came from
  const column = h("select", { id: "seed-column" });
  const columnRow = h("div", { class: "row", id: "seed-column-row", hidden: true },
    h("label", { for: "seed-column" }, "Column of ids"), column);
  let columnsOf = null;  // the header line the columns offered are of
  const header = () => ids.value.split(/\r\n|\r|\n/)[0];
  const offerColumns = (err) => {
    if (!err.columns) return;
    if (columnsOf !== header()) {
      column.replaceChildren(h("option", { value: "" }, "choose the column…"),
        ...err.columns.map((f) => h("option", { value: f }, f)));
    }
    columnsOf = header();
    columnRow.hidden = false;
  };
  const forgetColumns = () => {
    if (columnsOf !== null && columnsOf !== header()) { columnRow.hidden = true; columnsOf = null; }
  };
  const chosenColumn = () => (columnsOf === header() && column.value ? column.value : null);
  // a first line skipped as a header, said beside the list as the CLI says it (headerNote)
  const skipped = h("p", { class: "note", id: "seed-header-note", hidden: true });
  const sayHeader = () => {
    skipped.textContent = headerNote(ids.value, chosenColumn());
    skipped.hidden = !skipped.textContent;
    describedBy(ids, skipped.id, !skipped.hidden);  // beside a refusal's own (markFields)
  };
  sayHeader();
  ids.addEventListener("input", () => { forgetColumns(); sayHeader(); });
  column.addEventListener("change", sayHeader);
  file.addEventListener("change", async () => {
    // as if typed (its refusal's mark goes: an empty list refused stayed marked once filled)
    if (file.files && file.files[0]) { ids.value = await file.files[0].text(); ids.dispatchEvent(new Event("input", { bubbles: true })); }
  });
  // only the latest submit paints, none after a refused field (answerForm)
  async function run(e, latest) {
    e.preventDefault();
    let seeds, unlessHeld, ifFirstHeld;
    try { ({ ids: seeds, unlessHeld, ifFirstHeld } = readSeeds(ids.value, chosenColumn())); } catch (err) {
      out.replaceChildren(markFields(errorBox(err), ids));  // the list's header or rows refused
      offerColumns(err);
      return;
    }
    if (!seeds.length) { out.replaceChildren(refusal("paste or upload at least one user id", ids)); return; }
    // the server's rule said before the list is sent (the body-size limit's refusal says not how
    // many ids are allowed)
    const most = (await serverLimits()).max_seed_users;
    if (!latest()) return;
    if (most && seeds.length > most) {
      out.replaceChildren(refusal(`a lookalike seed list may hold at most ${int(most)} ids `
        + `(RECOMMENDER_MAX_SEED_USERS); this one holds ${int(seeds.length)}`, ids));
      return;
    }
    out.replaceChildren(h("p", { class: "loading", role: "status" }, "Finding lookalikes…"));
    const size = Number(k.value);
    const ask = (list, most = size) => postJson("/audiences/lookalike",
      { seed_user_ids: list, k: most });
    // every id unknown (404): an answer naming them all, where their other readings are tried
    const noneKnown = (list) => (err) => {
      if (err.status !== 404) throw err;
      return { unknown_seed_ids: [...new Set(list)], stripped_seed_ids: [] };
    };
    try {
      // a table naming no id column is whole lines where the model holds one of them, as the CLI
      // reads it; else its refusal
      if (unlessHeld) {
        const lines = [...new Set(seeds.map((s) => s.trim()))];
        const probe = await ask(lines, 1).catch(noneKnown(lines));
        if (!latest()) return;
        const missing = new Set([...probe.unknown_seed_ids, ...(probe.stripped_seed_ids || [])]);
        if (lines.every((l) => missing.has(l))) {
          out.replaceChildren(refusal(unlessHeld, ids));
          offerColumns(unlessHeld);
          return;
        }
      }
      // a first line the model holds is an id, not a header naming a column ("comma,id"):
      // the list is then its whole lines, as the CLI reads it (first_line_held)
      if (ifFirstHeld) {
        const line = [...new Set([ifFirstHeld.first, ifFirstHeld.first.trim()])];
        // asked beside the column's ids: a 404 (every id unknown) only where the list's is
        // (within the server's limit on seeds)
        const room = most ? Math.max(0, most - line.length) : seeds.length;
        const both = [...new Set([...line, ...seeds.slice(0, room)])];
        const probe = await ask(both, 1).catch(noneKnown(both));
        if (!latest()) return;
        const missing = new Set([...probe.unknown_seed_ids, ...(probe.stripped_seed_ids || [])]);
        if (!line.every((l) => missing.has(l))) seeds = ifFirstHeld.ids;
      }
      // the server reads an id as written when the model holds it, else stripped
      // (stripped_seed_ids); an id held in neither form is tried, as the CLI tries it, without the
      // quoting our CSV files add
      const withOthers = seeds.filter((s) => otherReadings(s).length);
      let body = await ask(seeds).catch((err) => {
        if (!withOthers.length) throw err;
        return noneKnown(seeds)(err);
      });
      if (!latest()) return;
      const tries = body.unknown_seed_ids.map((u) => [u, otherReadings(u)])
        .filter(([, forms]) => forms.length);
      const read = new Map();
      if (tries.length) {
        const asked = [...new Set(tries.flatMap(([, forms]) => forms))];
        const probe = await ask(asked, 1).catch(noneKnown(asked));
        if (!latest()) return;
        // held as written only (a reading the server stripped is not the one the CLI reads)
        const missing = new Set([...probe.unknown_seed_ids, ...(probe.stripped_seed_ids || [])]);
        for (const [u, forms] of tries) {
          const held = forms.find((f) => !missing.has(f));
          if (held !== undefined) read.set(u, held);
        }
      }
      const unread = { ...body, unknown_seed_ids: body.unknown_seed_ids.filter((u) => !read.has(u)) };
      const once = onePerUser(seeds.map((s) => (read.has(s) ? read.get(s) : s)), unread);
      if (read.size || once.length !== new Set(seeds).size || !body.users) {
        seeds = once;
        body = await ask(seeds);
        if (!latest()) return;
      }
      // the file says what it holds: the seeds (a few), k and the model that answered
      const sent = [...new Set(seeds)];
      const name = fileName(["lookalikes", `${sent.length}seeds`, ...fewOf(sent), `k${size}`,
        answeredBy(body)]);
      const noLabels = await labelsRead();  // asked again, where unread, before the table
      if (!latest()) return;
      out.replaceChildren(
        noLabels ? labelsUnread("lookalike-labels-unread", noLabels, "the Segment column shows "
          + "segment numbers, and the CSV's segment_label is empty") : "",
        ...unknownList("unknown-seeds", "id(s)", body.unknown_seed_ids,
          body.unknown_seed_hints || []),
        unranked(body, "lookalike-unranked"),
        seedsUsed(body, knownSeeds(seeds, body.unknown_seed_ids)),
        h("p", {}, `${int(body.users.length)} of ${int(body.total)} candidates shown `,
          `(${int(knownSeeds(seeds, body.unknown_seed_ids))} known seeds).`),
        pagedUsers("Lookalike audience", body.users, "lookalike-users",
          LOOKALIKE_SCORE, lookalikeCsv(body.users, name)));
      announce(`Lookalike audience: ${int(body.users.length)} of ${int(body.total)} candidates shown.`);
      // ids the server refused (a 404: none of them known; a 422: the list too long, an id
      // holding a row): the list marked and described by the refusal, as an empty list is
    } catch (err) { if (latest()) { out.replaceChildren(fieldError(err, ids, /user_id/, [404, 422])); hush(); } }
  }
  const form = answerForm(run, out,
    h("label", { for: "seed-ids" }, "Seed user ids"), ids, skipped,
    h("label", { for: "seed-file" }, "…or upload a file of ids"), file, columnRow,
    h("label", { for: "lookalike-k" }, "Audience size"), k,
    h("button", { type: "submit" }, "Find lookalikes"));
  form.addEventListener("input", keep);
  return [section("Lookalikes", form), out];
}

function coldStart() {
  const chips = h("ul", { class: "chips", "aria-label": "Comparable films" });
  const find = h("input", { id: "comparable-search", type: "search", placeholder: "type a title" });
  const found = h("ul", { class: "found" });
  const genres = h("input", { id: "cold-genres", type: "text", placeholder: "e.g. Action, Sci-Fi" });
  const k = capToServer(h("input", { id: "cold-k", type: "number", min: 1, max: 10000, value: 100 , required: true }));
  // not a live region: announce says the answer; under both forms, at the page's width
  const out = answerBox("cold-out", "A new film's audience");
  const pseudonyms = { on: false };  // the download's box, ticked or not, kept across answers
  // and kept with the form ("true" or "") across a reload
  const pseudonymize = { get value() { return pseudonyms.on ? "true" : ""; },
    set value(v) { pseudonyms.on = v === "true"; } };
  let keep = () => {};  // until what was kept is back (keptForm)
  const chosen = pickedChips(find, found, chips, undefined, () => keep());
  keep = keptForm(NEW_FILM_KEY, chosen, { genres, k, pseudonymize });
  // only the latest submit paints, none after a refused field (answerForm)
  async function run(e, latest) {
    e.preventDefault();
    const g = genreList(genres.value);
    if (!chosen.size && !g.length) {
      out.replaceChildren(noComparableRefusal(find, genres)); return;
    }
    out.replaceChildren(h("p", { class: "loading", role: "status" }, "Ranking the audience…"));
    const films = [...chosen.keys()], size = Number(k.value);
    try {
      // its summary beside it (the same film), said apart when it fails, as the audience stands
      // without it
      const asked = postJson("/audiences/cold-start/summary", { comparable_film_ids: films, genres: g })
        .then((summary) => ({ summary }), (error) => ({ error }));
      const request = { comparable_film_ids: films, genres: g, k: size };
      const body = await postJson("/audiences/cold-start", request);
      const { summary, error } = await asked;
      // the segments and attributes, asked again where unread: the summary's tables need them
      const [segs, attrs] = await Promise.all([reference("/segments"), reference("/users/attributes")]);
      if (!latest()) return;
      const name = fileName(["new-film-audience", ...(films.length ? ["like", ...fewOf(films)] : []),
        ...(g.length ? ["genres", ...fewOf(g)] : []), `k${size}`, answeredBy(body)]);
      const unknown = body.unknown_film_ids || [];
      out.replaceChildren(
        segs.error ? labelsUnread("cold-labels-unread", segs.error, "the Segment column shows "
          + "segment numbers, and the segments ring by ring list only those in some ring") : "",
        attrs.error ? h("p", { class: "warning", id: "cold-attributes-unread" }, "The model's "
          + `attributes could not be read (GET /users/attributes: ${attrs.error.message}): the `
          + "portrait does not say which of their values it hides. Ask again to try them again.") : "",
        ...unknownList("unknown-films", "film id(s)", unknown, body.unknown_film_hints || []),
        unranked(body, "cold-unranked"),
        comparablesUsed(body, chosen),
        h("p", {}, `${int(body.users.length)} of ${int(body.total)} users shown.`),
        pagedUsers("Audience of the new film", body.users, "cold-users", COLD_START_SCORE,
          coldStartCsv(request, body, name, pseudonyms, keep)),
        h("div", { id: "cold-summary" }, ...(error ? [section("Audience funnel", errorBox(error))]
          // its note is the audience's, said above (unranked). Laid out as the film page's: the
          // funnel, then segments and portrait side by side where the width allows
          : [funnel({ ...summary, note: null }),
            h("div", { class: "grid" }, ...splits(summary, model.segments, model.attributes))])));
      announce(`Audience of the new film: ${int(body.users.length)} of ${int(body.total)} users shown.`);
      // a genre the server refused: the field marked and described by the refusal, as Find a film's
    } catch (err) { if (latest()) { out.replaceChildren(fieldError(err, genres, /genre/i)); hush(); } }
  }
  const form = answerForm(run, out,
    h("label", { for: "comparable-search" }, "Comparable films"), find, found, chips,
    h("label", { for: "cold-genres" }, "Genres (comma-separated)"), genres,
    h("label", { for: "cold-k" }, "Audience size"), k,
    h("button", { type: "submit" }, "Rank the audience"));
  form.addEventListener("input", keep);
  return [section("A new film's audience", form), out];
}

/** The box a form's answer is drawn in, under the forms at the page's full width: a card while it
    holds something (hidden empty), named by the form's title. */
function answerBox(id, title) {
  return h("div", { id, class: "card answer", role: "region", "aria-label": `${title}: the answer` });
}

export function build(view) {
  const [lookForm, lookOut] = lookalike(), [coldForm, coldOut] = coldStart();
  // each answer after its form (one column: under it), under both forms where they stand side by
  // side (studio.css, .build-grid)
  view.replaceChildren(h("h1", {}, "Build an audience"),
    h("div", { class: "grid build-grid" }, lookForm, lookOut, coldForm, coldOut));
  // a catalog without titles (comparables by id) or genres (a new film by comparables alone)
  fitToCatalog({ titles: [{ input: view.querySelector("#comparable-search") }],
    genres: [view.querySelector("#cold-genres")] });
  // labels for the tables to come, asked afresh at each draw, and again at each need while unread
  asks.clear();
  reference("/segments");
  reference("/users/attributes");
}

export { linkToFilm };
