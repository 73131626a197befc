"""Id-list files (one user or film id per line), read with their ids kept byte for byte.

The CLI's ``--users``, ``--films``, ``--seeds``, ``--watched`` and ``--exclude`` read them.
A line is the id as written when the model holds it, else stripped of its surrounding
spaces, else without the quoting our own CSV writers add (``csvsafe``); ``read_opt_outs``
takes every reading the model holds (an opt-out fails safe).
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
from recommender.io.ids import IdMap

#: A first line of an id list that is exactly one of these is a header, not an id.
ID_LIST_HEADERS = ("film_id", "user_id", "movieId", "userId", "id")


def _id_lines(path: PathLike, exact: dict[int, str] | None = None
              ) -> tuple[Path, list[tuple[int, str]]]:
    """(1-based line number, id) of every id of an id list (see ``read_id_list``);
    ``exact``, when given, receives each such line as written (no line ending) where it
    differs from its stripped id."""
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
    if exact is not None:
        exact.update((n, raw_lines[n - 1]) for n, s in lines if raw_lines[n - 1] != s)
    if lines and lines[0][0] == 1 and lines[0][1] in ID_LIST_HEADERS:
        lines = lines[1:]
    if not lines:
        raise DataError(str(p), "expected one id per line; the file holds no id")
    return p, lines


def read_id_list(path: PathLike) -> list[str]:
    """Ids from a text file with one id per line.

    Surrounding whitespace is stripped and blank lines are ignored; ids are otherwise kept
    exactly, and an id repeated is read once (at its first line). ``-`` reads standard
    input; a pipe (``/dev/stdin``, a shell's ``<(...)``) is read as a file is. A
    first line that is exactly a column name of ``ID_LIST_HEADERS`` (``film_id``,
    ``user_id``, ``movieId``, ``userId``, ``id``) is a header and skipped. Raises
    ``DataError`` when the file is missing, not UTF-8 or holds no id.
    """
    return list(dict.fromkeys(s for _, s in _id_lines(path)[1]))  # each id once


def _id_list_as_known(path: PathLike, ids: IdMap
                     ) -> tuple[Path, list[tuple[int, str]], list[str], NDArray[np.int64]]:
    """(file, its (line, id) pairs, each id as ``ids`` holds it, their indices; -1 unknown).
    Ids are kept byte for byte: a line is looked up as written first, and stripped of its
    surrounding spaces only when ``ids`` does not hold it as written (so a line " a" is user
    " a" when the model holds it, even beside "a"); unknown ids stay stripped. A line our CSV
    writers quoted (a plan CSV's '"u1"', a spreadsheet-safe "'-1": ``csvsafe``; or both) is
    read without those quotes when ``ids`` holds it so and not as written."""
    exact: dict[int, str] = {}
    p, lines = _id_lines(path, exact)
    forms = [exact.get(n, s) for n, s in lines]
    idx = ids.to_index(forms, strict=False)
    retry = [i for i in np.flatnonzero(idx < 0).tolist() if lines[i][0] in exact]
    if retry:
        idx[retry] = ids.to_index([lines[i][1] for i in retry], strict=False)
        for i in retry:
            forms[i] = lines[i][1]
    # an id cut from one of our CSV files keeps its cell's quoting: the double quotes of a
    # plan CSV's every text cell ('"u00932"', an opt-out list cut from a plan was not applied)
    # and the quote a spreadsheet-safe cell carries ("'-1" for user "-1", csvsafe.safe_cell):
    # undone when the model holds the id without them and not with them; both first, as our
    # writers add both (the cell "'-1" of a plan is user "-1": read as "'-1" when the model
    # holds that too, an opt-out of "-1" left them in the plan)
    for undo in (lambda t: sheet_unquoted(csv_unquoted(t)), csv_unquoted, sheet_unquoted):
        tried = {i: undo(lines[i][1]) for i in np.flatnonzero(idx < 0).tolist()}
        tried = {i: t for i, t in tried.items() if t != lines[i][1]}
        if tried:
            found = ids.to_index(list(tried.values()), strict=False)
            for (i, t), j in zip(tried.items(), found.tolist(), strict=True):
                if j >= 0:
                    idx[i], forms[i] = j, t
    # each id once, at its first line, as the model holds it (" u1" and "u1" are one id when
    # the model holds "u1" only, two when it holds both)
    first: dict[str, int] = {}
    for i, form in enumerate(forms):
        first.setdefault(form, i)
    keep = list(first.values())  # increasing: in file order
    return p, [lines[i] for i in keep], [forms[i] for i in keep], idx[keep]


def read_id_list_as_known(path: PathLike, ids: IdMap) -> list[str]:
    """``read_id_list``'s ids, each as ``ids`` holds it (``_id_list_as_known``): the line as
    written where ``ids`` holds it, else stripped; unknown ids stay stripped, for the caller to
    name."""
    return _id_list_as_known(path, ids)[2]


def read_id_list_index(path: PathLike, ids: IdMap, kind: str = "id",
                       hint: Callable[[str], str] | None = None) -> NDArray[np.int64]:
    """The indices in ``ids`` of the ids of an id list (``read_id_list``), in file order.

    A line is looked up as written first, then stripped (``_id_list_as_known``: ids are kept
    byte for byte). Raises ``DataError`` naming the
    file and the line of the first id ``ids`` does not hold, and how many of the file's ids
    are unknown (``kind`` names them, e.g. ``film_id``), then ``hint`` of that id (the titles
    a film title matches) when no id differs from it by leading zeros only.
    """
    p, lines, _, idx = _id_list_as_known(path, ids)
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
        said = ids.did_you_mean([first]) or (hint(first) if hint is not None else "")
        raise DataError(str(p), f"unknown {kind} {first!r} ({count}){said}", line=line)
    return idx


def read_opt_outs(path: PathLike, ids: IdMap) -> list[str]:
    """An opt-out list's ids: every reading of each line that ``ids`` holds (as written,
    stripped, without our CSV writers' quoting: ``_id_list_as_known``'s forms), so that a
    line two users could be read as leaves out both (a cell '"q"' cut from a plan is user
    "q", read as user '"q"' when the model holds that too: the opted-out "q" was planned); a
    line ``ids`` holds in no reading stays stripped, for the caller to name. File order,
    each id once."""
    exact: dict[int, str] = {}
    _, lines = _id_lines(path, exact)
    forms: list[list[str]] = []
    for n, s in lines:
        both = sheet_unquoted(csv_unquoted(s))
        forms.append(list(dict.fromkeys(
            (exact.get(n, s), s, both, csv_unquoted(s), sheet_unquoted(s)))))
    flat = [f for fs in forms for f in fs]
    held = iter((ids.to_index(flat, strict=False) >= 0).tolist())
    out: dict[str, None] = {}
    for (_, s), fs in zip(lines, forms, strict=True):
        known = [f for f in fs if next(held)]
        out.update(dict.fromkeys(known or [s]))
    return list(out)
