// Overview: the served model and its segments.

import { getJson } from "./api.js";
import { h, int, count, pct, lift, section, table, errorBox, filmName, reloadPage } from "./ui.js";

export async function overview(view) {
  const [health, segs] = await Promise.all([getJson("/health"), getJson("/segments")]);
  const m = health.model || {};
  const params = m.params || m.chosen_params || {};
  const family = params.family === "ease" ? "ease" : (m.model || params.model || "");
  const kind = { als: "ALS (implicit feedback)", "als-spark": "ALS (Spark MLlib)",
    bpr: "BPR", lmf: "logistic MF (LMF)", ease: "EASE (item-item)" }[family] || family;
  const unliked = m.films_without_liked;
  const facts = [
    ["Model version", m.model_version], ["Model", kind || "–"],
    ["Trained", m.created], ["Data", dataName(m.data_source)],
    // the campaign store's events since training are counted in: said, with the users new to the
    // model they brought
    ["Users", int(m.users) + (m.store_events && m.store_events.new_users
      ? ` (${int(m.store_events.new_users)} new from campaign events)` : "")],
    ["Films", int(m.films)],
    // to a read or write key (counted "key") the events' total is not shown, only said
    ["Interactions", int(m.interactions) + (!m.store_events ? ""
      : m.store_events.counted === "key" ? " (campaign events since training included)"
        : ` (${count(m.store_events.events_applied, "campaign event")} since training included)`)],
    [family === "ease" ? "Rank" : "Factors", m.factors],
    // those GET /segments lists (the table below), the withheld ones said beside them
    ["Segments", int(m.segments) + (m.segments_withheld
      ? ` (and ${int(m.segments_withheld)} withheld: fewer than ${int(segs.min_cell)} users each)` : "")],
    ...(unliked ? [["Films with nothing fitted", `${int(unliked)} (their audiences are in no meaningful order)`]] : []),
    ...(m.catalog_without_interactions ? [["Catalog films left out",
      `${int(m.catalog_without_interactions)} (no interaction in the log: no audience; a cold-start audience ranks one)`]] : []),
    ...blankRatings(m.blank_ratings),
  ];
  // the options this model reads (a meta.json records every option, read or not)
  const unread = { als: ["learning_rate", "ease_lambda"],
    "als-spark": ["learning_rate", "cg_steps", "ease_lambda", "family", "tune", "fixed"],
    bpr: ["alpha", "cg_steps", "weighting", "bm25_k1", "bm25_b", "ease_lambda"],
    lmf: ["alpha", "cg_steps", "ease_lambda"],
    ease: ["model", "iterations", "regularization", "alpha", "cg_steps", "learning_rate",
      "warm_iterations"] }[family] || [];
  // BM25's constants are read only under bm25 weighting
  if (params.weighting !== "bm25") unread.push("bm25_k1", "bm25_b");
  const paramRows = Object.entries(params)
    .filter(([k]) => !unread.includes(k))
    .filter(([, v]) => v === null || typeof v !== "object")
    .map(([k, v]) => ({ name: k, value: v === null ? "–" : String(v) }));
  const genred = !segs.segments.length || segs.segments.some((s) => (s.top_genres || []).length);
  view.replaceChildren(
    h("h1", {}, "Overview"),
    section("Served model",
      h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "–")])),
      paramRows.length ? table("Training parameters (from the model's meta.json)",
        [{ key: "name", label: "Parameter" }, { key: "value", label: "Value" }], paramRows) : null),
    section("Segments",
      h("p", { class: "note", id: "segments-note" }, "Users grouped by taste (k-means on the model's user vectors). ",
        genred ? ["Lift: how much more the segment watches a genre than all users do.", genreFloor(segs)]
          // said of the segments only: a catalog with genres gives none too when no segment watches
          // a genre above all users
          : "No top genres: no segment watches a genre more than all users do (a catalog with no genres gives none: train with a films.csv holding a genres column beside the log, or --films FILE, to add them)."),
      // the segments of fewer than min_cell users are withheld whole: said, with why
      hiddenSegments(segs),
      table(`${segs.segments.length} segments`, [
        { key: "segment", label: "#", num: true },
        { key: "label", label: "Label" },
        { key: "size", label: "Users", num: true, format: int },
        { key: "share", label: "Share of users", num: true, format: (v) => pct(v) },
        // a catalog without genres (FilmTrust, a ticket export): a column blank in every row
        ...(genred ? [{ key: "top_genres", label: "Top genres (lift)",
          format: (v) => (v || []).map((g) => `${g.genre} ${lift(g.lift)}`).join(", ") }] : []),
        { key: "representative_films", label: "Representative films",
          format: (v) => h("span", {}, (v || []).slice(0, 3).flatMap((f, i) => [
            i ? ", " : "", h("a", { href: `#/film/${encodeURIComponent(f.film_id)}` }, filmName(f))])) },
      ], segs.segments)),
  );
}

/** What top_genres leaves out, from GET /segments' ``min_genre_share`` (0-1), in the words of the
    CLI's legend and the schema (segments.py's TOP_GENRES_FLOOR, to whole percents as its ``:.0%``);
    none from a server that does not report it (no figure typed here). */
function genreFloor(segs) {
  const floor = segs.min_genre_share;
  return typeof floor === "number" ? ` Top genres: genres under ${pct(floor, 0)} of the segment's `
    + "genre views are left out, however high their lift." : null;
}

/** The note on the segments GET /segments withholds (``hidden``: fewer than ``min_cell``
    users each), as the CLI's ``segments`` says it; none when every segment is listed. */
function hiddenSegments(segs) {
  const gone = segs.hidden || { segments: 0, users: 0 };
  if (!gone.segments) return null;
  const n = (v, one) => `${int(v)} ${v === 1 ? one : `${one}s`}`;
  return h("p", { class: "note", id: "segments-hidden" },
    `Hidden: ${n(gone.segments, "segment")} (${n(gone.users, "user")} in all), each of fewer than ` +
    `${int(segs.min_cell)} users (the minimum cell size, RECOMMENDER_MIN_CELL): not listed ` +
    "(a segment's size, label, genres and films would describe its few members).");
}

/** How training read the log's rows with a blank rating (``--blank-ratings``, meta.json's
    data.blank_ratings, as ``info`` says it): a fact only when they were read at all, not under the
    default "refuse" nor for a model that did not record it. */
function blankRatings(read) {
  if (!read || read.choice === "refuse") return [];
  const rows = `${int(read.rows)} ${read.rows === 1 ? "row" : "rows"} of the log`;
  if (read.choice === "drop") return [["Blank ratings", `dropped: ${rows} left out of training`]];
  const given = read.rating_given;
  return [["Blank ratings", `kept as views: ${rows}` + (given !== null && given !== undefined
    ? `; each user-film pair no event rates was given the rating ${given}` : "")]];
}

export function overviewError(view, e) {
  view.replaceChildren(h("h1", {}, "Overview"), errorBox(e, reloadPage));
}

/** The training data's file or folder name, without the server's path to it (not the marketer's to
    read). */
function dataName(source) {
  if (!source) return "–";
  const [path, ...rest] = String(source).split(" + ");  // "... + N events from ..."
  const name = path.replace(/[\\/]+$/, "").split(/[\\/]/).pop() || path;
  return [name, ...rest.map((r) => r.replace(/ from .*$/, ""))].join(" + ");  // no store URL
}
