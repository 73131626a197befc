// One user: the films recommended to them, each with the watched films that explain it.

import { answeredBy, capToServer, getJson, query, serverLimitsWithin, setHashParams, within,
  LIMITS_WAIT_MS } from "./api.js";
import { h, int, num, pct, section, table, errorBox, linkToFilm, yearSuffix, answerForm,
  count, loading, userHref, sentence, ignoredSettings, wholeNumber, limitsLate, announce, pageNote } from "./ui.js";

const DEFAULT_K = 10;

/** The API's URL of user ``id``'s recommendations. The browser removes a path segment "." or ".."
    before sending: such an id goes in the query (``/user/recommendations?user_id=``,
    service/raw_ids.py), as film ids do. */
export const userPath = (id, params = {}) => (id === "." || id === ".."
  ? `/user/recommendations${query({ user_id: id, ...params })}`
  : `/users/${encodeURIComponent(id)}/recommendations${query(params)}`);

/** A box to type a user id in: it opens that user's page (the id as typed, spaces kept:
    " 42" is not "42"). */
export function userBox(value = "") {
  const input = h("input", { id: "user-id", type: "search", required: true, autocomplete: "off",
    spellcheck: "false", value, placeholder: "e.g. u00001" });
  return h("form", { class: "row", role: "search", "aria-label": "Open a user's page",
    onsubmit: (e) => {
      e.preventDefault();
      if (!input.value) return;
      // the same address again (the page shown) draws it again
      if (location.hash === userHref(input.value)) window.dispatchEvent(new HashChangeEvent("hashchange"));
      else location.hash = userHref(input.value);
    } },
  h("label", { for: "user-id" }, "User id"), input,
  h("button", { type: "submit" }, "Show recommendations"));
}

// what the score and the reasons are (the CLI's legend, recommender/cli/commands.py)
function legend(params) {
  const weight = Number(params.popularity);
  const prior = weight > 0
    ? ` plus the film's popularity prior (weight ${weight}: how many watched it lately, the same for every user)` : "";
  return h("p", { class: "note", id: "user-legend" },
    `Score: the dot product of the user's and the film's taste vectors${prior}, for ordering `,
    "only: not a probability, and not comparable between users. Because they watched: the ",
    "films this user watched (those their taste was fitted on) whose taste vectors point most ",
    "the same way as the recommended film's, up to three and only those pointing its way; ",
    "similarity is the cosine of the two films' taste vectors (above 0, at most 1 = the same ",
    "direction), share is that film's part of the positive similarity summed over every film ",
    "their taste was fitted on (0–100%; with many watched films each share is small).");
}

function because(reasons) {
  if (!reasons || !reasons.length) return "–";
  return h("ul", { class: "because" }, reasons.map((b) => h("li", {}, linkToFilm(b),
    ` · similarity ${num(b.similarity, 4)} · share ${pct(b.share)}`)));
}

// the campaign events the served model folded in since training (/health): this user's films leave
// out what they watched in campaigns, and a user new since training is ranked by a taste folded in
// from their events alone (knownFrom)
function eventsNote(model) {
  const ev = model && model.store_events;
  // to a read or write key (counted "key") the events' total is not shown: said without it
  const mine = ev && ev.counted === "key";
  if (!ev || (!mine && !ev.events_applied)) return "";
  const fresh = ev.new_users ? `, ${count(ev.new_users, "user")} new to it` : "";
  const folded = mine ? "campaign events" : count(ev.events_applied, "campaign event");
  return h("p", { class: "note", id: "user-events" },
    `The served model has folded in ${folded} since training${fresh}: `,
    "these films leave out what this user watched in campaigns, and a user known only from ",
    "campaign events is ranked by a taste folded in from those events alone.");
}

// where the model knows the user from (the answer's known_from)
const knownFrom = (body) => (body.known_from === "events"
  ? "campaign events recorded since the model was trained (not its training data): a taste "
    + "folded in from those events alone"
  : "the model's training data");

/** The list's nodes (an array: spread it into replaceChildren). */
function films(body, k) {
  const rows = body.films;
  if (!rows.length) {
    return [h("p", { class: "warning", id: "user-none" },
      "No film to recommend: this user has watched every film the model holds.")];
  }
  return [
    h("p", { id: "user-status" }, `Top ${count(rows.length, "film")}`,
      rows.length < k ? ` (asked for ${int(k)}; no other film is left)` : "", "."),
    body.note ? h("p", { class: "warning", id: "user-unranked" },
      `Note: ${body.note}.`) : "",
    table("Recommended films, best first", [
      { key: "rank", label: "Rank", num: true, format: int },
      { key: "title", label: "Film", format: (v, f) => h("span", {}, linkToFilm(f), yearSuffix(f.title, f.year)) },
      // blank in every row on a catalog without genres (a log without films.csv): left out
      ...(rows.some((f) => (f.genres || []).length)
        ? [{ key: "genres", label: "Genres", format: (v) => (v || []).join(", ") || "–" }] : []),
      { key: "score", label: "Score + popularity prior (the taste score the film's audience shows, plus the film's popularity prior if the model has one; for ordering only, not a probability)",
        num: true, format: (v) => num(v, 4) },
      { key: "because", label: "Because they watched (cosine similarity; share of the similarity)",
        format: because },
    ], rows),
  ];
}

/** k as the address gives it: a whole number from 1, else the default (dropped from it). */
function kOf(params) {
  return wholeNumber(params.get("k"), 1) ?? DEFAULT_K;
}

export async function userPage(view, rest, params) {
  let id = rest;  // a malformed escape ("%" typed in the address) is read as written
  try { id = decodeURIComponent(rest); } catch { /* URIError: keep the text */ }
  if (!id) {
    document.title = "Find a user · Audience Studio";
    view.replaceChildren(h("h1", {}, "Find a user"), section("A user's recommendations",
      h("p", { class: "note" }, "Type a user id as the audience tables and exports write it: ",
        "the page shows the films the model recommends to that user, and why."), userBox()));
    return;
  }
  await draw(view, id, params).catch((e) => userError(view, id, e, () => {
    view.replaceChildren(loading("the user's films"));
    userPage(view, rest, params);
  }));
}

async function draw(view, id, params) {
  let k = kOf(params);
  const raw = params.get("k") || "";
  const ignored = raw && wholeNumber(raw, 1) === null
    ? [["k", raw, `films to show must be a whole number from 1: ${DEFAULT_K} are shown`]] : [];
  // /health's limits, waited for a while only (the films are asked as typed, and the server refuses
  // a k too big)
  const limits = await serverLimitsWithin();
  const most = limits && limits.max_k;
  if (most && k > most) {  // a bookmark from a server with a larger limit
    ignored.push(["k", String(k), `this server shows at most ${int(most)} films: ${int(most)} are shown`]);
    k = most;
  }
  // /health's model (the legend's popularity weight, the events folded in), waited for as long as
  // the limits at most
  const failed = {};  // this /health failed: said, as a late one is (it was left out unsaid)
  const [body, health] = await Promise.all([getJson(userPath(id, { k })),
    within(getJson("/health").catch(() => failed), limits ? LIMITS_WAIT_MS : 0, null)]);
  if (!view.isConnected) return;  // the user moved on: the tab keeps the title of the page shown
  ignoredSettings(ignored);
  if (!limits) limitsLate(`its defaults: ${int(k)} films asked, the model's details (the events folded in, the popularity weight) left out`);
  // the limits came in time, this second read did not: it is what is named
  else if (!health || health === failed) {
    pageNote(`The model's details (/health: the events folded in, the popularity weight) ${health ? "could not be read (the request failed)"
      : `did not answer within ${LIMITS_WAIT_MS / 1000} seconds`}: this page shows the films without them.`);
  }
  const model = (health && health.model) || {};
  document.title = `User ${id} · Audience Studio`;
  setHashParams({ k: k === DEFAULT_K ? "" : k });
  // not a live region (it read the whole list out): the page's status region says what is shown
  // (announce)
  const out = h("div", { id: "user-films" }, films(body, k));
  const kInput = capToServer(h("input", { id: "user-k", type: "number", min: 1, max: most || 10000,
    value: k, required: true }));
  const version = h("dd", { id: "user-model" }, answeredBy(body) || model.model_version || "–");
  const form = answerForm(async (e, latest) => {
    e.preventDefault();
    const size = Number(kInput.value);
    out.replaceChildren(h("p", { class: "loading", role: "status" }, "Loading the films…"));
    try {
      const again = await getJson(userPath(id, { k: size }));
      if (!latest() || !out.isConnected) return;
      setHashParams({ k: size === DEFAULT_K ? "" : size });
      version.textContent = answeredBy(again) || version.textContent;
      out.replaceChildren(...films(again, size));
      announce(`User ${id}: ${again.films.length ? `top ${count(again.films.length, "film")}` : "no film to recommend"}.`);
    } catch (err) { if (latest()) out.replaceChildren(errorBox(err)); }
  }, out, h("div", { class: "row" }, h("label", { for: "user-k" }, "Films to show"), kInput,
    h("button", { type: "submit" }, "Show")));
  view.replaceChildren(
    h("h1", {}, `User ${id}`),
    section("User",
      h("dl", { class: "facts" },
        h("dt", {}, "User id"), h("dd", { id: "user-id-value" }, id),
        h("dt", {}, "Model"), version,
        h("dt", {}, "Known from"), h("dd", { id: "user-known" }, knownFrom(body))),
      eventsNote(model)),
    section("Recommended films", legend(model.params || model.chosen_params || {}), form, out),
    section("Another user", userBox()));
}

export function userError(view, id, e, retry) {
  if (e.status === 401 || e.status === 403) {
    view.replaceChildren(h("h1", {}, "A key is needed"), errorBox(e));
    return;
  }
  // only a 404 says the user does not exist: an engine out of reach or a server error is not
  // "not found"
  if (e.status !== 404) {
    view.replaceChildren(h("h1", {}, "The user could not be shown"), errorBox(e),
      h("p", {}, h("button", { type: "button", id: "user-retry", onclick: retry }, "Try again")));
    return;
  }
  const trimmed = id.trim();
  view.replaceChildren(h("h1", {}, "User not found"),
    h("div", { class: "error", role: "alert" }, `No user with id “${id}”: ${sentence(e.message)} `,
      trimmed && trimmed !== id ? ["Without its spaces: ", h("a", { href: userHref(trimmed) }, trimmed), ". "] : "",
      h("a", { href: "#/" }, "Back to the overview"), "."),
    h("p", { class: "note" }, "A user known only from campaign events has recommendations once ",
      "the served model folds their events in (ALS and EASE models do; others after retraining ",
      "with the events)."),
    section("Another user", userBox(id)));
}
