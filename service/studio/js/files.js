// CSV cells and download file names, written as the server writes them.

import { h } from "./ui.js";

// a text cell a spreadsheet would run as a formula (first character = + - @, a tab, CR, NUL or a
// full-width ＝＋－＠), or one beginning with a quote (so the rule can be undone), gets a leading
// quote, and so does a ; tab CR or LF (maybe then one ") that such a character but a tab or CR
// follows (a spreadsheet splitting on ; starts a cell there), as every server CSV does
// (recommender/io/csvsafe.py); then RFC 4180 quoting, of a cell holding ; or a tab too
const FIRST_QUOTED = /^[=+\-@\t\r\x00\uff1d\uff0b\uff0d\uff20']/;
const AFTER_SEPARATOR = /([;\t\r\n]"?)(?=[=+\-@\x00\uff1d\uff0b\uff0d\uff20'])/g;
export const csvCell = (v) => {
  const text = v === null || v === undefined ? "" : String(v);
  const inner = typeof v === "string" ? text.replace(AFTER_SEPARATOR, "$1'") : text;
  const safe = typeof v === "string" && FIRST_QUOTED.test(inner) ? `'${inner}` : inner;
  return /[",;\t\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** A cell of one of our CSV files as the text it came from: ``csvCell``'s quotes removed
    (the leading one, and one after each separator; csvsafe.original_cell). */
export const originalCell = (cell) =>
  cell.replace(/^'/, "").replace(/([;\t\r\n]"?)'/g, "$1");


/** The cells of one CSV line (quotes and doubled quotes as in RFC 4180). */
export function csvCells(line, sep = ",") {
  const out = [];
  let cell = "", quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === sep) { out.push(cell); cell = ""; }
    else cell += c;
  }
  out.push(cell);
  return out;
}

/** The first ``most`` characters (code points) of ``text``: a surrogate pair is not cut. */
const firstChars = (text, most) => Array.from(text).slice(0, most).join("");

/** ``text`` as a file name's part, as the server makes one (service/filenames.py's
    unicode_filename): NFC, each run of characters other than letters, digits and marks of any
    script, "_", "." and "-" as one "_", at most ``most`` characters counted by code point, as
    Python does (a cut by UTF-16 unit would split a letter past U+FFFF). */
export const namePart = (text, fallback = "_", most = 80) =>
  firstChars(String(text).normalize("NFC").replace(/[^\p{L}\p{N}\p{M}_.-]+/gu, "_"), most)
    || fallback;

/** A download's file name from its ``parts`` (kind, inputs, k, model version: empty ones left out),
    each made safe and cut as the server names its audience.csv (service/routes/films.py). */
export function fileName(parts, ext = "csv") {
  const name = parts.filter((p) => p !== undefined && p !== null && p !== "")
    .map((p) => namePart(p)).join("_");
  return `${firstChars(name, 160)}.${ext}`;
}

/** Up to ``most`` of ``ids``, and "andNmore" for the rest (a file name's short list). */
export const fewOf = (ids, most = 3) =>
  [...ids.slice(0, most), ids.length > most ? `and${ids.length - most}more` : ""];

/** A "Pseudonymize ids" checkbox (``id``) beside a page's CSV downloads: ticked, they ask for
    ``pseudonymize=true`` (each user id replaced by its keyed pseudonym, p-<hex>); a server with no
    RECOMMENDER_PSEUDONYM_KEY refuses it, its words the error. ``kept.on`` holds the choice across
    the downloads' redraws; ``changed`` runs after each tick or untick. */
export function pseudonymBox(id, kept, changed = () => {}) {
  const box = h("input", { type: "checkbox", id, checked: kept.on || undefined,
    onchange: () => { kept.on = box.checked; changed(); } });
  return h("label", { class: "check", for: id }, box, " Pseudonymize ids");
}

/** What a download asked again says when it was not drawn as the ``shown`` table was (each a
    {version, seq}, ``answeredAt``: the table's JSON answer, the file's answer): a model reloaded or
    campaign events applied between the two rank the users again, so the file may hold others than
    the table; "" when nothing says they differ. ``what`` names what the file is compared with,
    ``differ`` how it may differ and what to do: each button its own. */
export function rankedAgain(shown, file, { what = "the table",
  differ = "its users may differ from those shown (rank again to see the file's)" } = {}) {
  const apart = (a, b) => Boolean(a && b && a !== b);
  const said = [
    apart(shown.version, file.version) ? `model version ${file.version}, ${what} of ${shown.version}` : "",
    apart(shown.seq, file.seq) ? `campaign events up to ${file.seq}, ${what} up to ${shown.seq}` : "",
  ].filter(Boolean);
  return said.length ? `The file is of ${said.join("; and of ")}: ranked again, so ${differ}.` : "";
}
