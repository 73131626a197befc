"""The distribution slate file (``SLATE.csv``): its films and their screen bounds.

The header names ``film_id`` and optionally ``min_screens``, ``max_screens`` (the film's total
screens over all cinemas: its release width; empty = no bound) and ``title`` (a person's check
that each id is the film meant: ``cli/checks.slate_films_known`` refuses a title that does not
name the model's film). Errors name the file and the line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from recommender.errors import DataError
from recommender.io.binary import utf8_text
from recommender.io.places import (
    MAX_COUNT,
    csv_records,
    data_rows,
    duplicate_columns,
    whole_count,
)

SLATE_COLUMNS = ("film_id", "min_screens", "max_screens", "title")


@dataclass(frozen=True)
class SlateFilm:
    """One film of a slate and its total screens' bounds (``None``: no maximum)."""

    film_id: str
    min_screens: int = 0
    max_screens: int | None = None
    line: int = field(default=0, compare=False)  # its line in the slate file (0: none)
    title: str = field(default="", compare=False)  # the slate's title column ("": none)


def read_slate(path: str | os.PathLike[str]) -> list[SlateFilm]:
    """Read ``SLATE.csv`` (see the module docstring); ``DataError`` names the file and line."""
    p = Path(path)
    try:
        # bytes, not read_text: universal newlines turned a CR in a quoted film_id into an LF
        data = p.read_bytes()
    except FileNotFoundError:
        raise DataError(str(p), "no such file (expected a slate CSV with the header "
                        f"{','.join(SLATE_COLUMNS)})") from None
    # a bad byte named by line and column (``utf8_text``), not by its offset alone
    records = csv_records(utf8_text(p, data), p)
    rows = [row for _, row in records]
    head = [h.strip().lower() for h in rows[0]] if rows else []
    if "film_id" not in head:
        raise DataError(str(p), f"the header must name film_id (expected "
                        f"{','.join(SLATE_COLUMNS)})", line=1)
    unknown = [h for h in head if h not in SLATE_COLUMNS]
    if unknown:  # a typo (max_screen) would silently drop the bound
        raise DataError(str(p), f"unknown column {unknown[0]!r} in the header (expected "
                        f"{','.join(SLATE_COLUMNS)}; only film_id is required)", line=1)
    duplicate_columns(p, head)
    films: list[SlateFilm] = []
    seen: set[str] = set()
    for line, row in data_rows(records, len(head), p):
        cell = dict(zip(head, row, strict=True))
        film = cell["film_id"]
        if not film or film in seen:
            raise DataError(str(p), f"{'an empty' if not film else 'a repeated'} film_id "
                            f"{film!r}", line=line)
        seen.add(film)
        bounds: list[int | None] = []
        for name in ("min_screens", "max_screens"):
            raw = cell.get(name, "").strip()
            value = whole_count(raw) if raw else None
            if raw and value is None:
                raise DataError(str(p), f"{name} must be a whole number from 0 to {MAX_COUNT} "
                                f"or empty, got {raw!r}", line=line)
            bounds.append(value)
        lo, hi = bounds[0] or 0, bounds[1]
        if hi is not None and hi < lo:
            raise DataError(str(p), f"max_screens {hi} is below min_screens {lo}", line=line)
        films.append(SlateFilm(film, lo, hi, line, cell.get("title", "").strip()))
    if not films:
        raise DataError(str(p), "the slate lists no film", line=1)
    return films
