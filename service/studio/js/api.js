// The studio's only way to the engine: the public HTTP API, with the API key when one is set.

const KEY = "recommender.studio.key";

export class ApiError extends Error {
  /** ``refused``: the server's own refusal, ``detail`` its words (a 4xx whose body said why). */
  constructor(status, detail, refused = false) {
    super(detail);
    this.status = status;
    this.refused = refused;
  }
}

// kept for this browser tab only (sessionStorage): a key to personal data does not outlive it
export function apiKey() {
  return sessionStorage.getItem(KEY) || "";
}

export function setApiKey(value) {
  const before = apiKey();
  sessionStorage.removeItem(REFUSED);  // a key entered (the same one again too) is tried
  if (value) sessionStorage.setItem(KEY, value);
  else sessionStorage.removeItem(KEY);
  if (apiKey() !== before) accessStale();
}

// the key a 401 answered (kept for the tab): not sent again until a key is entered, a request then
// refused as the server refused it. After a key rotation every request sent the old key, and each
// 401 counted towards the server's per-address throttle (RECOMMENDER_KEY_FAILURES)
const REFUSED = "recommender.studio.key.refused";
const refusedKey = () => sessionStorage.getItem(REFUSED);

// what the key in use may do (/health's access: {read, write}), asked once per key and again after
// a 403 (its rights changed); null when /health does not say. A key the server does not hold (401
// on /health) may do nothing: {read: false, write: false, refused: true}. A failed ask is {failed:
// why}: the writes stay hidden and say so, asked again next time or by recheckAccess. A page offers
// a write only where the key may make it (writes.js); "studio:access-stale" says to ask again
let access = null;
let accessOf = null;  // the key the cached ask was made with
const accessStale = () => {
  access = null;
  window.dispatchEvent(new CustomEvent("studio:access-stale"));
};
/** Ask /health again what the key in use may do (every write a page offers follows). */
export const recheckAccess = accessStale;
export function keyAccess() {
  if (!access || accessOf !== apiKey()) {
    accessOf = apiKey();
    const asked = getJson("/health").then((body) => {
      const said = body && body.access;
      return said && typeof said.write === "boolean" && typeof said.read === "boolean" ? said : null;
    }).catch((e) => (e.status === 401 ? { read: false, write: false, refused: true } : { failed: e.message }));
    access = asked;
    asked.then((said) => { if ((said === null || said.failed) && access === asked) access = null; });
  }
  return access;
}

function headers(extra) {
  const h = { ...extra };
  const key = apiKey();
  if (key) {
    h["X-API-Key"] = key;
    h["Authorization"] = `Bearer ${key}`;
  }
  return h;
}

// an engine out of reach, in words that say what to check (the browser's "Failed to fetch" says
// nothing of what to do)
export const UNREACHED = "the engine could not be reached: check that `recommender serve` is "
  + "running at this page's address and that the network to it is up, then try again";

// an answer without the engine's JSON detail (a proxy's 502 page, a bare 500): its status and
// status text, said as the server's, not the engine's
function detailOf(status, body, statusText = "") {
  if (body && typeof body.detail === "string") return body.detail;
  if (body && Array.isArray(body.detail)) {
    return body.detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
  }
  return `the server answered ${status}${statusText ? ` ${statusText}` : ""} without the engine's `
    + "explanation (perhaps a proxy in front of it, or the engine failing): try again in a moment";
}

let modelVersion = null;  // the served model's version, as the last answer gave it
// the versions the page shown had answers from (route() starts each page afresh): a page
// drawn after a reload, wholly from the new model, was said to show the previous model's
let pageVersions = new Set();
// the pages drawn so far: a page's handlers act only while it is the one shown (a box left by a
// change of address fired its change event on the next page)
let pagesDrawn = 0;
/** A new page is drawn: the model versions its answers come from are counted afresh. */
export const newPage = () => { pageVersions = new Set(); pagesDrawn += 1; unsaid = null; };
/** The page shown is drawn again in place (a withdrawn campaign): a page of its own, so the
    handlers of the draw it replaces act no more. */
export const pageRedrawn = () => { pagesDrawn += 1; };
/** The page being drawn or shown, as a number: ``pageNow() === mine`` while it still is. */
export const pageNow = () => pagesDrawn;
// a new model a download's note said beside its button (``comparedWith``): the page's notice stays
// silent at that answer (not said twice) and is given at the page's next answer; null when none
// waits
let unsaid = null;
/** Whether the page shown had an answer from a model other than ``version``. */
export const pageSawOtherModel = (version) => [...pageVersions].some((v) => v !== version);

// every request not yet answered, as its start (ms): one note, "Still waiting for the engine",
// counts the oldest's seconds once it has waited STILL_WAITING_MS, and goes when none waits that
// long
export const STILL_WAITING_MS = 3000;
const waiting = new Set();
let waitTicks = null;
// The note counts each second on screen, hidden from a screen reader (a live region would read it
// every second): the wait is said once, as it begins, in a status region of its own (#wait-status)
function waitNote() {
  const oldest = Math.min(...[...waiting].map((w) => w.at));
  const waited = waiting.size ? Date.now() - oldest : 0;
  let note = document.getElementById("still-waiting");
  if (!waiting.size && waitTicks !== null) { clearInterval(waitTicks); waitTicks = null; }
  if (waited < STILL_WAITING_MS) {
    if (note) { note.remove(); waitSaid(""); }
    return;
  }
  if (!note) {
    note = document.createElement("p");
    note.id = "still-waiting";
    note.className = "still-waiting";
    note.setAttribute("aria-hidden", "true");
    document.body.append(note);
    waitSaid(`Still waiting for the engine: it has not answered in ${STILL_WAITING_MS / 1000} seconds.`);
  }
  note.textContent = `Still waiting for the engine (${Math.floor(waited / 1000)} s): it has not answered yet.`;
}
/** The wait's status region (#wait-status, made here where the page has none) holding ``text``. */
function waitSaid(text) {
  let box = document.getElementById("wait-status");
  if (!box) {
    box = Object.assign(document.createElement("div"), { id: "wait-status", className: "visually-hidden" });
    box.setAttribute("role", "status");
    document.body.append(box);
  }
  box.textContent = text;
}
/** ``promise`` (a request), counted by the "still waiting" note until it settles. */
export function waitedFor(promise) {
  const mine = { at: Date.now() };
  waiting.add(mine);
  if (waitTicks === null) waitTicks = setInterval(waitNote, 1000);
  return promise.finally(() => { waiting.delete(mine); waitNote(); });
}

// ``background``: a request no page waits on (the footer's /health, a late limits' ask), not
// counted by the "still waiting" note. Exported for downloads.js, which reads the answer as a file;
// ``comparedWith``: a download's, the model version of the table its file is compared with
export async function send(path, { background = false, comparedWith = "", ...options } = {}) {
  // a key a 401 refused: answered here as the server would, without asking it again
  if (apiKey() && apiKey() === refusedKey()) {
    window.dispatchEvent(new CustomEvent("studio:key-needed"));
    throw new ApiError(401, "the server refused the key in use (not sent again until a key "
      + "is entered)");
  }
  let response;
  const sent = headers(options.headers);
  try {
    const asked = fetch(path, { ...options, headers: sent });
    response = await (background ? asked : waitedFor(asked));
  } catch (e) {
    throw new ApiError(0, UNREACHED);
  }
  if (response.status === 401) {
    if (sent["X-API-Key"]) sessionStorage.setItem(REFUSED, sent["X-API-Key"]);
    window.dispatchEvent(new CustomEvent("studio:key-needed"));
  }
  // a reload on the server changes segment numbers and labels under a page drawn with the old ones:
  // say so, once per new version; a plan replayed for its Idempotency-Key names the model it was
  // planned on, not the one served now
  const version = response.headers.get("Idempotent-Replayed") === "true" ? null
    : response.headers.get("X-Model-Version");
  // a refused size, or a new model, may come with another RECOMMENDER_MAX_K: the limits are asked
  // again at once, so a page drawn after this answer is drawn for the new ones
  let reask = response.status === 422;
  if (version) {
    pageVersions.add(version);
    // said beside the download's button: the notice (``detail.notice``) waits (unsaid); the footer
    // and what was kept of the old model follow the new one at once
    const beside = response.ok && Boolean(comparedWith) && version !== comparedWith;
    const changed = Boolean(modelVersion) && version !== modelVersion;
    if (changed || (unsaid === version && !beside && !background)) {
      reask ||= changed;
      unsaid = beside ? version : null;
      window.dispatchEvent(new CustomEvent("studio:model-changed", { detail: { version, notice: !beside } }));
    }
    modelVersion = version;
  }
  // (a new model seen on the footer's own /health: the limits and the model's facts are asked
  // afresh at the next need, not at once, which would loop)
  if (reask && limits) {
    limits = null;
    if (path !== "/health") serverLimits();
  }
  if (!response.ok) {
    let body = null;
    try { body = await response.json(); } catch { body = null; }
    const said = detailOf(response.status, body, response.statusText);
    // a read key on a write: the key dialog opens, and the error leads with what to do. Told by the
    // server's WWW-Authenticate (insufficient_scope, service/auth.py), not by the method: other
    // 403s (pseudonymize=true with no pseudonym key...) keep their own words
    if (response.status === 403 && /insufficient_scope/.test(response.headers.get("WWW-Authenticate") || "")) {
      window.dispatchEvent(new CustomEvent("studio:key-needed", { detail: { write: true, said } }));
      // offered because the key could write when the page asked: its rights changed since
      accessStale();
      throw new ApiError(403, "this action needs a key with write rights: enter one with the "
        + `“API key” button, then try again (the server said: ${said})`);
    }
    // too many wrong keys from this address (the server's throttle): how long, in words (once over,
    // the error box offers the key dialog: throttle_box.js)
    if (response.status === 429) {
      const wait = response.headers.get("Retry-After");
      throw Object.assign(new ApiError(429, throttled(wait)), { retryAfter: Number(wait) > 0 ? Number(wait) : 0 });
    }
    // a refusal in the server's words (4xx with a detail) is said as such (errorBox)
    const told = Boolean(body && (typeof body.detail === "string" || Array.isArray(body.detail)));
    // no explanation of the engine's (a proxy's page, a bare 5xx): its error box offers
    // "Try again", as for an engine out of reach (errorBox)
    throw Object.assign(new ApiError(response.status, said, told && response.status < 500),
      { unexplained: !told });
  }
  return response;
}

/** A 429's message, its Retry-After (seconds) said in words. */
function throttled(retryAfter) {
  const s = Number(retryAfter);
  const unit = (n, one) => `${n} ${one}${n === 1 ? "" : "s"}`;
  const wait = !(s > 0) ? "a while"
    : s < 60 ? unit(Math.ceil(s), "second")
      : s < 3600 ? unit(Math.ceil(s / 60), "minute")
        : unit(Math.floor(s / 3600), "hour") + (Math.ceil(s % 3600 / 60)
          ? ` ${unit(Math.ceil(s % 3600 / 60), "minute")}` : "");
  return `the server refuses keys from this address for ${wait} (too many requests with a `
    + `wrong key came from it, perhaps an old key in another tab): wait ${wait}, then try again`;
}

// the served model's version each answer came from (X-Model-Version), and the campaign events it
// reflected (X-Events-Seq), by parsed body
const versions = new WeakMap(), seqs = new WeakMap();
/** What ``response`` was drawn from: its model version and events sequence ("": unsaid). */
export const drawnFrom = (response) => ({ version: response.headers.get("X-Model-Version") || "",
  seq: response.headers.get("X-Events-Seq") || "" });
const answered = (body, response) => {
  if (body && typeof body === "object") {
    const { version, seq } = drawnFrom(response);
    if (version) versions.set(body, version);
    if (seq) seqs.set(body, seq);
  }
  return body;
};
/** The model version the answer ``body`` (from getJson or postJson) came from, or "". */
export const answeredBy = (body) => versions.get(body) || "";
/** The model version and events sequence the answer ``body`` was drawn from ("": unsaid). */
export const answeredAt = (body) => ({ version: answeredBy(body), seq: seqs.get(body) || "" });

/** GET ``path``'s JSON; ``background``: see ``send``. */
export async function getJson(path, { background = false } = {}) {
  const r = await send(path, { background });
  return answered(await r.json(), r);
}

// the server's limits (/health's limits: max_k), asked once per page load and again after a 422 or
// a new model; a failed ask answers {} and is asked again next time. A limit that changed under a
// drawn page is announced (studio:limits-changed, detail the new max_k)
let limits = null;
// the answer of a failed ask: {} to every caller but serverLimitsWithin, which reads it as no
// limits (and the page says so)
const FAILED = Object.freeze({});
let knownMaxK = null;
let healthModel = null;  // /health's model as the limits' ask gave it (null: not shown)
export function serverLimits() {
  if (!limits) {
    limits = getJson("/health", { background: true }).then((body) => {
      healthModel = body.model || null;
      const got = body.limits || {};
      const most = got.max_k ?? null;
      if (knownMaxK !== null && most !== null && most !== knownMaxK) {
        window.dispatchEvent(new CustomEvent("studio:limits-changed", { detail: most }));
      }
      if (most !== null) knownMaxK = most;
      return got;
    }).catch(() => { limits = null; healthModel = null; return FAILED; });
  }
  return limits;
}

// the most a page waits for /health's limits before it goes on with its defaults (ms)
export const LIMITS_WAIT_MS = 3000;
let lateLimits = null;  // the ask of the limits that ran past LIMITS_WAIT_MS, still unanswered

/** ``serverLimits()``, waited for at most ``LIMITS_WAIT_MS``: null when /health has not
    answered by then, or failed (the page goes on with its defaults, and says so:
    ``limitsLate``); an ask already late answers null at once, without a second wait. */
let limitsFault = "";  // why the last serverLimitsWithin gave null: "late" or "failed"
/** Why the last ``serverLimitsWithin`` gave null: "late" (not answered in time) or "failed". */
export const limitsFaultSaid = () => limitsFault;
export function serverLimitsWithin(ms = LIMITS_WAIT_MS) {
  const asked = serverLimits();
  limitsFault = "";
  if (asked === lateLimits) { limitsFault = "late"; return Promise.resolve(null); }
  let timer = null;
  const late = new Promise((resolve) => {
    timer = setTimeout(() => {
      lateLimits = asked;
      limitsFault = "late";
      // answered at last: the next page uses it (not "late" for the rest of the page load)
      asked.finally(() => { if (lateLimits === asked) lateLimits = null; });
      resolve(null);
    }, ms);
  });
  const read = asked.then((got) => {
    if (got !== FAILED) return got;
    limitsFault = "failed";
    return null;
  });
  return Promise.race([read, late]).finally(() => clearTimeout(timer));
}

/** Any ``promise``, waited for at most ``ms``: ``fallback`` when it has not settled by then. */
export function within(promise, ms, fallback) {
  let timer = null;
  const late = new Promise((resolve) => { timer = setTimeout(() => resolve(fallback), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** /health's model (its counts of films with a title and with genres...), asked with the limits;
    null when /health did not say. */
export const servedModelFacts = () => serverLimits().then(() => healthModel);

// a k input (lookalikes, a new film's audience) held to the server's largest page
export function capToServer(input) {
  serverLimits().then(({ max_k: most }) => {
    if (!most) return;
    input.max = most;
    if (Number(input.value) > most) input.value = most;
  });
  return input;
}

// Idempotency-Keys of requests whose success was not yet shown, by request: a second click or a
// retry (kept for the tab's session) sends the same key and gets the plan the first stored; a
// success shown drops its key, so a new click plans again. An answer come after its page was left
// (``shown`` false) keeps it: the same slate planned again on return replayed no plan, it stored a
// second
const PENDING = "studio-pending-keys";

function pendingKeys() {
  try { return JSON.parse(sessionStorage.getItem(PENDING) || "{}"); } catch { return {}; }
}

function keepPending(keys) {
  try { sessionStorage.setItem(PENDING, JSON.stringify(keys)); } catch { /* storage off */ }
}

function newKey() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);  // available outside secure contexts too
  return `studio-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** POST ``body`` as JSON to ``path``; ``once``: with an Idempotency-Key kept per request until a
    success is answered while ``shown()`` is true (its page still shown). */
export async function postJson(path, body, { once = false, shown = () => true } = {}) {
  const text = JSON.stringify(body);
  const request = `${path} ${text}`;
  let extra = {};
  if (once && shown()) {
    const keys = pendingKeys();
    keys[request] = keys[request] || newKey();
    keepPending(keys);
    extra = { "Idempotency-Key": keys[request] };
  }
  const r = await send(path, {
    method: "POST", body: text, headers: { "content-type": "application/json", ...extra },
  });
  const answer = answered(await r.json(), r);
  if (once && shown()) {
    const keys = pendingKeys();
    delete keys[request];
    keepPending(keys);
  }
  return answer;
}

/** DELETE ``path`` (a write: a refusal reads as ``postJson``'s); its JSON answer. */
export async function deleteJson(path) {
  const r = await send(path, { method: "DELETE" });
  return answered(await r.json(), r);
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
    else q.append(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** The API's URL of film ``id``'s resource ``suffix`` ("", "/audience"...) with the query
    ``params``. The browser removes a path segment "." or ".." (%2E too) before sending: such an id
    goes in the query, to the same routes under /film (service/raw_ids.py). */
export const filmPath = (id, suffix = "", params = {}) => {
  if (id === "." || id === "..") return `/film${suffix}${query({ film_id: id, ...params })}`;
  return `/films/${encodeURIComponent(id)}${suffix}${query(params)}`;
};

/** Put ``changes`` into the query of the page's URL fragment (an empty value removes its key),
    keeping the other keys, so two sections of one page each keep their own choices in a bookmark. */
export function setHashParams(changes) {
  const [path, qs] = location.hash.split("?");
  const params = new URLSearchParams(qs || "");
  for (const [k, v] of Object.entries(changes)) {
    params.delete(k);
    if (Array.isArray(v)) v.forEach((x) => params.append(k, x));
    else if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  }
  const q = params.toString();
  history.replaceState(null, "", q ? `${path}?${q}` : path);
}
