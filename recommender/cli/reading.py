"""The training log read with a word on a terminal: a large one took its minutes in silence.

``train`` printed nothing while it read a log (15 s for 6 million rows, 160 MB, before its
first "fitting ..." line): on a terminal, a log of at least ``LARGE`` bytes is named with its
size before it is read and with its rows after, as the fits are.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from recommender.io import readers
from recommender.io.dataset import Interactions
from recommender.io.delimited import PathLike

LARGE = 50_000_000
"""Bytes of input (a file, or a folder's files) from which reading it is said."""


def input_bytes(path: PathLike) -> int:
    """The size of a file, or the sum of a folder's files (0 where it cannot be seen)."""
    p = Path(path)
    try:
        if p.is_dir():
            return sum(q.stat().st_size for q in p.rglob("*") if q.is_file())
        return p.stat().st_size
    except OSError:  # missing, no permission: the reader says so
        return 0


def load_said(data: PathLike, films: PathLike | None, users: PathLike | None,
              show: bool | None = None) -> Interactions:
    """``readers.load`` of ``data`` (with ``films`` and ``users``), named on stderr when it is
    at least ``LARGE`` bytes and ``show`` (default: stderr is a terminal)."""
    size = input_bytes(data) if (sys.stderr.isatty() if show is None else show) else 0
    if size < LARGE:
        return readers.load(data, films=films, users=users)
    print(f"reading {data} ({size / 1e6:,.0f} MB) ...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    inter = readers.load(data, films=films, users=users)
    print(f"read {len(inter):,} interactions ({len(inter.users):,} users x "
          f"{len(inter.films):,} films) in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return inter
