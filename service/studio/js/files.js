// CSV cells and download file names, written as the server writes them.

// a text cell a spreadsheet would run as a formula, or one that begins with a quote (so the
// rule can be undone), gets a leading quote, as every server CSV does
// (recommender/io/csvsafe.py); then RFC 4180 quoting
export const csvCell = (v) => {
  const text = v === null || v === undefined ? "" : String(v);
  const safe = typeof v === "string" && /^[=+\-@\t\r']/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};


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
    unicode_filename): in Unicode form NFC, each run of characters other than letters,
    digits and marks of any script, "_", "." and "-" as one "_", at most ``most`` characters,
    counted as Python counts them, by code point ("ß" and "עברית" were both "_": two films'
    downloads under one name; "हिन्दी" was "ह_न_द_", and a cut by UTF-16 unit split a
    letter past U+FFFF, a rarer CJK character, in two). */
export const namePart = (text, fallback = "_", most = 80) =>
  firstChars(String(text).normalize("NFC").replace(/[^\p{L}\p{N}\p{M}_.-]+/gu, "_"), most)
    || fallback;

/** A download's file name from its ``parts`` (kind, inputs, k, model version: empty ones left
    out), each made safe and cut as the server names its audience.csv (service/routes/films.py);
    a fixed "lookalikes.csv" said nothing of what it held, and a second became "(1)". */
export function fileName(parts, ext = "csv") {
  const name = parts.filter((p) => p !== undefined && p !== null && p !== "")
    .map((p) => namePart(p)).join("_");
  return `${firstChars(name, 160)}.${ext}`;
}

/** Up to ``most`` of ``ids``, and "andNmore" for the rest (a file name's short list). */
export const fewOf = (ids, most = 3) =>
  [...ids.slice(0, most), ids.length > most ? `and${ids.length - most}more` : ""];
