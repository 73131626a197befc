// A seed list pasted or uploaded on the Build page, read as the CLI reads `lookalike --seeds`
// (recommender/io/id_lists.py and id_list_columns.py): the same file gives the same ids.

// the names of an id column, as matched (id_list_columns.header_key): lower case, without
// spaces, "_" or "-" ("User ID", "user_id", "userId" and "ID" are one name each)
const ID_KEYS = new Set(["filmid", "userid", "movieid", "id"]);
export const headerKey = (name) => name.replace(/[\s_-]+/g, "").toLowerCase();

/** Whether a line or cell is an id: not empty nor ASCII blanks only (id_columns.blank_id,
    the one rule: a no-break space alone is a user's id, as training keeps it). */
const notBlank = (s) => /[^ \t\n\r\f\v]/.test(s);

// the CSV module's reading (Python's csv, default dialect): records end at a line break outside
// quotes; a quote opens a quoted field only at a field's start, a doubled one inside is one quote,
// what follows a closing quote is kept as written
function csvRecords(text, sep) {
  const records = [];
  let row = [], cell = "", state = "start";
  const endCell = () => { row.push(cell); cell = ""; };
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text[i] : null;
    if (state === "quoted") {
      if (c === '"') state = "quote";
      else if (c === null) { endCell(); records.push(row); return records; }
      else cell += c;
      continue;
    }
    if (state === "quote" && c === '"') { cell += '"'; state = "quoted"; continue; }
    if (c === null || c === "\n" || c === "\r") {
      if (c !== null || state !== "start" || row.length || cell) { endCell(); records.push(row); }
      row = []; state = "start";
      if (c === "\r" && text[i + 1] === "\n") i++;
      continue;
    }
    if (c === sep) { endCell(); state = "start"; continue; }
    if (state === "start" && c === '"') { state = "quoted"; continue; }
    cell += c;
    state = "field";
  }
  return records;
}

// a refusal of a header whose id column is not told: ``columns``, its fields, for the Build page's
// "Column of ids" (the CLI's --id-column)
const refused = (fields, sep, why, columns = undefined) => Object.assign(new Error(
  `expected one id per line, or a CSV with one id column; the header ${JSON.stringify(fields.join(sep))} ${why}`),
{ columns });

/** The index of ``column`` among a header's ``fields``: by name as written (spaces around it
    aside), else as ``headerKey`` matches it; one column only (id_list_columns._chosen). */
function chosenIndex(fields, sep, column) {
  let hits = fields.flatMap((f, i) => (f === column.trim() ? [i] : []));
  if (!hits.length) hits = fields.flatMap((f, i) => (headerKey(f) === headerKey(column) ? [i] : []));
  if (hits.length === 1) return hits[0];
  throw refused(fields, sep, `has ${hits.length ? hits.length : "no"} column named '${column}' `
    + `(its columns: ${fields.map((f) => `'${f}'`).join(", ")})`);
}

/** The id column's cells as written, or null for a list of one id per line
    (id_list_columns.column_cells); ``column``: the id column by name (the CLI's --id-column), else
    the one the header names so. */
function columnCells(text, first, column = null) {
  // the separator: ";" or a tab where the first line holds one and no comma (places.delimiter_of)
  const sep = [";", "\t"].find((d) => first.includes(d) && !first.includes(",")) || ",";
  if (column === null && !first.includes(sep)) return null;
  const fields = csvRecords(first, sep)[0].map((f) => f.trim());
  if (column === null && fields.length < 2) return null;
  const named = column !== null ? [chosenIndex(fields, sep, column)]
    : fields.flatMap((f, i) => (ID_KEYS.has(headerKey(f)) ? [i] : []));
  const columns = fields.map((f) => `'${f}'`).join(", ");
  if (named.length > 1) {
    throw refused(fields, sep, `names ${named.length} id columns (${named.map((i) =>
      `'${fields[i]}'`).join(", ")}): keep one column, or choose one under “Column of ids”`, fields);
  }
  const rows = csvRecords(text, sep).slice(1).filter((r) => r.some((c) => c.trim()));
  if (!named.length) {
    if (!rows.length || rows.some((r) => r.length !== fields.length)) return null;
    // refused only where the model holds none of the lines as an id (readSeeds asks)
    throw Object.assign(refused(fields, sep, "names no id column (one named like user_id, "
      + `User ID, userId or id; its columns: ${columns}): name the column of ids so, or choose it under “Column of ids”`, fields),
    { perLine: true });
  }
  const bad = rows.find((r) => r.length !== fields.length);
  if (bad) throw new Error(`a row of ${bad.length} fields, expected ${fields.length}: `
    + JSON.stringify(bad.join(sep)));
  return rows.map((r) => r[named[0]]);
}

/** User ids from pasted text or a file, each as written (the server strips an id the model does not
    hold, as for the CLI): a CSV whose header names one id column (``User ID``, ``user_id``, ``id``,
    any case and spacing) gives its cells; a header naming two or none throws (``columns``: its
    fields, to choose from); otherwise one id per line, a first line named so skipped, and a single
    line of ids separated by commas, semicolons or tabs gives each. ``column``: the id column by
    name, as the CLI's --id-column. */
export function parseIds(text, column = null) {
  const lines = text.split(/\r\n|\r|\n/);
  const first = lines[0];
  if (column !== null) return columnCells(text, first, column).filter(notBlank);
  if (first.trim() && !ID_KEYS.has(headerKey(first.trim()))) {
    const cells = columnCells(text, first);
    if (cells) return cells.filter(notBlank);
  }
  return perLine(lines);
}

/** ``parseIds`` (of ``column``, when chosen) where a model answers: ``{ ids, unlessHeld,
    ifFirstHeld }``. A table whose header names
    no id column is one id per line (``ids``, as written) with ``unlessHeld`` its refusal,
    which stands only where the model holds none of its lines, stripped, as an id
    (id_list_columns.column_cells: ids holding ",", ";" or a tab are whole lines); any other
    text is ``parseIds``'s reading, ``unlessHeld`` null. A CSV read by the id column its
    first line names gives ``ifFirstHeld``: ``{ first, ids }``, that line and the whole
    lines, the reading where the model holds ``first`` as an id (as written or stripped:
    id_list_columns.first_line_held; "comma,id" a user was read as a header), else null. */
export function readSeeds(text, column = null) {
  try {
    const ids = parseIds(text, column);
    const lines = text.split(/\r\n|\r|\n/);
    const first = lines[0];
    const named = column === null && first.trim() && !ID_KEYS.has(headerKey(first.trim()))
      && columnCells(text, first) !== null;
    return { ids, unlessHeld: null, ifFirstHeld: named ? { first, ids: perLine(lines) } : null };
  } catch (err) {
    if (!err.perLine) throw err;
    return { ids: perLine(text.split(/\r\n|\r|\n/)), unlessHeld: err, ifFirstHeld: null };
  }
}

/** What the Build page says beside a seed list whose first line it skipped as a header (as the CLI
    and HTTP say it): how many ids it read, and that line; "" where none is skipped or the list is
    refused. ``column``: the id column chosen. */
export function headerNote(text, column = null) {
  const first = text.split(/\r\n|\r|\n/)[0].trim();
  if (column !== null || !ID_KEYS.has(headerKey(first))) return "";
  let ids;
  try { ({ ids } = readSeeds(text, column)); } catch { return ""; }
  const n = new Set(ids).size;
  return `${n.toLocaleString("en")} id${n === 1 ? "" : "s"} read: the first line '${first}' was `
    + "read as a header (a column name) and skipped; an id list needs no header.";
}

/** One id per line, a first line named like an id column skipped; a single line typed as
    a list of ids separated by commas, semicolons or tabs gives each. */
function perLine(lines) {
  const ids = lines.filter((l, i) => notBlank(l) && !(i === 0 && ID_KEYS.has(headerKey(l.trim()))));
  // a single line typed as a list: its pieces (a file of one id per line is read whole)
  return ids.length === 1 && /[,;\t]/.test(ids[0])
    ? ids[0].split(/[,;\t]+/).filter(notBlank) : ids;
}

// the quote a spreadsheet-safe cell of ours starts with, and one after a separator
// (csvsafe.sheet_unquoted), before a character that gets one
const PREFIXED = /^'[=+\-@\t\r\x00\uff1d\uff0b\uff0d\uff20']/;
const ADDED_BEFORE = /([;\t\r\n]"?)'([=+\-@\x00\uff1d\uff0b\uff0d\uff20'])/g;
const sheetUnquoted = (t) => (PREFIXED.test(t) ? t.slice(1) : t).replace(ADDED_BEFORE, "$1$2");
// a cell's own double quotes ('"a""b"' is 'a"b': csvsafe.csv_unquoted)
const csvUnquoted = (t) => (t.length >= 2 && t[0] === '"' && t[t.length - 1] === '"'
  && !t.slice(1, -1).replace(/""/g, "").includes('"') ? t.slice(1, -1).replace(/""/g, '"') : t);

/** The other readings of a seed the model holds neither as written nor stripped, in the order the
    CLI tries them (id_lists._readings): without both a CSV cell's double quotes and a
    spreadsheet-safe quote, then each alone. */
export function otherReadings(id) {
  const s = id.trim();
  return [...new Set([sheetUnquoted(csvUnquoted(s)), csvUnquoted(s), sheetUnquoted(s)])]
    .filter((f) => f !== id && f !== s);
}
