"""What ``train`` says of how the training catalog's film ids met the log's.

A catalog none of whose ids are the log's (``01`` in the log for ``1`` in ``movies.csv``) was
said only as "9,742 films of the catalog without an interaction in the log": nothing counted
how many of its ids were films of the log, as ``--users`` is counted, nor said why none was.
``meta.json``'s ``catalog_coverage`` (``recommender.model.catalog_only.coverage``) holds the
counts for every layout (``movies.csv``, ``u.item``, ``--films``); this module prints them.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recommender.model.model import Model

ID_HINT = ("is it the log's film id column (a spreadsheet may have dropped leading zeros, "
           "007 read as 7, or padded or re-cased ids)?")


def _first(ids: list[Any], total: int) -> str:
    """``ids`` quoted, and how many more ``total`` counts."""
    more = f" and {total - len(ids):,} more" if total > len(ids) else ""
    return ", ".join(repr(str(i)) for i in ids) + more


def say_coverage(model: Model, where: str, line: bool, rowless: bool) -> None:
    """Say how many of the catalog's film ids are films of the log (stdout), and warn (stderr)
    when fewer than half of the log's films have a catalog row, with why: its ids that match a
    film of the log but for leading zeros, spaces, case or Unicode form (``line``: for a
    catalog no ``metadata_matches`` line counts, a dataset folder's ``movies.csv`` or
    ``u.item``); ``rowless``: note the log's films without a catalog row, the first named."""
    from recommender.model import catalog_only

    covered = model.meta.get(catalog_only.COVERAGE)
    if not isinstance(covered, dict):
        return
    n, matched, k = int(covered["films"]), int(covered["of_the_log"]), len(model.films)
    near = catalog_only.near_text(covered)
    if line:
        text = (f"the catalog of {where}: {matched:,} of its {n:,} film ids are films of the "
                f"log ({matched / max(k, 1):.1%} of its {k:,} films)")
        if 2 * matched < k:  # few or none: most of the log's films are untitled
            print(f"warning: {text}: {near or ID_HINT}", file=sys.stderr)
        else:
            print(text)
            if near:
                print(f"warning: the catalog of {where}: {near}", file=sys.stderr)
    left = int(covered["log_films_without_row"])
    if rowless and matched and left:
        print(f"note: {left:,} of the log's {k:,} films have no row in the catalog of {where} "
              f"({_first(covered['first_without_row'], left)}): they are untitled and without "
              "genres (search finds them by id only; genre filters and segments leave them out)",
              file=sys.stderr)


def first_without_row(model: Model) -> str:
    """" ('f7', 'f9' and 3 more)": the log's films without a catalog row, or ""."""
    from recommender.model.catalog_only import COVERAGE

    covered = model.meta.get(COVERAGE)
    if not isinstance(covered, dict) or not covered.get("log_films_without_row"):
        return ""
    return f" ({_first(covered['first_without_row'], int(covered['log_films_without_row']))})"


def no_titles(model: Model) -> str:
    """Why no film of ``model`` has a title: its training data named none, or its catalog
    named only films that are not the log's (ids written otherwise, ``1`` for the log's
    ``01``: said as the data naming no title, which was false)."""
    from recommender.model import catalog_only

    covered = model.meta.get(catalog_only.COVERAGE)
    # a model from before the coverage was recorded: which catalog films were the log's is
    # unknown (its count of catalog films without interactions says nothing of it)
    covered = covered if isinstance(covered, dict) else {}
    unmet = int(covered.get("films", 0))
    if unmet and not int(covered.get("of_the_log", 0)):
        why = catalog_only.near_text(covered) or ID_HINT
        return (f"no film has a title: the training catalog had {unmet:,} films, none of "
                f"them a film of the log: {why}; search finds a film of the model by its "
                "exact id")
    return ("no film has a title: the model's catalog has none (its training data named "
            "none: train with a films.csv holding a title column beside the log, or --films "
            "FILE); search finds a film by its exact id")


def warn_title_breaks(model: Model, files: list[Any]) -> None:
    """Warn (stderr) of the model's titles holding a line break or another control character
    (``Jumanji\\n(1995)``: a quoted CSV cell spanning lines), naming the line of the first in
    the first of ``files`` (the catalogs read, None for none) that holds one: the title is
    kept byte for byte (JSON, CSV and search give it as stored), tables show it escaped
    (``\\n``, the row kept on one line), where it was accepted without a word."""
    from pathlib import Path

    import numpy as np
    import pyarrow.compute as pc

    from recommender.errors import DataError
    from recommender.io import arrow_numpy as an
    from recommender.io.project import TITLE_BREAK, title_breaks

    titles = an.from_strings(np.asarray(model.catalog.titles, dtype=str))
    hit = np.asarray(an.values(pc.match_substring_regex(titles, TITLE_BREAK)), bool)
    if not hit.any():
        return
    n, place = int(hit.sum()), ""
    for f in [Path(f) for f in files if f is not None and Path(f).is_file()]:
        try:
            _, first = title_breaks(f)
        except (OSError, ValueError, DataError):  # another layout (u.item): no line
            continue
        if first:
            line, film, title = first[0]
            place = f"{f}{f', line {line}' if line else ''}: "
            break
    else:
        i = int(np.flatnonzero(hit)[0])
        film, title = str(model.films.ids[i]), str(titles[i])
    others = (f", as {n - 1:,} other title{'s' * (n != 2)} of the catalog do{'es' * (n == 2)}"
              if n > 1 else "")
    print(f"warning: {place}the title of film {film!r}, {ascii(title)}, holds a line break "
          f"or another control character (a quoted CSV cell spanning lines){others}: kept "
          "byte for byte (JSON, CSV and search give it as stored), tables show it escaped "
          "(\\n) on one line; fix the catalog if that was not meant", file=sys.stderr)
