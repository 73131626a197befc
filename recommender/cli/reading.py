"""Input read with a word on a terminal: a large log took its minutes in silence.

``train`` printed nothing while it read a log (15 s for 6 million rows, 160 MB, before its
first "fitting ..." line), nor ``events import`` before its first "imported" line: on a
terminal, input of at least ``LARGE`` bytes is named with its size before it is read and
with what it held after, as the fits are.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from recommender.io import readers
from recommender.io.dataset import Interactions
from recommender.io.delimited import PathLike
from recommender.io.progress import show_progress
from recommender.io.stdin import shown

LARGE = 50_000_000
"""Bytes of input (a file, or a folder's files) from which reading it is said."""

T = TypeVar("T")


def input_bytes(path: PathLike) -> int:
    """The size of a file, or the sum of a folder's files (0 where it cannot be seen)."""
    p = Path(path)
    try:
        if p.is_dir():
            return sum(q.stat().st_size for q in p.rglob("*") if q.is_file())
        return p.stat().st_size
    except OSError:  # missing, no permission: the reader says so
        return 0


def read_said(path: PathLike, read: Callable[[], T], held: Callable[[T], str],
              show: bool | None = None) -> T:
    """``read()`` of ``path``, named on stderr with its size before and ``held(result)`` after
    when ``path`` is at least ``LARGE`` bytes and ``show`` (default: stderr is a terminal)."""
    size = input_bytes(path) if show_progress(show) else 0
    if size < LARGE:
        return read()
    print(f"reading {shown(path)} ({size / 1e6:,.0f} MB) ...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    out = read()
    print(f"read {held(out)} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return out


def load_said(data: PathLike, films: PathLike | None, users: PathLike | None,
              show: bool | None = None) -> Interactions:
    """``readers.load`` of ``data`` (with ``films`` and ``users``), said as ``read_said``
    says; the readers' warnings (a table left unread) as ``warning:`` lines, as the CLI's
    own (they printed as Python's, with a line of the reader's source)."""
    from recommender.cli.printing import warnings_said

    with warnings_said():
        inter = read_said(data, lambda: readers.load(data, films=films, users=users),
                          lambda i: f"{len(i):,} interactions ({len(i.users):,} users x "
                                    f"{len(i.films):,} films)", show)
    inter.source = shown(inter.source)  # standard input's copy: <stdin> (the model's source)
    return inter
