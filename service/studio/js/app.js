// The studio's router: one view per URL fragment, so every screen can be bookmarked and shared.

import { apiKey, getJson, newPage, pageSawOtherModel, setApiKey } from "./api.js";
import { build } from "./build.js";
import { markBusy } from "./busy.js";
import { campaigns } from "./campaigns.js";
import { distribute } from "./distribute.js";
import { film, filmError } from "./film.js";
import { overview, overviewError } from "./overview.js";
import { plan } from "./plan.js";
import { search } from "./search.js";
import { userPage } from "./user.js";
import { h, errorBox, int, count, announce, announcedSoFar, hush, reloadPage, describedBy } from "./ui.js";

// Screens beyond the four above: name -> render(view, rest, params).
const extraRoutes = new Map([
  ["plan", (view) => plan(view)],
  ["campaigns", (view, rest, params) => campaigns(view, rest, params)],
  ["distribute", (view) => distribute(view)],
  ["user", (view, rest, params) => userPage(view, rest, params)],
]);

function parse() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, qs] = raw.split("?");
  const parts = path.split("/");
  return { name: parts[0] || "overview", rest: parts.slice(1).join("/"), params: new URLSearchParams(qs || "") };
}

// a notice above the page with a button that draws it again (one notice of each kind)
function redrawNotice(id, text, label) {
  const banner = h("div", { class: "warning", role: "alert", id }, text,
    h("button", { type: "button", onclick: () => route() }, label));
  document.getElementById(id)?.remove();
  document.getElementById("view").before(banner);
}

// the served model changed under the page: its segments, labels and numbers are the old model's
// until the page is drawn again (a page whose every answer came from the new one says nothing); the
// footer follows at once. A change a download's note says beside its button (``notice`` false)
// waits for the page's next answer (api.js's unsaid)
window.addEventListener("studio:model-changed", (e) => {
  sourceLine();
  const { version, notice } = e.detail;
  if (notice && pageSawOtherModel(version)) redrawNotice("model-changed",
    `The served model changed (now ${version}): this page shows the previous model's segments and numbers. `,
    "Redraw with the new model");
});

// settings of the address a page could not use (ignoredSettings): said in the live region above the
// page until the next page; and the page's notes (pageNote), each once
function drawNotice() {
  const box = document.getElementById("page-notice");
  const items = box.items || [], notes = box.notes || [];
  box.className = items.length || notes.length ? "warning" : "";
  if (!box.className) box.removeAttribute("class");
  box.replaceChildren(...(items.length ? [`${items.length === 1 ? "A setting" : `${items.length} settings`} of this page's address could not be used: `,
    items.map(([key, value, why]) => `${key}=${value.length > 40 ? `${value.slice(0, 40)}…` : value} (${why})`).join("; "), ". The rest of the address is applied."] : []),
  ...notes.map((n, i) => (items.length || i ? ` ${n}` : n)));
}
window.addEventListener("studio:settings-ignored", (e) => {
  const box = document.getElementById("page-notice");
  box.items = [...(box.items || []), ...e.detail];
  drawNotice();
});
window.addEventListener("studio:page-note", (e) => {
  const box = document.getElementById("page-notice");
  if ((box.notes || []).includes(e.detail)) return;
  box.notes = [...(box.notes || []), e.detail];
  drawNotice();
});

// the server's largest page changed (a restart with another RECOMMENDER_MAX_K): the page's sizes
// and download buttons are the old one's
window.addEventListener("studio:limits-changed", (e) => redrawNotice("limits-changed",
  `The server now answers at most ${Number(e.detail).toLocaleString("en-US")} rows per request: this page was drawn for its previous limit. `,
  "Redraw with the new limit"));

// the footer says where every page's numbers come from: the served model's version and the campaign
// events folded in since training (asked on each page, as events arrive without a new version)
let lineAsked = 0;  // only the latest ask paints the line (an older answer names an older model)
async function sourceLine() {
  const line = document.getElementById("model-line");
  const mine = ++lineAsked;
  let m = null;
  let failed = "";
  try { m = (await getJson("/health", { background: true })).model; } catch (e) {
    // a key the server does not hold is a 401 on /health too (the key dialog opens)
    failed = e.status === 0 ? "the engine could not be reached just now"
      : e.status === 401 ? "the engine refused the key in use (enter another with the “API key” button)"
        : `the engine's /health failed just now (${e.message})`;
  }
  if (mine !== lineAsked) return;
  // an engine out of reach, or a /health that failed: no model of an earlier answer is named, as if
  // behind the error
  if (line && failed) {
    line.replaceChildren("Every number on these pages comes from the engine's HTTP API (",
      h("a", { href: "/docs" }, "API docs"), `): ${failed}, so the served model is not known.`);
  }
  if (!line || !m) return;
  // a read or write key is shown its own events' count alone (counted "key": the store's
  // counts are every key's), so the line names no total
  const ev = m.store_events;
  const events = !ev ? ", as trained (no campaign events folded in)"
    : ev.counted === "key"
      ? `, with campaign events folded in since training (${ev.through_seq == null ? "this key's not counted just now" : `${int(ev.through_seq)} of this key's events reflected`})`
      : `, with ${count(ev.events_applied, "campaign event")} folded in since training (store sequence ${int(ev.through_seq)})`;
  line.replaceChildren("Every number on these pages comes from the engine's HTTP API (",
    h("a", { href: "/docs" }, "API docs"), `): model ${m.model_version}${events}.`);
}

let drawn = false;  // a page was drawn since the studio loaded
// the key dialog closed with the focus in it (a key saved with Enter): the browser dropped it to
// the body; the page drawn next puts it on its heading (``focusPage``)
let focusToPage = false;

/** The focus on ``view``'s main heading (focusable by script only), else on the page. */
function focusPage(view) {
  const heading = view.isConnected && view.querySelector("h1");
  if (heading) {
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  } else document.getElementById("view").focus({ preventScroll: true });
}

async function route() {
  newPage();
  sourceLine();
  const notice = document.getElementById("page-notice");
  notice.items = [];
  notice.notes = [];
  notice.removeAttribute("class");
  notice.replaceChildren();
  document.getElementById("model-changed")?.remove();
  document.getElementById("limits-changed")?.remove();
  document.getElementById("plan-stored-away")?.remove();  // a plan answered after its page was left
  // each route renders into a page of its own: a view still loading when the user moves on writes
  // into a page no longer shown, and `page.isConnected` tells it so
  const holder = document.getElementById("view");
  const view = h("div", { class: "page" });
  // a link followed inside the page is removed with it: the focus moves to the new page, as the
  // skip link moves it, not to the body (not on the first page drawn: no focus was lost)
  const toPage = focusToPage;
  focusToPage = false;
  const lost = drawn && (toPage || document.activeElement === document.body || holder.contains(document.activeElement));
  drawn = true;
  holder.replaceChildren(view);
  if (lost && document.activeElement !== holder) holder.focus({ preventScroll: true });
  const { name, rest, params } = parse();
  document.title = "Audience Studio";
  for (const a of document.querySelectorAll("nav a")) {
    if (a.dataset.nav === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  view.replaceChildren(h("p", { class: "loading", role: "status" }, "Loading…"));
  hush();
  const saidBefore = announcedSoFar();
  try {
    if (name === "overview") await overview(view).catch((e) => overviewError(view, e));
    else if (name === "search") search(view, params);
    else if (name === "film") {
      let id = rest;  // a malformed escape ("%" typed in the address) is read as written
      try { id = decodeURIComponent(rest); } catch { /* URIError: keep the text */ }
      await film(view, id, params).catch((e) => filmError(view, id, e));
    } else if (name === "build") build(view);
    else if (extraRoutes.has(name)) await extraRoutes.get(name)(view, rest, params);
    else view.replaceChildren(h("h1", {}, "Not found"), errorBox(`no studio page “${name}”`));
  } catch (e) {
    view.replaceChildren(errorBox(e, reloadPage));
  }
  // a key just saved: the page drawn takes the focus at its heading, unless the user put it
  // somewhere meanwhile
  const at = document.activeElement;
  if (toPage && view.isConnected && (!at || at === document.body || at === holder)) focusPage(view);
  // the tab names the page drawn by its heading, so a screen reader's first words after a move, and
  // the history, tell the pages apart
  const heading = view.isConnected && document.title === "Audience Studio" && view.querySelector("h1");
  if (heading && heading.textContent.trim()) document.title = `${heading.textContent.trim()} · Audience Studio`;
  // the page drawn, said in the status region, unless the page said something of its own meanwhile
  // (its rows) or a part of it says its own once answered (data-says-own); an error page says its
  // error (role=alert)
  const shownHeading = view.isConnected && view.querySelector("h1");
  if (shownHeading && announcedSoFar() === saidBefore && !view.querySelector("[role=alert], [data-says-own]")) {
    announce(`${shownHeading.textContent.trim()}: page shown.`);
  }
}

let openedFrom = null;  // the element focused as the key dialog opened
let keyRefused = false;  // a request was refused for want of a key (401) or of its rights (403)

function keyDialog() {
  const dialog = document.getElementById("key-dialog");
  const input = document.getElementById("key-input");
  const message = document.getElementById("key-message");
  // the dialog says the server asks for a key only once a request was refused for want of one
  const why = document.getElementById("key-why");
  const asked = (yes) => {
    why.textContent = yes ? "This server asks for a key." : "Type a key if your server uses one.";
  };
  // on touch there is no Escape: Cancel (or a tap outside, below) closes it, the key in use kept
  document.getElementById("key-cancel").addEventListener("click", () => dialog.close(""));
  // a click or tap on the page around it (the backdrop: the dialog is the target, the point
  // outside its box) closes it as Cancel does; a press begun inside (selecting the typed key)
  // and let go outside does not
  const outside = (e) => {
    const r = dialog.getBoundingClientRect();
    return e.target === dialog && (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom);
  };
  let pressedOutside = false;
  dialog.addEventListener("pointerdown", (e) => { pressedOutside = outside(e); });
  dialog.addEventListener("click", (e) => {
    if (!pressedOutside || !outside(e)) return;
    pressedOutside = false;
    dialog.close("");
  });
  document.getElementById("key-button").addEventListener("click", () => {
    asked(keyRefused);
    openedFrom = document.activeElement;
    input.value = apiKey();
    message.textContent = "";
    dialog.showModal();
  });
  // a key refused by the dialog itself: said, the field marked invalid and described by the words
  // (as a page's refusal marks its field), until the field is changed or the dialog closed
  const refuseKey = (words) => {
    message.textContent = words;
    input.setAttribute("aria-invalid", "true");
    describedBy(input, message.id, true);
    input.focus();
  };
  const unmark = () => { input.removeAttribute("aria-invalid"); describedBy(input, message.id, false); };
  input.addEventListener("input", unmark);
  // a key pasted with a character no request header carries (a zero-width space, a curly quote)
  // makes every request fail before it leaves: the dialog stays open and says so
  document.getElementById("key-form").addEventListener("submit", (e) => {
    if (e.submitter?.value !== "save") return;
    // an empty field saved does not forget the key in use: forgetting is the other button's
    if (!input.value.trim()) {
      e.preventDefault();
      refuseKey("Type a key to save, or choose “Forget the key” to send none.");
      return;
    }
    const bad = [...input.value.trim()].find((c) => c < " " || c === "\x7f" || c.codePointAt(0) > 0xff);
    if (bad === undefined) return;
    e.preventDefault();
    refuseKey(`This key holds a character a request cannot carry (U+${bad.codePointAt(0)
      .toString(16).toUpperCase().padStart(4, "0")}), often pasted along with the key: type it again.`);
  });
  dialog.addEventListener("close", () => {
    unmark();
    // re-render only when the key changed (Escape or cancel keeps the page and its unsaved work); a
    // form page keeps what was entered
    const before = apiKey();
    // the focus in the dialog as it closes goes where the dialog was opened from, or to the page
    // when a refused request opened it
    const inside = dialog.contains(document.activeElement);
    const from = openedFrom;
    openedFrom = null;
    if (dialog.returnValue === "save") setApiKey(input.value.trim());
    if (dialog.returnValue === "clear") setApiKey("");
    dialog.returnValue = "";
    const redraw = apiKey() !== before && !["plan", "build", "distribute"].includes(parse().name);
    // a form page kept: what it said of the old key goes (the next request sends the new one)
    if (apiKey() !== before && !redraw) {
      for (const box of document.querySelectorAll("#view .key-needed")) {
        box.replaceWith(h("p", { class: "note" }, "A new key is in use: try again."));
      }
    }
    if (inside && from && from !== document.body && from.isConnected) from.focus();
    else if (inside) {
      focusToPage = redraw;
      focusPage(document.getElementById("view").firstElementChild || document.getElementById("view"));
    }
    if (redraw) route();
  });
  window.addEventListener("studio:key-needed", (e) => {
    keyRefused = true;
    asked(true);
    if (dialog.open) return;
    // a key was sent and refused: say so (the server's words are the same for none and wrong); a
    // read key on a write (403): what the action needs first, the server's words after
    const write = e.detail && e.detail.write;
    message.textContent = write
      ? "This action needs a key with write rights: the key in use can read but not plan a "
        + `campaign or record events. Enter a write key, or ask for one. (The server said: ${e.detail.said}.)`
      : apiKey() ? "The server refused this key: check it, or ask for a key that reads this data." : "";
    input.value = "";
    openedFrom = document.activeElement;
    dialog.showModal();
  });
}

function skipLink() {
  // "Skip to content" moves the focus to the page without touching the URL fragment (the
  // router owns it: #view would be a page named "view")
  document.querySelector("a.skip").addEventListener("click", (e) => {
    e.preventDefault();
    document.getElementById("view").focus();
  });
}

markBusy();  // a part loading is aria-busy until its answer is in
window.addEventListener("hashchange", route);
window.addEventListener("studio:retry", route);  // "Try again" on a page's own load
keyDialog();
skipLink();
route();
