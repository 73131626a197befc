// What the served model's catalog holds, said on the fields that search or filter by it.

import { servedModelFacts } from "./api.js";
import { h, describedBy, refusal } from "./ui.js";

const NO_GENRES = "This model's catalog has no genres (trained without a films.csv holding a "
  + "genres column, or --films FILE): no genre can be matched.";

/** Fit the fields of a page to the served model's catalog (/health's films_with_title and
    films_with_genres): without titles each of `titles` ({input, label}: a label text to put in
    place of the input's, or none) asks for a film id; without genres each input of `genres` is
    emptied and disabled, with a note saying why. Resolves to the values the genre inputs held when
    emptied (input id -> value; {} when none, or /health did not say). */
export async function fitToCatalog({ titles = [], genres = [] }) {
  const m = await servedModelFacts();
  const cleared = {};
  if (!m) return cleared;  // not said (a keyless caller of a locked server): left as drawn
  if (m.films_with_title === 0) {
    for (const { input, label } of titles) {
      input.placeholder = "type a film id (this model's catalog has no titles)";
      if (label) for (const l of input.labels) l.textContent = label;
    }
  }
  if (m.films_with_genres === 0) {
    for (const input of genres) {
      if (input.value.trim()) cleared[input.id] = input.value;
      input.value = "";
      input.disabled = true;
      input.placeholder = "no genres in this catalog";
      const id = `${input.id}-none`;
      document.getElementById(id)?.remove();
      describedBy(input, id, true);
      input.after(h("p", { class: "note", id }, NO_GENRES));
    }
  }
  return cleared;
}

/** The refusal of a new film's form (Build's, Distribute's) sent with no comparable film and no
    genre, at `find` (the comparable-film search) and `genres`; a catalog without genres (its genre
    field off, fitToCatalog) offers comparable films alone, and the refusal says so. */
export function noComparableRefusal(find, genres) {
  return refusal(genres.disabled ? "choose at least one comparable film "
    + "(this model's catalog has no genres, so a new film is ranked by comparable films alone)"
    : "choose at least one comparable film or genre", find, genres.disabled ? null : genres);
}
