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
              show: bool | None = None, blank_ratings: str = "refuse",
              rating_floor: float | None = None, command: str = "train") -> Interactions:
    """``readers.load`` of ``data`` (with ``films`` and ``users``; ``blank_ratings``,
    ``rating_floor`` and ``command``, the one a pipe's refusal names, as it takes them), said
    as ``read_said`` says; the readers' warnings (a table left unread) as ``warning:`` lines,
    as the CLI's own (they printed as Python's, with a line of the reader's source); blank
    ratings dropped or kept, in a ``note:``."""
    from recommender.cli.printing import warnings_said

    with warnings_said():
        inter = read_said(data, lambda: readers.load(
            data, films=films, users=users, blank_ratings=blank_ratings,
            rating_floor=rating_floor, command=command),
            lambda i: f"{len(i):,} interactions ({len(i.users):,} users x "
                      f"{len(i.films):,} films)", show)
    inter.source = shown(inter.source)  # standard input's copy: <stdin> (the model's source)
    if inter.unrated:
        say_unrated(inter, blank_ratings, rating_floor is not None)
    return inter


def say_unrated(inter: Interactions, choice: str, floor: bool = True) -> None:
    """Say (stderr) how many rows had a blank rating and what they became (``choice``;
    ``floor``: a --min-rating was given, which raises the rating an unrated pair is given)."""
    rows = f"{inter.unrated:,} of the {inter.rows_read + inter.unrated * (choice == 'drop'):,}"
    if choice == "drop":
        print(f"note: {rows} rows have a blank rating and were left out (--blank-ratings "
              "drop)", file=sys.stderr)
        return
    given = ("every rating is blank, so the log trains as one without ratings"
             if inter.rating is None else
             f"each pair no event rates is given the rating {inter.unrated_as:g} (the "
             f"median of the log's ratings{', at least --min-rating' * floor}, as train "
             "--events rates a recorded view), so that --weighting rating and --min-rating "
             "count it as watched, not disliked"
             if inter.unrated_as is not None else "every pair is rated by another event")
    print(f"note: {rows} rows have a blank rating, kept as views (--blank-ratings "
          f"implicit): {given}", file=sys.stderr)
