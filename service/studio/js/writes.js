// The campaign store's writes offered only where the key in use may make them (/health's access).

import { apiKey, keyAccess, recheckAccess } from "./api.js";
import { h } from "./ui.js";

/** The one-line note said in place of a write (``what``: "Planning a campaign") the key in
    use may not make, by what /health's ``access`` says of it. */
function refusedNote(what, id, said) {
  // in the marketer's words, with the server's setting in a smaller hint for an admin
  const doing = what[0].toLowerCase() + what.slice(1);
  const why = said.read
    ? (apiKey() ? "This key may only read" : "Without a key this server lets you read only")
    : (apiKey() ? (said.refused ? "The server does not know the key in use" : "The server refuses the key in use")
      : "No key is in use");
  return h("p", { class: "note", id }, `${why}: a write key is needed for ${doing}. Enter one with the “API key” button. `,
    h("span", { class: "hint" }, "(For an admin: write keys are set in RECOMMENDER_WRITE_KEYS; the admin key writes too.)"));
}

/** The one-line note said in place of the write ``what`` while /health, which says whether the key
    may make it, could not be asked (``why``): not offered blind; "Check again" asks again. */
function uncheckedNote(what, id, why) {
  return h("p", { class: "note", id }, `${what} is not offered for now: whether the key in use may make it could not be checked (${why}). `,
    h("button", { type: "button", class: "ghost", id: `${id}-check`, onclick: () => recheckAccess() }, "Check again"));
}

// every write a page offers, asked again when the key changes or a write is refused; one whose page
// has gone is dropped
const followers = new Set();
window.addEventListener("studio:access-stale", () => { for (const ask of followers) ask(); });

/** Call ``apply(null, false)`` at once (not offered while the key's rights are unknown), then
    ``apply(note, true)`` once /health says what the key may do: ``note`` (a node, id ``id``) to say
    in place of the write ``what`` when the key may not write to the campaign store or /health could
    not be asked (``uncheckedNote``), null when it may or /health does not say (the write is
    offered; a refusal opens the key dialog, api.js). Asked again when the key changes or a write is
    refused, until ``within`` has left the page. */
export function followWrites(within, what, id, apply) {
  for (const other of followers) if (other.gone()) followers.delete(other);
  let asked = 0, answered = false;  // (a page is drawn before /health can answer)
  const ask = async () => {
    if (answered && !within.isConnected) { followers.delete(ask); return; }
    const mine = ++asked;
    apply(null, false);
    const said = await keyAccess();
    answered = true;
    if (mine !== asked || !within.isConnected) return;
    if (said && said.failed) apply(uncheckedNote(what, id, said.failed), true);
    else apply(said && !said.write ? refusedNote(what, id, said) : null, true);
  };
  ask.gone = () => answered && !within.isConnected;  // not while its page is being drawn
  followers.add(ask);
  ask();
}

/** ``controls`` (the buttons and fields of the write ``what``) hidden until /health says the key
    may make it, and its note (id ``id``) said after ``anchor`` while it may not (``followWrites``);
    a submit button is disabled too, so Enter in its form does not press it unseen. */
export function offerWrites(what, id, controls, anchor) {
  let said = null;
  followWrites(anchor, what, id, (note, known) => {
    said?.remove();
    said = note;
    const off = Boolean(note) || !known;
    for (const c of controls) {
      c.hidden = off;
      if (c.type === "submit") c.disabled = off;
    }
    if (note) anchor.after(note);
  });
}
