// A film: card, audience funnel, segment split, portrait, comparable films, the audience table.

import { answeredAt, filmPath, getJson, pageNow, query, serverLimitsWithin, setHashParams } from "./api.js";
import { download } from "./downloads.js";
import { distributionSection } from "./distribution.js";
import { h, int, pct, num, section, table, errorBox, filmName, linkToFilm, titleWithYear,
  yearSuffix, linkToUser, sentence, ignoredSettings, wholeNumber, holdButton, limitsLate, sayOwn,
  reloadPage, segmentName, segmentLabels } from "./ui.js";
import { pagerPress, pagerBack, pagerHold } from "./pager.js";
import { namePart, pseudonymBox, rankedAgain } from "./files.js";
import { NO_VALUE, funnel, splits } from "./summary_view.js";

const PAGE = 25;
const MAX_ROWS = 10000; // RECOMMENDER_MAX_K's default, for a server that does not say its own (/health limits); `recommender audiences` exports more
const RINGS = ["core", "extended", "broad"];

function card(film) {
  return section("Film",
    h("p", { class: "film-title" }, titleWithYear(filmName(film), film.year)),
    h("dl", { class: "facts" },
      h("dt", {}, "Film id"), h("dd", {}, film.film_id),
      h("dt", {}, "Genres"), h("dd", {}, (film.genres || []).join(", ") || "–"),
      h("dt", {}, "Viewers"), h("dd", {}, `${int(film.viewers)} users (${pct(film.viewer_share)} of all users)`),
      h("dt", {}, "Popularity rank"), h("dd", {}, film.catalog_films
        ? `${int(film.popularity_rank)} of ${int(film.catalog_films)} films (1 = the most watched)`
        : int(film.popularity_rank)),
      h("dt", {}, "Candidates"), h("dd", {}, `${int(film.candidates)} users who have not watched it`)));
}

function similar(body) {
  return section("Comparable films",
    body.note ? h("p", { class: "warning", id: "similar-unranked" }, `Not by similarity: ${body.note}.`) : "",
    h("ol", {}, body.films.map((f) =>
      h("li", {}, linkToFilm(f), yearSuffix(f.title, f.year), ` · similarity ${num(f.score)} (cosine of taste vectors, 1 = same)`))));
}

// the attribute filter's choices, [value sent, text shown]: every value of every attribute (GET
// /users/attributes), not only those the portrait shows, and ATTRIBUTE=(no value) where some users
// have none (without_value: a count, or null where the minimum cell rule hides it). An attribute
// with a value spelt (no value) in any case offers neither: the server refuses that filter as
// ambiguous. Grouped by attribute ([attribute, choices]) in the server's order, but a raw number
// whose band the model has too (age beside age_band) last, so its many values do not bury the
// others
const NUMBER = /^\s*-?\d+(\.\d+)?\s*$/;
function filterGroups(body) {
  const without = (body && body.without_value) || {};
  const spelt = (v) => v.trim().toLowerCase() === NO_VALUE;
  const attributes = (body && body.attributes) || {};
  const banded = (attr, values) => `${attr}_band` in attributes && values.length > 0
    && values.every((v) => NUMBER.test(v));
  const groups = Object.entries(attributes).map(([attr, values]) => [attr, [
    ...values.filter((v) => !spelt(v)).map((v) => [`${attr}=${v}`, `${attr}=${v}`]),
    ...(without[attr] === 0 || without[attr] === undefined || values.some(spelt) ? []
      : [[`${attr}=${NO_VALUE}`,
        `${attr}=${NO_VALUE}${without[attr] === null ? "" : ` (${int(without[attr])} users)`}`]]),
  ], banded(attr, values)]);
  return [...groups.filter((g) => !g[2]), ...groups.filter((g) => g[2])]
    .map(([attr, choices]) => [attr, choices]);
}
const filterChoices = (body) => filterGroups(body).flatMap(([, choices]) => choices);

function audienceTable(id, name, summary, segs, attributes, params) {
  const segments = segs.segments;
  // what a bookmark or a typed URL holds is checked against what this model offers: a value it no
  // longer has is dropped (it would 422 on every change), a bad offset is 0, each said above the
  // page
  const typedOffset = params.get("offset") || "";
  const offset = typedOffset ? wholeNumber(typedOffset) : 0;  // null: not a whole number
  const ignored = [];
  // read as the server reads it (recommender/query/filters.py): a ring or an attribute's name and
  // value in any case, a segment by its label
  const lower = (t) => String(t).trim().toLowerCase();
  const one = (v, options) => {
    if (options.includes(v)) return v;
    const found = options.filter((o) => lower(o) === lower(v));
    return found.length === 1 ? found[0] : "";
  };
  const known = (key, resolve, why) => {
    const v = params.get(key) || "";
    const got = v ? resolve(v) : "";
    if (v && !got) ignored.push([key, v, typeof why === "function" ? why(v) : why]);
    return got;
  };
  const segmentOf = (v) => {
    const numbers = segments.map((s) => String(s.segment));
    if (numbers.includes(v.trim())) return v.trim();
    const labelled = segments.map((s) => lower(s.label));
    const exact = numbers.filter((_, i) => labelled[i] === lower(v));
    const part = numbers.filter((_, i) => lower(v) && labelled[i].includes(lower(v)));
    const found = exact.length ? exact : part;
    return found.length === 1 ? found[0] : "";
  };
  // a filter as the server reads it: name and value in any case and with blanks around them, where
  // one choice alone fits; the address is then rewritten so
  const fold = (f) => {
    const at = f.indexOf("=");
    return at < 0 ? f : `${lower(f.slice(0, at))}=${lower(f.slice(at + 1))}`;
  };
  const filterOf = (v) => {
    const options = filterChoices(attributes).map(([f]) => f);
    if (options.includes(v)) return v;
    const fits = options.filter((o) => fold(o) === fold(v));
    if (fits.length === 1) return fits[0];
    // a value held by fewer than min_cell users is in no list (hidden_values), yet HTTP and the CLI
    // take it typed exactly: kept as written; the server's answer decides
    const at = v.indexOf("=");
    const attr = at < 0 ? "" : one(v.slice(0, at), Object.keys((attributes && attributes.attributes) || {}));
    const value = at < 0 ? "" : v.slice(at + 1);
    const unlisted = attr && ((attributes.hidden_values || {})[attr] || {}).values;
    return unlisted && value.trim() && lower(value) !== "(no value)" ? `${attr}=${value}` : "";
  };
  const filterWhy = (v) => {
    const at = v.indexOf("=");
    const attr = at < 0 ? "" : one(v.slice(0, at), Object.keys((attributes && attributes.attributes) || {}));
    // ATTR=(no value) where every user has a value: said so; a value held by fewer than min_cell
    // users is in no list
    const unlisted = attr && ((attributes.hidden_values || {})[attr] || {}).values;
    return attr && lower(v.slice(at + 1)) === "(no value)"
      ? `every user of this model has a ${attr}, so none is without one: no attribute filter is used`
      : unlisted ? `no ${attr} value this model lists (it leaves out ${int(unlisted)} held by fewer than ` +
        `${int(attributes.min_cell)} users each): no attribute filter is used`
        : "no such attribute value in this model: no attribute filter is used";
  };
  // the downloads' "Pseudonymize ids" box, kept in the address as pseudonymize=true: true or 1
  // ticks it, false or 0 not, anything else is said and dropped
  const typedPseudonyms = lower(params.get("pseudonymize") || "");
  const pseudonyms = { on: ["true", "1"].includes(typedPseudonyms) };
  if (typedPseudonyms && !["true", "1", "false", "0"].includes(typedPseudonyms)) {
    ignored.push(["pseudonymize", params.get("pseudonymize"), "pseudonymized downloads are asked by true (or 1): the user ids are downloaded as they are"]);
  }
  const state = {
    tier: known("tier", (v) => one(v, RINGS), `no such ring (${RINGS.join(", ")}): all candidates are shown, in a ring or not`),
    segment: known("segment", segmentOf, "no such segment in this model (by number or label): all segments are shown"),
    filter: known("filter", filterOf, filterWhy),
    offset: offset ?? 0,
  };
  if (offset === null) {
    ignored.push(["offset", params.get("offset"), "the users to skip must be a whole number from 0: the first page is shown"]);
  }
  ignoredSettings(ignored);
  // not a live region (it read the whole table out at each page): the page's status region says
  // which rows are shown (announce); its first rows are the page's sentence
  const out = h("div", { id: "audience-out", "data-says-own": true });
  const named = segmentLabels(segs);
  const labels = named.labels;
  // not "all rings": every candidate is listed, beyond the rings too ("outside the rings")
  const tierSel = h("select", { id: "tier" }, h("option", { value: "" }, "all candidates (in a ring or not)"),
    RINGS.map((r) => h("option", { value: r, selected: state.tier === r || undefined }, r)));
  const segSel = h("select", { id: "segment" }, h("option", { value: "" }, "all segments"),
    segments.map((s) => h("option", { value: String(s.segment),
      selected: state.segment === String(s.segment) || undefined }, `${s.label} (${int(s.size)} users)`)));
  const filterSel = h("select", { id: "filter" }, h("option", { value: "" }, "no attribute filter"),
    filterGroups(attributes).map(([attr, choices]) => h("optgroup", { label: attr },
      choices.map(([f, text]) => h("option", { value: f, selected: state.filter === f || undefined }, text)))),
    // a bookmark's value of fewer than min_cell users (filterOf): offered as typed, while shown
    state.filter && !filterChoices(attributes).some(([f]) => f === state.filter)
      ? h("optgroup", { label: "not listed" }, h("option", { value: state.filter, selected: true },
        `${state.filter} (as the address types it)`)) : "");

  const apiParams = (k, offset) => ({ k, offset, tier: state.tier, segment: state.segment,
    filter: state.filter ? [state.filter] : [] });
  // the downloads carry the film's title and each segment's label beside its number (audience.csv
  // with=...); ticked, the server's pseudonyms for the user ids
  const csvParams = (k, offset) => ({ ...apiParams(k, offset), with: "title,segment_label",
    pseudonymize: pseudonyms.on ? "true" : "" });

  const hashOf = () => ({ ...state, offset: state.offset || "", pseudonymize: pseudonyms.on ? "true" : "" });
  const drawnAs = pageNow();  // the page this table is on: a page left behind writes nothing
  const pseudonymsChanged = () => { if (out.isConnected && pageNow() === drawnAs) setHashParams(hashOf()); };
  let seq = 0;
  async function load() {
    const mine = ++seq;  // only the latest load paints (a slow earlier answer is dropped)
    // not from a page left behind; demand by place keeps its own keys (by, screens). The first
    // load, while the page is drawn, rewrites the bookmark too, so settings it could not use leave
    // the address
    if (out.isConnected || mine === 1) setHashParams(hashOf());
    pagerHold(out);  // a focus on Previous or Next outlives the redraw
    out.replaceChildren(h("p", { class: "loading", role: "status" }, "Loading the audience…"));
    try {
      // the server's largest page, waited for a while only: the default meanwhile, said above the
      // page
      const limits = await serverLimitsWithin();
      if (!limits && out.isConnected) limitsLate(`its defaults: pages of ${int(PAGE)} users and downloads of at most ${int(MAX_ROWS)} rows (RECOMMENDER_MAX_K's default)`);
      const maxRows = (limits && limits.max_k) || MAX_ROWS;
      const size = Math.min(PAGE, maxRows);  // a server set below 25 answered every page 422
      const body = await getJson(filmPath(id, "/audience", apiParams(size, state.offset)));
      if (mine !== seq) return;
      const n = body.users.length;
      const ring = state.tier ? summary.tiers.find((t) => t.tier === state.tier) : null;
      const csvName = `audience_${namePart(id, "", Infinity)}`;
      // a file and a label that say which cut they hold (ring, segment, filter; page)
      const cut = [state.tier, state.segment && `segment${state.segment}`, state.filter].filter(Boolean).join("_");
      const fileName = `${csvName}${cut ? `_${namePart(cut, "", Infinity)}` : ""}`;
      // the cut the file holds, by name
      const filtered = (state.segment ? ` in segment “${labels.get(state.segment) || state.segment}”` : "")
        + (state.filter ? ` with ${state.filter}` : "");
      const dlError = h("div", { id: "download-error" });  // one error at a time, not a pile
      const dlStatus = h("p", { id: "download-status", class: "note", role: "status" });
      // a download takes a while (10,000 rows): its button waits, disabled, and the status says
      // what is on its way; the path and the name as the click finds the pseudonyms box;
      // ``compared``: what a file ranked again is compared with, in words (rankedAgain)
      const csvButton = (buttonId, label, k, offset, last, compared) => {
        const button = h("button", { type: "button", class: "ghost", id: buttonId, onclick: async () => {
          const release = holdButton(button);
          const path = filmPath(id, "/audience.csv", csvParams(k, offset));
          const name = `${fileName}${pseudonyms.on ? "_pseudonymized" : ""}${last}.csv`;
          dlError.replaceChildren();
          dlStatus.className = "note";
          dlStatus.textContent = `Preparing ${name}…`;
          try {
            // asked again: a model reloaded, or events applied, since the page was drawn (said here
            // alone: comparedWith)
            const shown = answeredAt(body);
            const again = rankedAgain(shown, await download(path, name, { comparedWith: shown.version }), compared);
            dlStatus.className = again ? "warning" : "note";
            dlStatus.textContent = `Downloaded ${name}.${again ? ` ${again}` : ""}`;
          } catch (e) {
            dlStatus.textContent = "";
            dlError.replaceChildren(errorBox(e, () => button.click()));
          } finally { release(); }
        } }, label);
        return button;
      };
      const said = n ? `Users ${int(state.offset + 1)}–${int(state.offset + n)} of ${int(body.total)}`
        : body.empty ? `No user: ${body.empty}.` : `No user on this page (${int(body.total)} in all).`;
      out.replaceChildren(
        // the page's own note: its users are in no meaningful order ("best first" is not so)
        body.note ? h("p", { class: "warning", id: "audience-unranked" }, `These users are not ranked: ${body.note}.`) : "",
        // an audience of nobody says why (every user watched it, an empty ring, a filter that
        // matches nobody)
        h("p", { id: "audience-status" }, said),
        n ? table("The film's audience, best first", [
          { key: "rank", label: "Rank", num: true, format: int },
          { key: "user_id", label: "User", wrap: true, format: linkToUser },
          { key: "score", label: "Taste score (user and film taste vectors' dot product, no popularity prior; for ordering only, not a probability)", num: true, format: (v) => num(v, 4) },
          { key: "percentile", label: "Percentile", num: true, format: (v) => num(v, 2) },
          { key: "tier", label: "Ring", format: (v) => v || "outside the rings" },
          { key: "segment", label: "Segment", format: (v) => segmentName(named, v) },
        ], body.users) : "",  // replaceChildren writes a null as the text "null"
        h("div", { class: "pager" },
          h("button", { type: "button", disabled: state.offset === 0 || undefined,
            onclick: () => { pagerPress(out, "Previous"); state.offset = Math.max(0, state.offset - size); load(); } }, "Previous"),
          h("button", { type: "button", disabled: state.offset + n >= body.total || undefined,
            onclick: () => { pagerPress(out, "Next"); state.offset += size; load(); } }, "Next"),
          csvButton("csv-shown", "Download this page (CSV)", size, state.offset, `_from${state.offset + 1}`,
            { what: "the page shown", differ: "its users may differ from the page's (reload the page to see the new ranking)" }),
          // the first rows of a cut name it too (they are of the ring, segment and filter)
          csvButton("csv-all", body.total > maxRows ? `Download the first ${int(maxRows)}${ring ? ` of the ${ring.tier} ring` : ""}${filtered} (CSV)`
            : `Download all ${int(body.total)} ${ring ? `of the ${ring.tier} ring` : "listed"}${filtered} (CSV)`,
          Math.min(maxRows, Math.max(1, body.total)), 0, "",
          // of every user of the ring or list, not of the page: compared with the list
          { what: "the list shown", differ: "the users it lists, and their order, may differ from the list shown page by page (reload the page to see the new ranking)" }),
          pseudonymBox("csv-pseudonymize", pseudonyms, pseudonymsChanged)),
        dlStatus, dlError);
      pagerBack(out);
      if (out.isConnected) sayOwn(out, `Audience for ${name}: ${said.replace(/^Users/, "users")}`);
    } catch (e) {
      // a Previous or Next whose page never came: the focus to its error, not the body
      if (mine === seq) { out.replaceChildren(errorBox(e)); pagerBack(out); sayOwn(out); }
    }
  }
  out.retry = load;  // "Try again" after the engine was out of reach
  for (const [sel, key] of [[tierSel, "tier"], [segSel, "segment"], [filterSel, "filter"]]) {
    sel.addEventListener("change", () => { state[key] = sel.value; state.offset = 0; load(); });
  }
  load();
  return section("Audience",
    h("div", { class: "row" }, h("label", { for: "tier" }, "Ring"), tierSel,
      h("label", { for: "segment" }, "Segment"), segSel,
      // a model without user attributes: a menu offering only "no attribute filter" is left out
      ...(attributes && !filterChoices(attributes).length ? []
        : [h("label", { for: "filter" }, "Attribute"), filterSel])),
    out);
}

export async function film(view, id, params) {
  // comparable films are a side section: their failure is said there, not for the whole page
  const simAsk = getJson(filmPath(id, "/similar", { k: 10 })).then((body) => ({ body }),
    (error) => ({ error }));
  const [detail, summary, segs, attrs] = await Promise.all([
    getJson(filmPath(id)), getJson(filmPath(id, "/audience/summary")),
    getJson("/segments"), getJson("/users/attributes"),
  ]);
  const sim = await simAsk;
  const extras = h("div", { id: "film-extras" });
  // the user moved on while this film was read: its late answers neither retitle the tab nor
  // rewrite the address
  if (!view.isConnected) return extras;
  // a film without a title (a log without a catalog) was headed by its bare id ("1")
  const heading = detail.title ? filmName(detail) : `Film ${detail.film_id}`;
  document.title = `${heading} · Audience Studio`;
  view.replaceChildren(
    h("h1", {}, heading),
    h("div", { class: "grid" }, card(detail), funnel(summary)),
    h("div", { class: "grid" }, ...splits(summary, segs.segments, attrs)),
    extras,
    distributionSection(id, params),
    sim.error ? section("Comparable films", errorBox(sim.error, reloadPage)) : similar(sim.body),
    audienceTable(id, heading, summary, segs, attrs, params));
  return extras;
}

export function filmError(view, id, e) {
  if (e.status === 401 || e.status === 403) {
    view.replaceChildren(h("h1", {}, "A key is needed"), errorBox(e));
    return;
  }
  // only a 404 says the film does not exist: an engine out of reach or a store, limit or server
  // error is not "not found"
  if (e.status !== 404) {
    view.replaceChildren(h("h1", {}, "The film could not be shown"), errorBox(e, reloadPage));
    return;
  }
  view.replaceChildren(h("h1", {}, "Film not found"),
    h("div", { class: "error", role: "alert" },
      `No film with id “${id}”: ${sentence(e.message)} `, h("a", { href: `#/search${query({ q: id })}` }, "Search the catalog for it"), "."));
}
