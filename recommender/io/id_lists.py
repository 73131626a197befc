"""Id-list files (one user or film id per line), read with their ids kept byte for byte.

The CLI's ``--users``, ``--films``, ``--seeds``, ``--watched`` and ``--exclude`` read them,
``forget --users`` too (``read_id_list_held``: as a campaign store holds them).
A line is the id as written when the model holds it, else stripped of its surrounding
spaces, else without the quoting our own CSV writers add (``csvsafe``); a first line that is
a column name (``user_id``, ``movieId``) and no id of the model is a header, skipped and said
(a first line the model holds is an id); ``read_opt_outs``
takes every reading the model holds (an opt-out fails safe). A CSV export whose header
names one id column (``id_list_columns``) beside others is read by that column; each reader
takes ``column``, the one named so instead (the CLI's ``--id-column``).
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
from recommender.io.csvsafe import csv_unquoted, sheet_text, sheet_unquoted
from recommender.io.delimited import PathLike
from recommender.io.first_line import header_fields
from recommender.io.id_columns import blank_id
from recommender.io.id_list_columns import ID_KEYS, column_cells, header_key
from recommender.io.ids import IdMap, opt_out_read_note, opt_out_readings, opt_out_twin_groups
from recommender.io.places import delimiter_of


def _id_lines(path: PathLike, exact: dict[int, str] | None = None, ids: IdMap | None = None,
              said: Callable[[str], None] | None = None, column: str | None = None,
              other: list[tuple[int, str]] | None = None, read_by: list[str] | None = None
              ) -> tuple[Path, list[tuple[int, str]]]:
    """(1-based line number, id) of every id of an id list (see ``read_id_list``);
    ``exact``, when given, receives each such line as written (no line ending) where it
    differs from its stripped id. A first line that is a column name (``user_id``,
    ``USER_ID``, ``movieId``: ``_lone_header``) is a header unless ``ids`` holds it as an id,
    and ``said`` is told it was read so (``_said_header``), as it is of the blank lines
    between ids, skipped (``_said_blank``). A CSV export is read by its id column
    (``id_list_columns.column_cells``; ``column``: the one named so). ``other``, when given,
    receives the lines of the reading not taken, as written, where a file reads two ways
    (a CSV export's whole lines; the column a header names of a list whose first line
    ``ids`` holds): ``read_opt_outs`` leaves out the users of both. ``read_by``, when given,
    receives the columns of a CSV export read by its id column (its header's fields)."""
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
    # a line of ASCII blanks is blank (``blank_id``, the one rule); a line of other blanks
    # alone (a no-break space) is that id, as training keeps it
    # and a U+FEFF that begins a line is a byte-order mark (two files joined by ``cat``: the
    # second's mark began an id, and the person an opt-out named was planned)
    lines = [(n, line.strip() or line) for n, line in enumerate(
        (r.removeprefix("\ufeff") for r in raw_lines), start=1) if not blank_id(line)]
    _said_blank(p, lines, said)
    if exact is not None:
        exact.update((n, raw_lines[n - 1]) for n, s in lines if raw_lines[n - 1] != s)
    # a lone header in any case (``User_ID``), as a CSV export's header and the Studio's
    # pasted list are read (``USERID`` was an unknown user id), unless the model holds it
    at_top = bool(lines) and lines[0][0] == 1
    header = at_top and _lone_header(lines[0][1], raw_lines[0], ids)
    # a column named is looked for in the first line, blank or not (never silently unread)
    named = column is not None
    cells = column_cells(p, text, ids, column) if named or (at_top and not header) else None
    if other is not None and column is None and at_top and not header:
        other.extend(_other_reading(p, text, raw_lines, lines, cells))
    if header and cells is None:
        _said_header(p, lines[0][1], ids, said)
        lines = lines[1:]
    elif cells is not None:  # a CSV export whose header names one id column: that column
        if read_by is not None:
            read_by.extend(f.strip() for f in header_fields(
                raw_lines[0].removeprefix("\ufeff"), delimiter_of(text)))
        lines = [(n, c.strip() or c) for n, c in cells if not blank_id(c)]  # blank: skipped
        if exact is not None:
            exact.clear()  # a cell's own spaces: kept where they differ
            exact.update((n, c) for n, c in cells if not blank_id(c) and c != (c.strip() or c))
    if not lines:
        raise DataError(str(p), "expected one id per line; the file holds no id")
    return p, lines


def _other_reading(p: Path, text: str, raw_lines: list[str], lines: list[tuple[int, str]],
                   cells: list[tuple[int, str]] | None) -> list[tuple[int, str]]:
    """(line, text as written) of the reading of an id list ``_id_lines`` did not take: the
    whole lines of a file read by its id column (``cells``), else the cells of the column its
    header names like an id column (a first line the model holds read it as whole lines)."""
    if cells is not None:
        return [(n, raw_lines[n - 1]) for n, _ in lines]
    try:
        named = column_cells(p, text)  # no model asked: the column a header names, if any
    except DataError:
        return []  # no such reading (two id columns, ragged rows)
    return [(n, c) for n, c in named or [] if not blank_id(c)]


def _lone_header(line: str, written: str, ids: IdMap | None) -> bool:
    """Whether an id list's first ``line`` (stripped; ``written``: as written) is a header: a
    name of ``ID_LIST_HEADERS`` in any case or spacing (``user_id``, ``USER_ID``, ``User ID``:
    ``header_key``) that ``ids`` (when given) holds in neither form. One rule for every
    spelling: a model whose user id is ``user_id`` lost that user as a header (an opt-out
    lost), and a line is read as written first (" ID" was dropped as a header where the
    model holds user " ID")."""
    return header_key(line) in ID_KEYS and (ids is None or (line not in ids
                                                             and written not in ids))


def _said_header(p: Path, line: str, ids: IdMap | None,
                 said: Callable[[str], None] | None) -> None:
    """Tell ``said`` that the first line ``line`` was read as a header and skipped (a seed
    list headed ``user_id`` was read one seed short without a word, and a real id spelled
    so could not be told from it)."""
    if said is None:
        return
    held = "" if ids is None else ", not an id the model holds"
    said(f"{p}: line 1 {line!r} read as a header (a column name{held}) and skipped; "
         "an id list needs no header")


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


def read_id_list(path: PathLike, said: Callable[[str], None] | None = None,
                 column: str | None = None) -> list[str]:
    """Ids from a text file with one id per line.

    Surrounding whitespace is stripped and blank lines are ignored; ids are otherwise kept
    exactly, and an id repeated is read once (at its first line; ``said``, when given, is
    told how many were dropped, ``_said_dropped``). ``-`` reads standard
    input; a pipe (``/dev/stdin``, a shell's ``<(...)``) is read as a file is. A
    first line that is a column name of ``ID_LIST_HEADERS`` (``film_id``,
    ``user_id``, ``movieId``, ``userId``, ``id``) in any case is a header and skipped, and
    ``said`` told so (with no model to ask, every such line is; the readers given ``ids``
    keep a line the model holds as an id). Raises
    ``DataError`` when the file is missing, not UTF-8 or holds no id. ``column``: a CSV
    export's id column, by its header name (``id_list_columns``; each reader below takes it).
    """
    p, lines = _id_lines(path, said=said, column=column)
    first: dict[str, int] = {}
    dropped = [(n, s) for n, s in lines if first.setdefault(s, n) != n]
    _said_dropped(p, dropped, said)
    return list(first)  # each id once, in file order


def read_id_list_held(path: PathLike, held: Callable[[list[str]], set[str]],
                      said: Callable[[str], None] | None = None, column: str | None = None
                      ) -> list[str]:
    """``read_id_list``'s ids, each as written where ``held`` holds it, else stripped: the
    reading of a list of ids that a campaign store rather than a model holds (``forget
    --users``). ``held`` is asked once, of the lines as written that differ from their
    stripped id (surrounding spaces, a byte-order mark), and answers those it holds (an id
    held so is the one meant, byte for byte). ``-`` reads standard input; a header line
    (``user_id``) is skipped and ``said`` told, as are duplicates dropped."""
    exact: dict[int, str] = {}
    p, lines = _id_lines(path, exact, said=said, column=column)
    kept = held(list(dict.fromkeys(exact.values()))) if exact else set()
    first: dict[str, int] = {}
    dropped = [(n, s) for n, s in ((n, exact[n] if exact.get(n) in kept else s)
                                   for n, s in lines) if first.setdefault(s, n) != n]
    _said_dropped(p, dropped, said)
    return list(first)


def _readings(path: PathLike, ids: IdMap, said: Callable[[str], None] | None = None,
              column: str | None = None, other: list[tuple[int, str]] | None = None,
              read_by: list[str] | None = None
              ) -> tuple[Path, list[tuple[int, str]], list[list[tuple[str, int]]]]:
    """(file, its (line, stripped id) pairs, each line's readings with their indices in
    ``ids``, -1 unknown). A line's readings, in the order they are tried: as written, stripped
    of its surrounding spaces, then without the quoting our own CSV writers add to a cell (an
    id cut from one of our CSV files keeps it): both the double quotes of a plan CSV's every
    text cell and the quote of a spreadsheet-safe cell first, as our writers add both (the
    cell "'-1" of a plan is user "-1"), then each alone ('"u00932"', "'-1": ``csvsafe``)."""
    exact: dict[int, str] = {}
    p, lines = _id_lines(path, exact, ids, said, column, other, read_by)
    forms = [_forms(exact.get(n, s), s) for n, s in lines]
    found = iter(ids.to_index([f for fs in forms for f in fs], strict=False).tolist())
    return p, lines, [[(f, next(found)) for f in fs] for fs in forms]


def _forms(written: str, s: str) -> list[str]:
    """A line's readings (``_readings``): as ``written``, stripped (``s``), then without our
    CSV writers' quoting, both and each alone, then the id inside Excel's text-keeping form
    ``="0041"`` (a cell a spreadsheet kept the leading zeros of: ``csvsafe.sheet_text``)."""
    inner = [t for t in (sheet_text(csv_unquoted(s)),) if t is not None]
    return list(dict.fromkeys((written, s, sheet_unquoted(csv_unquoted(s)), csv_unquoted(s),
                               sheet_unquoted(s), *inner)))


def line_readings(text: str) -> list[str]:
    """What an opt-out list's line ``text`` may be read as (``read_opt_outs``' readings, in
    the order tried: ``_forms``): as written, stripped of surrounding spaces, then without our
    CSV writers' quoting. ``erasure`` reads a stored opt-out by these, so that an id given in
    such a form is erased with the id."""
    return _forms(text, text.strip() or text)


def _id_list_as_known(path: PathLike, ids: IdMap, said: Callable[[str], None] | None = None,
                      column: str | None = None
                      ) -> tuple[Path, list[tuple[int, str]], list[str], NDArray[np.int64]]:
    """(file, its (line, id) pairs, each id as ``ids`` holds it, their indices; -1 unknown).
    Ids are kept byte for byte: a line is its first reading ``ids`` holds (``_readings``: as
    written, so a line " a" is user " a" when the model holds it, even beside "a"; then
    stripped; then without our CSV writers' quoting); unknown ids stay stripped. The lines
    that repeat an id are told to ``said`` (``_said_dropped``), and the blank lines skipped."""
    p, lines, readings = _readings(path, ids, said, column)
    chosen = [next(((f, j) for f, j in rs if j >= 0), (s, -1))
              for (_, s), rs in zip(lines, readings, strict=True)]
    keep = _once(p, lines, [form for form, _ in chosen], said)
    return (p, [lines[i] for i in keep], [chosen[i][0] for i in keep],
            np.array([chosen[i][1] for i in keep], np.int64))


def read_seed_lines(path: PathLike, ids: IdMap, said: Callable[[str], None] | None = None,
                    column: str | None = None) -> list[tuple[int, str]]:
    """(line, id) of a lookalike's seed list, each id as HTTP would be sent it (the library's
    ``seed_ids`` rule then reads it as HTTP's): the line (or CSV cell) as written where ``ids``
    holds it as written, holds it stripped of its surrounding spaces (the library strips it
    and names it, ``stripped_seed_ids``) or holds it in no reading (unknown, named as
    written); the reading without our CSV writers' quoting where that is the one ``ids``
    holds (``_readings``). Lines and duplicates as ``read_id_list_lines``; ``column``: a CSV
    export's id column, by name (``id_list_columns``): its other columns are not read, and
    ``said`` is told so (a ``user_id,weight`` export: seeds are not weighted)."""
    columns: list[str] = []
    p, lines, readings = _readings(path, ids, said, column, read_by=columns)
    if len(columns) > 1 and said is not None:
        said(f"{p}: a CSV of columns {', '.join(repr(c) for c in columns)}: only its id "
             "column is read (lookalike seeds are not weighted: every seed counts once, "
             "whatever its other columns hold)")
    sent: list[str] = []
    chosen: list[str] = []
    for (_, s), rs in zip(lines, readings, strict=True):
        written = rs[0][0]
        form = next((f for f, j in rs if j >= 0), s)
        chosen.append(form)
        sent.append(written if form in (written, written.strip()) else form)
    return [(lines[i][0], sent[i]) for i in _once(p, lines, chosen, said)]


def _once(p: Path, lines: list[tuple[int, str]], forms: list[str],
          said: Callable[[str], None] | None) -> list[int]:
    """The positions of ``lines`` to keep, in file order: each id once, at its first line, as
    the model holds it (``forms``: " u1" and "u1" are one id when the model holds "u1" only,
    two when it holds both); ``said`` is told of the others (``_said_dropped``)."""
    first: dict[str, int] = {}
    for i, form in enumerate(forms):
        first.setdefault(form, i)
    _said_dropped(p, [(lines[i][0], form) for i, form in enumerate(forms)
                      if first[form] != i], said)
    return list(first.values())  # increasing: in file order


def read_id_list_lines(path: PathLike, ids: IdMap, said: Callable[[str], None] | None = None,
                       column: str | None = None) -> list[tuple[int, str]]:
    """``read_id_list_as_known``'s ids with the line each was read on: (line, id)."""
    _, lines, known, _ = _id_list_as_known(path, ids, said, column)
    return [(n, k) for (n, _), k in zip(lines, known, strict=True)]


def read_id_list_as_known(path: PathLike, ids: IdMap,
                          said: Callable[[str], None] | None = None,
                          column: str | None = None) -> list[str]:
    """``read_id_list``'s ids, each as ``ids`` holds it (``_id_list_as_known``): the line as
    written where ``ids`` holds it, else stripped; unknown ids stay stripped, for the caller to
    name. ``said`` is told of the duplicates dropped."""
    return _id_list_as_known(path, ids, said, column)[2]


def read_id_list_index(path: PathLike, ids: IdMap, kind: str = "id",
                       hint: Callable[[list[str]], str] | None = None,
                       said: Callable[[str], None] | None = None, column: str | None = None
                       ) -> NDArray[np.int64]:
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
    p, lines, _, idx = _id_list_as_known(path, ids, told.append, column)
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


def read_opt_outs(path: PathLike, ids: IdMap, said: Callable[[str], None] | None = None,
                  column: str | None = None,
                  form_readings: list[tuple[str, list[str]]] | None = None) -> list[str]:
    """An opt-out list's ids: every reading of each line that ``ids`` holds (``_readings``),
    so that a line two users could be read as leaves out both (a cell '"q"' cut from a plan
    is user "q", read as user '"q"' when the model holds that too: the opted-out "q" was
    planned); a line ``ids`` holds in no reading stays stripped, for the caller to name.
    File order, each id once: ``said`` is told of the lines that add no id (duplicates).
    A file that reads two ways (``_id_lines``'s ``other``: a first line the model holds that
    names an id column, "comma,id") leaves out the users of both readings, and ``said`` is
    told of those the other adds. A line read as users in another Unicode form or without a
    leading U+FEFF is told to ``said`` and given to ``form_readings`` (``_with_form_twins``):
    (line as read, the users), for the plan's note (``plan.opt_out_notes``' ``read``)."""
    other: list[tuple[int, str]] = []
    p, lines, readings = _readings(path, ids, said, column, other)
    out: dict[str, None] = {}
    dropped: list[Dropped] = []
    for (n, s), rs in zip(lines, readings, strict=True):
        read = [f for f, j in rs if j >= 0] or [s]
        if all(f in out for f in read):
            dropped.append((n, read[0]))
        out.update(dict.fromkeys(read))
    _said_dropped(p, dropped, said)
    forms = [_forms(w, w.strip() or w) for _, w in other]
    found = iter(ids.to_index([f for fs in forms for f in fs], strict=False).tolist())
    more = [f for fs in forms for f in fs if next(found) >= 0 and f not in out]
    more = list(dict.fromkeys(more))
    if more and said is not None:
        shown = ", ".join(repr(m) for m in more[:5]) + (
            f" and {len(more) - 5:,} more" if len(more) > 5 else "")
        said(f"{p}: the file reads two ways (one id per line, or the id column its first "
             f"line names); the other reading names {len(more):,} more user"
             f"{'s' if len(more) > 1 else ''} the model holds ({shown}), left out too: an "
             "opt-out fails safe")
    out.update(dict.fromkeys(more))
    return _with_form_twins(p, list(out), ids, said, form_readings)


def _with_form_twins(p: Path, out: list[str], ids: IdMap,
                     said: Callable[[str], None] | None,
                     form_readings: list[tuple[str, list[str]]] | None = None
                     ) -> list[str]:
    """``out`` (an opt-out list's ids), each id that names no user as written but names users
    ``ids`` holds in another Unicode form replaced by them (``ids.opt_out_twin_groups``:
    ``joão`` decomposed, NFD, for ``joão`` held composed, NFC); ``said`` is told of each so
    read (it printed "not a user of the model" and planned the user meant: an opt-out fails
    safe) in the words of HTTP's plan note; ``form_readings`` (when given) receives the same
    readings (``ids.opt_out_readings``), for a plan to hold that note too."""
    twins = opt_out_twin_groups(ids, out)
    if not twins:
        return out
    readings = opt_out_readings(ids, out, twins)
    if form_readings is not None:
        form_readings.extend(readings)
    if said is not None and readings:  # the HTTP plan's note in the same words (plan_notes)
        said(f"{p}: " + opt_out_read_note(readings))
    # an id in ``twins`` names no user as written (the twin rule): its twins stand for it
    return list(dict.fromkeys(t for i, u in enumerate(out) for t in twins.get(i, [u])))
