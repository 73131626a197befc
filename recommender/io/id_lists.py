"""Id-list files (one user or film id per line), read with their ids kept byte for byte.

The CLI's ``--users``, ``--films``, ``--seeds``, ``--watched`` and ``--exclude`` read them.
A line is the id as written when the model holds it, else stripped of its surrounding
spaces, else without the quoting our own CSV writers add (``csvsafe``); ``read_opt_outs``
takes every reading the model holds (an opt-out fails safe). A CSV export whose header
names one id column of ``ID_LIST_HEADERS`` beside others is read by that column.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from recommender.errors import DataError
from recommender.io.binary import utf8_text
from recommender.io.csvsafe import csv_unquoted, sheet_unquoted
from recommender.io.delimited import PathLike
from recommender.io.first_line import header_fields
from recommender.io.ids import IdMap
from recommender.io.places import csv_records, data_rows, delimiter_of

#: A first line of an id list that is one of these (in any case) is a header, not an id.
ID_LIST_HEADERS = ("film_id", "user_id", "movieId", "userId", "id")


def _id_lines(path: PathLike, exact: dict[int, str] | None = None, ids: IdMap | None = None,
              said: Callable[[str], None] | None = None) -> tuple[Path, list[tuple[int, str]]]:
    """(1-based line number, id) of every id of an id list (see ``read_id_list``);
    ``exact``, when given, receives each such line as written (no line ending) where it
    differs from its stripped id. A first line spelled as a header in another case
    (``USER_ID``) is a header unless ``ids`` holds it. ``said`` is told of the blank lines
    between ids, skipped (``_said_blank``)."""
    p = Path(path)
    if str(path) == "-":  # standard input (a pipe)
        raw = sys.stdin.buffer.read()
        p = Path("<stdin>")
    elif p.is_dir():
        raise DataError(str(p), "expected a file, found a folder")
    elif not p.exists():
        raise DataError(str(p), "no such file")
    else:  # a file, or a pipe such as /dev/stdin or a shell's <(...)
        raw = p.read_bytes()
    text = utf8_text(p, raw)  # a NUL byte, UTF-16, gzip: as the other readers refuse
    # lines end in LF, CRLF or CR, as in the other readers (str.splitlines also breaks at
    # U+0085, U+2028, U+2029 and \x1c-\x1e, which ids may hold: one id was read as two)
    raw_lines = re.split(r"\r\n|\r|\n", text)
    lines = [(n, s) for n, s in enumerate((line.strip() for line in raw_lines), start=1) if s]
    _said_blank(p, lines, said)
    if exact is not None:
        exact.update((n, raw_lines[n - 1]) for n, s in lines if raw_lines[n - 1] != s)
    # a lone header in any case (``User_ID``), as a CSV export's header and the Studio's
    # pasted list are read (``USERID`` was an unknown user id), unless the model holds it
    if lines and lines[0][0] == 1 and _lone_header(lines[0][1], raw_lines[0], ids):
        lines = lines[1:]
    elif lines and lines[0][0] == 1 and (column := _id_column(p, text)) is not None:
        lines = column  # a CSV export whose header names one id column: that column
        if exact is not None:
            exact.clear()  # a cell's own spaces: csv_cells keeps them where they differ
            exact.update(_cells_as_written(p, text))
    if not lines:
        raise DataError(str(p), "expected one id per line; the file holds no id")
    return p, lines


#: a CSV export's id column, in any case (``User_ID``), as the Studio's Build page reads one
_HEADERS = {h.lower() for h in ID_LIST_HEADERS}


def _lone_header(line: str, written: str, ids: IdMap | None) -> bool:
    """Whether an id list's first ``line`` (stripped; ``written``: as written) is a header: a
    name of ``ID_LIST_HEADERS`` as spelled there, or in another case that ``ids`` (when
    given) holds in neither form (a line is read as written first: " ID" was dropped as a
    header where the model holds user " ID", an opt-out lost)."""
    if line in ID_LIST_HEADERS:
        return True
    return line.lower() in _HEADERS and (ids is None or (line not in ids and written not in ids))


def _csv_header(text: str) -> tuple[str, list[str]] | None:
    """(separator, fields) of ``text``'s first line when it reads as a CSV header naming an
    id column of ``ID_LIST_HEADERS`` (any case) beside other columns; None otherwise."""
    first = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    delimiter = delimiter_of(text)
    if delimiter not in first:
        return None
    fields = [f.strip() for f in header_fields(first, delimiter)]  # a cell of any length
    if len(fields) < 2 or not any(f.lower() in _HEADERS for f in fields):
        return None
    return delimiter, fields


def _column_cells(p: Path, text: str) -> list[tuple[int, str]] | None:
    """(line, cell as written) of the id column of a CSV export (``_csv_header``): the
    column ``user_id``, ``film_id`` or another of ``ID_LIST_HEADERS`` that the header names
    once; a header naming several is ``DataError`` (which one is meant cannot be told)."""
    header = _csv_header(text)
    if header is None:
        return None
    delimiter, fields = header
    named = [f for f in fields if f.lower() in _HEADERS]
    if len(named) != 1 or fields.count(named[0]) != 1:
        raise DataError(str(p), f"expected one id per line, or a CSV with one id column; the "
                                f"header {delimiter.join(fields)!r} names "
                                f"{', '.join(repr(n) for n in named)}: keep one column",
                        line=1)
    col = fields.index(named[0])
    records = csv_records(text, p, delimiter)
    return [(n, row[col]) for n, row in data_rows(records, len(fields), p)]


def _id_column(p: Path, text: str) -> list[tuple[int, str]] | None:
    """``_column_cells`` with each cell stripped, blank cells left out (as blank lines)."""
    cells = _column_cells(p, text)
    return None if cells is None else [(n, c.strip()) for n, c in cells if c.strip()]


def _cells_as_written(p: Path, text: str) -> dict[int, str]:
    """{line: cell} of the id column's cells whose surrounding spaces are their own."""
    return {n: c for n, c in _column_cells(p, text) or [] if c.strip() and c != c.strip()}


#: A duplicate told of (``said``): its line number and the id as read.
Dropped = tuple[int, str]


def _said_dropped(p: Path, dropped: list[Dropped], said: Callable[[str], None] | None
                  ) -> None:
    """Tell ``said`` how many lines repeated an id read before (and the first few): an id
    repeated is read once, at its first line, and was dropped without a word."""
    if said is None or not dropped:
        return
    shown = ", ".join(f"{s!r} (line {n})" for n, s in dropped[:3])
    more = f" and {len(dropped) - 3:,} more" if len(dropped) > 3 else ""
    said(f"{p}: {len(dropped):,} duplicate id{'s' if len(dropped) > 1 else ''} dropped (an id "
         f"repeated is read once, at its first line): {shown}{more}")


def _said_blank(p: Path, lines: list[tuple[int, str]], said: Callable[[str], None] | None
                ) -> None:
    """Tell ``said`` of the blank lines between the first id and the last, skipped (the first
    few): a list cut in two by one was read whole without a word, as if nothing were amiss."""
    if said is None or len(lines) < 2:
        return
    numbers = np.array([n for n, _ in lines], np.int64)
    gap = np.diff(numbers) - 1  # the blank lines after each id
    count = int(gap.sum())
    if count:
        first = [n for g in np.flatnonzero(gap)[:5].tolist()
                 for n in range(int(numbers[g]) + 1, int(numbers[g + 1]))[:5]][:5]
        shown = ", ".join(map(str, first)) + (f" and {count - 5:,} more" if count > 5 else "")
        said(f"{p}: {count:,} blank line{'s' if count > 1 else ''} between ids skipped "
             f"(line{'s' if count > 1 else ''} {shown})")


def read_id_list(path: PathLike, said: Callable[[str], None] | None = None) -> list[str]:
    """Ids from a text file with one id per line.

    Surrounding whitespace is stripped and blank lines are ignored; ids are otherwise kept
    exactly, and an id repeated is read once (at its first line; ``said``, when given, is
    told how many were dropped, ``_said_dropped``). ``-`` reads standard
    input; a pipe (``/dev/stdin``, a shell's ``<(...)``) is read as a file is. A
    first line that is a column name of ``ID_LIST_HEADERS`` (``film_id``,
    ``user_id``, ``movieId``, ``userId``, ``id``) in any case is a header and skipped. Raises
    ``DataError`` when the file is missing, not UTF-8 or holds no id.
    """
    p, lines = _id_lines(path, said=said)
    first: dict[str, int] = {}
    dropped = [(n, s) for n, s in lines if first.setdefault(s, n) != n]
    _said_dropped(p, dropped, said)
    return list(first)  # each id once, in file order


def _readings(path: PathLike, ids: IdMap, said: Callable[[str], None] | None = None
              ) -> tuple[Path, list[tuple[int, str]], list[list[tuple[str, int]]]]:
    """(file, its (line, stripped id) pairs, each line's readings with their indices in
    ``ids``, -1 unknown). A line's readings, in the order they are tried: as written, stripped
    of its surrounding spaces, then without the quoting our own CSV writers add to a cell (an
    id cut from one of our CSV files keeps it): both the double quotes of a plan CSV's every
    text cell and the quote of a spreadsheet-safe cell first, as our writers add both (the
    cell "'-1" of a plan is user "-1"), then each alone ('"u00932"', "'-1": ``csvsafe``)."""
    exact: dict[int, str] = {}
    p, lines = _id_lines(path, exact, ids, said)
    forms = [list(dict.fromkeys((exact.get(n, s), s, sheet_unquoted(csv_unquoted(s)),
                                 csv_unquoted(s), sheet_unquoted(s)))) for n, s in lines]
    found = iter(ids.to_index([f for fs in forms for f in fs], strict=False).tolist())
    return p, lines, [[(f, next(found)) for f in fs] for fs in forms]


def _id_list_as_known(path: PathLike, ids: IdMap, said: Callable[[str], None] | None = None
                     ) -> tuple[Path, list[tuple[int, str]], list[str], NDArray[np.int64]]:
    """(file, its (line, id) pairs, each id as ``ids`` holds it, their indices; -1 unknown).
    Ids are kept byte for byte: a line is its first reading ``ids`` holds (``_readings``: as
    written, so a line " a" is user " a" when the model holds it, even beside "a"; then
    stripped; then without our CSV writers' quoting); unknown ids stay stripped. The lines
    that repeat an id are told to ``said`` (``_said_dropped``), and the blank lines skipped."""
    p, lines, readings = _readings(path, ids, said)
    chosen = [next(((f, j) for f, j in rs if j >= 0), (s, -1))
              for (_, s), rs in zip(lines, readings, strict=True)]
    # each id once, at its first line, as the model holds it (" u1" and "u1" are one id when
    # the model holds "u1" only, two when it holds both)
    first: dict[str, int] = {}
    for i, (form, _) in enumerate(chosen):
        first.setdefault(form, i)
    keep = list(first.values())  # increasing: in file order
    _said_dropped(p, [(lines[i][0], form) for i, (form, _) in enumerate(chosen)
                      if first[form] != i], said)
    return (p, [lines[i] for i in keep], [chosen[i][0] for i in keep],
            np.array([chosen[i][1] for i in keep], np.int64))


def read_id_list_lines(path: PathLike, ids: IdMap, said: Callable[[str], None] | None = None
                       ) -> list[tuple[int, str]]:
    """``read_id_list_as_known``'s ids with the line each was read on: (line, id)."""
    _, lines, known, _ = _id_list_as_known(path, ids, said)
    return [(n, k) for (n, _), k in zip(lines, known, strict=True)]


def read_id_list_as_known(path: PathLike, ids: IdMap,
                          said: Callable[[str], None] | None = None) -> list[str]:
    """``read_id_list``'s ids, each as ``ids`` holds it (``_id_list_as_known``): the line as
    written where ``ids`` holds it, else stripped; unknown ids stay stripped, for the caller to
    name. ``said`` is told of the duplicates dropped."""
    return _id_list_as_known(path, ids, said)[2]


def read_id_list_index(path: PathLike, ids: IdMap, kind: str = "id",
                       hint: Callable[[list[str]], str] | None = None,
                       said: Callable[[str], None] | None = None) -> NDArray[np.int64]:
    """The indices in ``ids`` of the ids of an id list (``read_id_list``), in file order.

    A line is looked up as written first, then stripped (``_id_list_as_known``: ids are kept
    byte for byte). Raises ``DataError`` naming the
    file and the line of the first id ``ids`` does not hold, and how many of the file's ids
    are unknown (``kind`` names them, e.g. ``film_id``), then the ids they may mean (leading
    zeros, spaces, Unicode form) and ``hint`` of the unknown ids, in file order (the titles
    each matches, naming it; ``hints.ids_hint``). ``said`` is told
    of the duplicates dropped (where no id is unknown).
    """
    told: list[str] = []
    p, lines, _, idx = _id_list_as_known(path, ids, told.append)
    missing = np.flatnonzero(idx < 0)
    if len(missing):
        line, first = lines[int(missing[0])]
        unknown = [lines[int(i)][1] for i in missing]
        if len(unknown) == 1:
            count = f"1 of the file's {len(lines):,} ids is unknown"
        else:
            shown = ", ".join(repr(u) for u in unknown[:10])
            more = f" and {len(unknown) - 10:,} more" if len(unknown) > 10 else ""
            count = (f"{len(unknown):,} of the file's {len(lines):,} ids are unknown: "
                     f"{shown}{more}")
        # each unknown id its hint (the first ``hint`` gives), not the first one's alone
        hinted = (ids.did_you_mean(unknown, named=len(unknown) > 1)
                  + (hint(unknown) if hint is not None else ""))
        raise DataError(str(p), f"unknown {kind} {first!r} ({count}){hinted}", line=line)
    if said is not None:  # once every id is known: a refusal prints its one line alone
        for text in told:
            said(text)
    return idx


def read_opt_outs(path: PathLike, ids: IdMap, said: Callable[[str], None] | None = None
                  ) -> list[str]:
    """An opt-out list's ids: every reading of each line that ``ids`` holds (``_readings``),
    so that a line two users could be read as leaves out both (a cell '"q"' cut from a plan
    is user "q", read as user '"q"' when the model holds that too: the opted-out "q" was
    planned); a line ``ids`` holds in no reading stays stripped, for the caller to name.
    File order, each id once: ``said`` is told of the lines that add no id (duplicates)."""
    p, lines, readings = _readings(path, ids, said)
    out: dict[str, None] = {}
    dropped: list[Dropped] = []
    for (n, s), rs in zip(lines, readings, strict=True):
        read = [f for f, j in rs if j >= 0] or [s]
        if all(f in out for f in read):
            dropped.append((n, read[0]))
        out.update(dict.fromkeys(read))
    _said_dropped(p, dropped, said)
    return list(out)
