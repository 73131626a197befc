// A failed request as the page says it: the error box, and the "Try again" it offers.

import { apiKey } from "./api.js";
import { afterTheWait } from "./throttle_box.js";
import { h, sentence } from "./ui.js";

// an engine out of reach (status 0), or a server failing without the engine's explanation (a 5xx
// not in JSON: a proxy's page), offers "Try again": ``retry`` (the failed request's function), else
// the nearest box around the error with a ``retry`` of its own (a search's results, a film's
// audience, a form's answer box), else none. A 401 (the key dialog opens) says what the dialog
// asks, not the server's words; a 422 is the server's sentence, a validation message, no failure of
// the studio's. A message of the studio's own (a string: a value that cannot be used, said before
// any request) is a refusal too (``refusal``): "Something went wrong" is kept for an engine out of
// reach
export function errorBox(error, retry = null) {
  if (typeof error === "string") return refusal(error);
  if (error && error.status === 401) {
    return h("div", { class: "warning key-needed", role: "status" }, apiKey()
      ? "The server refused the key in use: enter another with the “API key” button to see this."
      : "This server asks for a key: enter it with the “API key” button to see this.");
  }
  if (error && error.status === 422) {
    return h("p", { class: "invalid", role: "alert" }, sentence(error.message));
  }
  // any other refusal the server explained (a 4xx with a detail: a 404, a 409...) is said in its
  // words alone; "Something went wrong: <detail>" is kept for an engine out of reach, a 5xx and a
  // bare 4xx
  if (error && error.refused && error.status >= 400 && error.status < 500 && error.status !== 429) {
    return h("div", { class: "error refused", role: "alert" }, sentence(error.message));
  }
  const box = h("div", { class: "error", role: "alert" }, h("strong", {}, "Something went wrong: "),
    error && error.message ? error.message : String(error));
  // too many wrong keys: once the wait is over, the key dialog and the retry are offered
  if (error && error.status === 429) afterTheWait(box, error, () => retry || retryOf(box));
  // as an answer of no explanation from a failing server (a proxy's plain-text 502, a bare
  // 500): it offered no way to ask again
  if (error && (error.status === 0 || (error.unexplained && error.status >= 500))) {
    const again = h("button", { type: "button", class: "retry", onclick: () => (retry || retryOf(box))?.() },
      "Try again");
    box.append(" ", again);
    // once placed (the callers place it at once): no box around it can retry, no button
    if (!retry) queueMicrotask(() => { if (!retryOf(box)) again.remove(); });
  }
  return box;
}

/** A value the user typed or chose that cannot be used, said as the server's refusals are; each of
    ``fields`` (the boxes holding it) is marked aria-invalid and described by it (``markFields``). */
export function refusal(message, ...fields) {
  return markFields(h("div", { class: "error refused", role: "alert" }, sentence(message)), ...fields);
}

let refusals = 0;  // the refusals marked so far: each box's id (refusal-N) is the page's own
/** ``box`` (a refusal drawn in an answer box: ``refusal``'s, or the server's 422 about a field)
    tied to each of ``fields``: marked aria-invalid and described by the box (its id added to the
    field's aria-describedby, beside the hints there), until the field is changed or the box taken
    away. Returns ``box``. */
export function markFields(box, ...fields) {
  const marked = fields.filter(Boolean);
  if (!marked.length) return box;
  if (!box.id) box.id = `refusal-${++refusals}`;
  const clear = () => {
    watch.disconnect();
    for (const f of marked) {
      f.removeEventListener("input", clear);
      describedBy(f, box.id, false);
      // not a later refusal's mark (it marked the box before this one was taken away)
      if (f.refusedBy === box) { f.removeAttribute("aria-invalid"); delete f.refusedBy; }
    }
  };
  const watch = new MutationObserver(() => { if (!box.isConnected) clear(); });
  for (const f of marked) {
    f.setAttribute("aria-invalid", "true");
    describedBy(f, box.id, true);
    f.refusedBy = box;
    f.addEventListener("input", clear);
  }
  // once placed (the callers place it at once): taken away with the answer box's next words, or
  // with anything around it (a page left, a section drawn again)
  queueMicrotask(() => {
    if (!box.isConnected) { clear(); return; }
    watch.observe(box.ownerDocument, { childList: true, subtree: true });
  });
  return box;
}

/** ``id`` added to (``on``) or taken from the ids of ``field``'s aria-describedby, the others
    (its hints) kept in their order; the attribute goes when none is left. */
export function describedBy(field, id, on) {
  const ids = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter((i) => i && i !== id);
  if (on) ids.push(id);
  if (ids.length) field.setAttribute("aria-describedby", ids.join(" "));
  else field.removeAttribute("aria-describedby");
}

/** ``errorBox(error)``, tied to ``field`` (``markFields``) where it is the server's refusal
    (a 422, or another of ``statuses``) about what the field holds: its words match ``about``
    (/genre/i: "unknown genre 'Dramma' (did you mean 'Drama'?)"), as Find a film says its genre's
    refusal beside the field. */
export function fieldError(error, field, about, statuses = [422]) {
  const box = errorBox(error);
  return error && statuses.includes(error.status) && about.test(error.message || "") ? markFields(box, field) : box;
}

/** The ``retry`` of the nearest box around ``box``, or null. */
function retryOf(box) {
  for (let at = box.parentElement; at; at = at.parentElement) {
    if (typeof at.retry === "function") return at.retry;
  }
  return null;
}

/** A page's own load tried again (its "Try again" where the page could not be drawn). */
export const reloadPage = () => window.dispatchEvent(new CustomEvent("studio:retry"));
