// The campaign store's writes offered only where the key in use may make them (/health's access).

import { apiKey, keyAccess } from "./api.js";
import { h } from "./ui.js";

/** The one-line note said in place of a write (``what``: "Planning a campaign") the key in
    use may not make, by what /health's ``access`` says of it. */
function refusedNote(what, id, said) {
  const why = said.read
    ? (apiKey() ? "the key in use can read but not write" : "the server lets a caller without a key read, not write")
    : (apiKey() ? (said.refused ? "the server does not know the key in use" : "the server refuses the key in use")
      : "no key is in use");
  return h("p", { class: "note", id }, `${what} needs a key with write rights (a write key, RECOMMENDER_WRITE_KEYS, `,
    `or the admin key): ${why}. Enter one with the “API key” button.`);
}

// every write a page offers, asked again when the key changes or a write is refused; one
// whose page has gone is dropped at the next ask, or when a later page offers one
const followers = new Set();
window.addEventListener("studio:access-stale", () => { for (const ask of followers) ask(); });

/** Call ``apply(note)`` once /health says what the key in use may do: ``note`` (a node, of id
    ``id``) to say in place of the write ``what`` when the key may not write to the campaign
    store, null when it may or when /health does not say (the write is offered; a refusal
    then opens the key dialog, api.js). Asked again when the key changes or a write is refused
    (its rights changed since the page was drawn), until ``within`` has left the page. */
export function followWrites(within, what, id, apply) {
  for (const other of followers) if (other.gone()) followers.delete(other);
  let asked = 0, answered = false;  // (a page is drawn before /health can answer)
  const ask = async () => {
    if (answered && !within.isConnected) { followers.delete(ask); return; }
    const mine = ++asked;
    const said = await keyAccess();
    answered = true;
    if (mine !== asked || !within.isConnected) return;
    apply(said && !said.write ? refusedNote(what, id, said) : null);
  };
  ask.gone = () => answered && !within.isConnected;  // not while its page is being drawn
  followers.add(ask);
  ask();
}

/** ``controls`` (the buttons and fields of the write ``what``) hidden, and its note (of id
    ``id``) said after ``anchor``, while the key in use may not make it (``followWrites``, for
    as long as ``anchor`` is on the page); a submit button is disabled too, so Enter in its
    form does not press it unseen. */
export function offerWrites(what, id, controls, anchor) {
  let said = null;
  followWrites(anchor, what, id, (note) => {
    said?.remove();
    said = note;
    for (const c of controls) {
      c.hidden = Boolean(note);
      if (c.type === "submit") c.disabled = Boolean(note);
    }
    if (note) anchor.after(note);
  });
}
