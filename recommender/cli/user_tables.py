"""The ``attributes`` and ``segments`` commands: the users' attribute values and the segments.

Each prints ``GET /users/attributes`` or ``GET /segments`` as a table (``--json``: the body),
with the store's new users counted as served.
"""

from __future__ import annotations

import argparse

from recommender.cli.commands import answer_model
from recommender.cli.printing import (
    MIN_CELL_SOURCE,
    NO_VALUE,
    json_printed,
    no_attributes_text,
    print_table,
)
from recommender.io.text import plural


def cmd_attributes(args: argparse.Namespace) -> int:
    import numpy as np

    from recommender.query.attribute_values import user_attributes

    model = answer_model(args)
    body = user_attributes(model)  # with the store's new users, as served
    if json_printed(args.json, body, model):
        return 0
    if not body["attributes"]:  # and no table: its header alone read as a table cut short
        print(no_attributes_text(model.meta))
        return 0
    without = body["without_value"]
    # the values users hold: the list adds a town per region of a city named in several
    # ("Springfield (North)"), which the count of distinct values counted as values too
    held = {name: set(np.unique(np.asarray(model.user_table.attributes[name], str)).tolist())
            - {""} for name in body["attributes"]}
    print_table(["attribute", "values", "distinct values (count)", "users without a value"], [
        [name, (", ".join(values[:12]) + (f" and {len(values) - 12:,} more"
                                          if len(values) > 12 else "")) or "(none listed)",
         len(held[name]),
         "hidden" if without[name] is None else plural(without[name], "user", sep=",")]
        for name, values in body["attributes"].items()])
    for name, values in body["attributes"].items():
        towns = [v for v in values if v not in held[name]]
        if towns:
            print(f"{name}: its values also list {plural(len(towns), 'town', sep=',')} of a "
                  f"name held in several regions ({towns[0]}...), as --filter takes them")
    cell = body["min_cell"]
    for name, gone in body["hidden_values"].items():  # as the portrait says its hidden values
        if gone["values"]:
            print(f"hidden: {plural(gone['values'], f'{name} value', sep=',')} "
                  f"({plural(gone['users'], 'user', sep=',')} "
                  f"in all), each of fewer than {cell:,} users {MIN_CELL_SOURCE}: not listed; "
                  "a filter takes one typed exactly as the users file spells it")
    if any(n != 0 for n in without.values()):  # hidden ones are some users too
        print(f"users without a value: --filter 'ATTRIBUTE={NO_VALUE}' lists them")
    if any(n is None for n in without.values()):
        print(f"hidden: fewer than {plural(cell, 'user', sep=',')} have no value, or fewer "
              f"than {cell:,} have one {MIN_CELL_SOURCE}")
    return 0


def cmd_segments(args: argparse.Namespace) -> int:
    from recommender.model.segments import TOP_GENRES_FLOOR
    from recommender.query.catalog import segments_answer

    model = answer_model(args)
    body = segments_answer(model)  # sizes with the store's new users, as served
    if json_printed(args.json, body, model):
        return 0
    rows, gone = body["segments"], body["hidden"]
    hidden = (f"hidden: {plural(gone['segments'], 'segment', sep=',')} "
              f"({plural(gone['users'], 'user', sep=',')} in all), each of fewer than "
              f"{body['min_cell']:,} users {MIN_CELL_SOURCE}: not listed (a segment's size, "
              "label, genres and films would describe its few members)")
    if not rows:  # and no table: its header alone read as a table cut short
        print(hidden)
        return 0
    # a catalog without genres (FilmTrust, a ticket export) gives no segment a top genre: the
    # column was blank in every row, under a legend explaining genre lifts
    genres = bool((model.catalog.genres != "").any())
    print_table(["segment", "label", "size", "share"] + ["top_genres"] * genres
                 + ["representative_films"], [
        [s["segment"], s["label"], s["size"], f"{s['share']:.4f}"]
        + [", ".join(f"{g['genre']} (lift {g['lift']:.3f})" for g in s["top_genres"])] * genres
        + [", ".join(f["title"] or f["film_id"] for f in s["representative_films"][:3])]
        for s in rows])
    print("size: the segment's users; share: its share of all users (0-1); "
          + ("top_genres: lift = the genre's share of the genres of the films the segment's "
             f"users watched / its share over all users (above 1); {TOP_GENRES_FLOOR}; "
             if genres else "")
          + "representative_films: the films its users watch most above others, by lift x the "
          "share who watched (first three; --json gives each lift)"
          + ("" if genres else "; no top_genres: the model's catalog has no genres (its "
             "training data named none: train with a films.csv holding a genres column beside "
             "the log, or --films FILE)"))
    if gone["segments"]:
        print(hidden)
    return 0
