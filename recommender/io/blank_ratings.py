"""Blank cells of a log's rating column: refused naming them, left out, or kept as views.

A partly rated log (views beside ratings, as a ticket or streaming export with a ``rating``
column filled only where a user rated) holds rows with a blank rating. ``readers.load``'s
``blank_ratings`` says what they are (``BLANK_RATINGS``):

* ``refuse`` (the default): a ``DataError`` at the first, naming the first few lines (or
  rows) and the two choices below;
* ``drop``: the rows are left out, as if not in the log;
* ``implicit``: the rows are kept as views (their weight counts, their time too); a pair
  whose events include a rating keeps the latest rating given, and a pair no event rates is
  given ``implied_rating``: the median of the log's ratings, raised to ``floor`` (the model's
  ``min_rating``) when that is higher, the rule a recorded event's view without a rating
  follows (``recommender.model.weighting.event_rating`` asks ``implied_rating`` too), so
  that an unrated view is never left out of the fit as disliked. A log whose every rating
  is blank is read as one without ratings.

The choice is set for the duration of a ``load`` (``blank_ratings``); the log readers ask
``current`` when they build the interactions (``log_table.build``). A refusal offers the
choices of the engine reading (``refusal_engine``): the Spark engine takes no
``--blank-ratings``, so its refusal offers the local engine's choices by leaving ``--engine
spark`` out.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from recommender.errors import DataError, InvalidParameterError
from recommender.io.delimited import Locator

BLANK_RATINGS = ("refuse", "drop", "implicit")
ENGINES = ("local", "spark")  # whose choices a refusal offers (``refusal_engine``)
SHOWN = 5  # the blank rows a refusal names

_CHOICE: ContextVar[tuple[str, float | None]] = ContextVar("blank_ratings",
                                                            default=("refuse", None))
_ENGINE: ContextVar[str] = ContextVar("blank_ratings_engine", default="local")


@contextmanager
def blank_ratings(choice: str, floor: float | None = None) -> Iterator[None]:
    """Read blank ratings as ``choice`` (one of ``BLANK_RATINGS``) within the block;
    ``floor``: the least rating an unrated view is given (``implicit``)."""
    if choice not in BLANK_RATINGS:
        raise InvalidParameterError(f"blank_ratings must be one of {', '.join(BLANK_RATINGS)}, "
                                    f"got {choice!r}")
    token = _CHOICE.set((choice, floor))
    try:
        yield
    finally:
        _CHOICE.reset(token)


@contextmanager
def refusal_engine(engine: str) -> Iterator[None]:
    """Within the block, a refusal (``refusal``) offers ``engine``'s choices (one of
    ``ENGINES``): the Spark engine's check reads the file again with the local reader to
    name the line, and ``--engine spark --blank-ratings drop`` is refused."""
    if engine not in ENGINES:
        raise InvalidParameterError(f"engine must be one of {', '.join(ENGINES)}, got "
                                    f"{engine!r}")
    token = _ENGINE.set(engine)
    try:
        yield
    finally:
        _ENGINE.reset(token)


def current() -> tuple[str, float | None]:
    """The choice in force and its floor (``blank_ratings``)."""
    return _CHOICE.get()


def blank_cells(col: pa.Array | pa.ChunkedArray) -> NDArray[np.bool_]:
    """Which cells of a rating column are blank: null (an empty cell) or spaces alone."""
    text = pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
    if not text and col.null_count == 0:  # the fast path's numbers: nothing to look at
        return np.zeros(len(col), dtype=bool)
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    blank = pc.is_null(arr)
    if text:
        blank = pc.or_(blank, pc.fill_null(pc.equal(pc.utf8_trim_whitespace(arr), ""), True))
    return np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool)


def _places(loc: Locator, rows: NDArray[np.intp]) -> str:
    """Where ``rows`` are: ``lines 5, 9 and 14`` (or ``rows ...`` of a Parquet file)."""
    said = []
    for r in rows.tolist():
        line, prefix = loc.where(int(r))
        said.append(f"line {line}" if line is not None else prefix.rstrip(": "))
    if len(said) > 1 and all(s.startswith(("line ", "row ")) for s in said):
        word = said[0].split(" ", 1)[0]
        nums = [s.split(" ", 1)[1] for s in said]
        return f"{word}s {', '.join(nums[:-1])} and {nums[-1]}"
    return ", ".join(said)


def refusal(path: Path, loc: Locator, blank: NDArray[np.bool_], engine: str | None = None
            ) -> DataError:
    """The error for a rating column with blank cells (``blank``), at the first of them,
    offering the choices ``engine`` takes (default: ``refusal_engine``'s, else local's)."""
    engine = engine or _ENGINE.get()
    rows = np.flatnonzero(blank)
    n, total = len(rows), len(blank)
    line, prefix = loc.where(int(rows[0]))
    them = "that row" if n == 1 else "those rows"
    it = "it as a view" if n == 1 else "them as views"
    if engine == "spark":  # --engine spark refuses --blank-ratings: what works instead
        choices = (f"fill {it.split()[0]} in, or leave --engine spark out to give "
                   f"--blank-ratings drop (leaving {them} out) or --blank-ratings implicit "
                   f"(keeping {it} without a rating) with the local engine")
    else:
        choices = (f"give --blank-ratings drop to leave {them} out, or --blank-ratings "
                   f"implicit to keep {it} without a rating; or fill {it.split()[0]} in")
    if n == total:
        why = ("no row has one: the rating column is optional, leave it out"
               + (" (or leave --engine spark out and give --blank-ratings implicit)"
                  if engine == "spark" else ", or give --blank-ratings implicit"))
    else:
        more = f", the first {SHOWN}" if n > SHOWN else ""
        why = (f"{n:,} of the {total:,} rows {'has' if n == 1 else 'have'} none{more}: "
               f"{_places(loc, rows[:SHOWN])}; {choices}")
    return DataError(str(path), f"{prefix}empty rating; expected a number ({why})", line=line)


class KeptRows(Locator):
    """The rows ``drop`` kept, placed where they are in the source (``loc``'s rows)."""

    def __init__(self, loc: Locator, rows: NDArray[np.intp]) -> None:
        self.loc, self.rows = loc, rows

    def where(self, row: int) -> tuple[int | None, str]:
        return self.loc.where(int(self.rows[row]))


def implied_rating(rated: NDArray[np.floating], floor: float | None) -> float:
    """The rating an unrated view is given: the median of ``rated`` (the log's ratings, one
    per rated pair; 1 when there is none), raised to ``floor`` when that is higher. The one
    rule for both unrated views: a blank rating kept by ``implicit`` and a recorded event
    (``recommender.model.weighting.event_rating`` calls it)."""
    r = np.asarray(rated, np.float64)
    fill = float(np.median(r)) if len(r) else 1.0
    return fill if floor is None else max(fill, float(floor))
