"""Which column of a CSV export an id list is read from: the one its header names as ids.

The Studio's Build page reads a pasted or uploaded seed list by the same rule
(``service/studio/js/seed_list.js``), so the two read the same ids from the same file.
"""

from __future__ import annotations

import re
from pathlib import Path

from recommender.errors import DataError
from recommender.io.first_line import header_fields
from recommender.io.ids import IdMap
from recommender.io.places import csv_records, data_rows, delimiter_of

#: A first line of an id list that is one of these (in any case, spaces, ``_`` and ``-``
#: aside: ``User ID``) is a header, not an id.
ID_LIST_HEADERS = ("film_id", "user_id", "movieId", "userId", "id")


def header_key(name: str) -> str:
    """A column name as it is matched: lower case, without spaces, ``_`` or ``-`` (``User ID``,
    ``user_id``, ``userId`` and ``USER-ID`` are one name)."""
    return re.sub(r"[\s_-]+", "", name).lower()


#: the names of an id column, as matched (``header_key``)
ID_KEYS = frozenset(header_key(h) for h in ID_LIST_HEADERS)


def _refused(p: Path, fields: list[str], delimiter: str, why: str) -> DataError:
    return DataError(str(p), f"expected one id per line, or a CSV with one id column; the "
                             f"header {delimiter.join(fields)!r} {why}", line=1)


def _chosen(p: Path, fields: list[str], delimiter: str, column: str | None) -> int | None:
    """The index of the id column among a header's ``fields``: ``column`` (by name, as
    written or as ``header_key`` matches it) when given, else the one field named like an
    id column (``ID_KEYS``); None when none is (the caller decides); ``DataError`` when
    ``column`` is not a column or several are meant."""
    if column is not None:
        hits = [i for i, f in enumerate(fields) if f == column.strip()]
        hits = hits or [i for i, f in enumerate(fields) if header_key(f) == header_key(column)]
        if len(hits) == 1:
            return hits[0]
        names = ", ".join(repr(f) for f in fields)
        raise _refused(p, fields, delimiter, f"has {'no' if not hits else len(hits)} column "
                                             f"named {column!r} (its columns: {names})")
    named = [i for i, f in enumerate(fields) if header_key(f) in ID_KEYS]
    if len(named) > 1:
        shown = ", ".join(repr(fields[i]) for i in named)
        raise _refused(p, fields, delimiter, f"names {len(named)} id columns ({shown}): keep "
                                             "one column, or choose one with --id-column "
                                             "NAME")
    return named[0] if named else None


def first_line_held(first: str, ids: IdMap) -> bool:
    """Whether ``ids`` holds an id list's ``first`` line (as written or stripped) as an id:
    then it is an id, never a header, even where it names an id column ("comma,id", a user
    of the model, read as a header naming column ``id``: the list's users were read from
    that column and the opted-out "comma,id" was planned)."""
    return bool((ids.to_index(list(dict.fromkeys((first, first.strip()))), strict=False)
                 >= 0).any())


def column_cells(p: Path, text: str, ids: IdMap | None = None, column: str | None = None
                 ) -> list[tuple[int, str]] | None:
    """(line, cell as written) of the id column of a CSV export, or None for a list of one
    id per line. The column is ``column`` when given, else the one the header names like an
    id column (``user_id``, ``User ID``, ``userId``, ``id``, ``film_id``: ``header_key``);
    a header naming several is ``DataError`` naming them (which one is meant cannot be
    told); but a first line ``ids`` holds as an id (``first_line_held``) is one, never a
    header, and the file is one id per line. A table whose header names none (every line as
    many fields as it, two or more), none of whose lines ``ids`` holds as an id
    (``Email,Name``), is ``DataError`` naming its columns: its whole lines were read as ids,
    all unknown. Without ``ids`` (no model to
    ask whether the lines are ids holding the separator) such a file is one id per line."""
    first = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    delimiter = delimiter_of(text)
    if column is None and delimiter not in first:
        return None
    fields = [f.strip() for f in header_fields(first, delimiter)]  # a cell of any length
    if column is None and len(fields) < 2:
        return None
    if column is None and ids is not None and first_line_held(first, ids):
        return None  # a first line the model holds is an id, not a header: whole lines
    col = _chosen(p, fields, delimiter, column)
    records = csv_records(text, p, delimiter)
    if col is None:
        rows = [row for _, row in records[1:] if row and any(c.strip() for c in row)]
        if ids is None or not rows or any(len(row) != len(fields) for row in rows):
            return None  # one id per line: ids that hold the separator
        lines = [x.strip() for x in re.split(r"\r\n|\r|\n", text) if x.strip()]
        if (ids.to_index(lines, strict=False) >= 0).any():
            return None  # the model's ids hold the separator: whole lines are its ids
        raise _refused(p, fields, delimiter, "names no id column (one named like user_id, "
                                             "User ID, userId or id; its columns: "
                                             f"{', '.join(repr(f) for f in fields)}): name "
                                             "the column of ids so, or choose it with "
                                             "--id-column NAME")
    return [(n, row[col]) for n, row in data_rows(records, len(fields), p)]
