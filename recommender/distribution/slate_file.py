"""The distribution slate file (``SLATE.csv``): its films and their screen bounds.

The header names ``film_id`` and optionally ``min_screens``, ``max_screens`` (the film's total
screens over all cinemas: its release width; empty = no bound) and ``title`` (a person's check
that each id is the film meant: ``cli/checks.slate_films_known`` refuses a title that does not
name the model's film). Errors name the file and the line.

``check_films`` holds a slate given another way (``POST /distribution/slate``, a library
caller) to the same rules, naming each film by its position ``films[i]`` and its id.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from recommender.distribution.screens import whole_rule, whole_value
from recommender.errors import DataError, InvalidParameterError
from recommender.io.binary import utf8_text
from recommender.io.places import (
    MAX_COUNT,
    csv_records,
    data_rows,
    duplicate_columns,
    whole_count,
)

SLATE_COLUMNS = ("film_id", "min_screens", "max_screens", "title")
#: what an unknown film of a slate is told: a slate's screens follow each film's forecast by
#: cinema, which only a film with viewers in the model's log has; a new film's comes from its
#: comparable films and genres, one film at a time
NEW_FILM_HINT = ("a slate takes films the model knows (viewers in its training log); for a "
                 "new film, its breakdown by place from comparable films or genres: "
                 "distribution MODEL --like FILM_ID --genre GENRE --by cinema, or POST "
                 "/distribution/cold-start")
#: the planner's slate columns (``plan --slate``, ``POST /campaigns/plan``'s films): a slate
#: of contacts, not of screens, which distribution refuses by name (``planner_slate``)
PLAN_COLUMNS = ("budget", "value")


def planner_slate(columns: list[str], where: str = "the header names",
                  reads: tuple[str, ...] = SLATE_COLUMNS) -> str | None:
    """What to say when ``columns`` (a header, or a film's fields) hold a planner's ``budget``
    or ``value``: a planner's slate given to distribution, which reads ``reads``; None when
    they hold neither."""
    found = [c for c in PLAN_COLUMNS if c in columns]
    if not found:
        return None
    return (f"{where} {' and '.join(repr(c) for c in found)}: this is a planner's slate "
            "(plan --slate, POST /campaigns/plan: film_id,budget[,value], budget = the users "
            "to contact for the film), not a distribution slate, which reads "
            f"{','.join(reads)} (screens over all cinemas; only film_id is "
            f"required): keep film_id, and drop {' and '.join(found)} (a budget is no "
            "screen count)")


@dataclass(frozen=True)
class SlateFilm:
    """One film of a slate and its total screens' bounds (``None``: no maximum)."""

    film_id: str
    min_screens: int = 0
    max_screens: int | None = None
    line: int = field(default=0, compare=False)  # its line in the slate file (0: none)
    title: str = field(default="", compare=False)  # the slate's title column ("": none)


class InfeasibleSlateError(InvalidParameterError):
    """The films' screen bounds cannot hold with the cinemas' screens (a rule between fields
    that a request's schema cannot state: HTTP answers it 409). ``bound`` names the bound
    that cannot hold (``min_screens`` or ``max_screens``) when it is their sum, so that each
    surface names the films holding it its own way (``holding``): a file by line, a body by
    position."""

    def __init__(self, message: str, bound: str | None = None) -> None:
        super().__init__(message)
        self.bound = bound


def named(films: list[SlateFilm], i: int) -> str:
    """A film of a slate given as a list, as errors name it: ``films[2] ('0104257')``."""
    return f"films[{i}] ({films[i].film_id!r})"


def held(films: list[SlateFilm], bound: str, name: Callable[[int, int], str]) -> list[str]:
    """Each film holding ``bound`` (``holding``) as an infeasible sum's errors list it,
    ``name(i, its bound)``: ``film 50: 3 on line 2`` from a file, ``films[0] ('50'): 3`` from
    a body (the films' ids alone read as the bounds: "max_screens: 50 on line 2")."""
    return [name(i, int(getattr(films[i], bound))) for i in holding(films, bound)]


def holding(films: list[SlateFilm], bound: str) -> list[int]:
    """The positions of the films that hold ``bound``: a min_screens above 0, or any
    max_screens."""
    return [i for i, f in enumerate(films)
            if (f.min_screens if bound == "min_screens" else f.max_screens is not None)]


def check_films(films: list[SlateFilm]) -> list[SlateFilm]:
    """``films`` with their bounds as ints (``1.0`` is 1: ``screens.whole_value``); refuse a
    slate whose bounds are no whole numbers from 0 to ``MAX_COUNT`` (``InvalidParameterError``,
    before any solver sees them: a max_screens of 1e300 reached HiGHS), that names a film
    twice or has a max_screens below its min_screens (``InfeasibleSlateError``), naming the
    film by position and id."""
    if not films:
        raise InvalidParameterError("the slate lists no film")
    whole: list[SlateFilm] = []
    for i, f in enumerate(films):
        bounds: list[int | None] = []
        for name in ("min_screens", "max_screens"):
            value = getattr(f, name)
            bounds.append(None if value is None and name == "max_screens"
                          else whole_value(value, 0, MAX_COUNT))
            if bounds[-1] is None and (value is not None or name == "min_screens"):
                raise InvalidParameterError(
                    f"{named(films, i)}: {name} {whole_rule(0, MAX_COUNT)}"
                    f"{' or null' if name == 'max_screens' else ''}, got {value!r}")
        whole.append(SlateFilm(f.film_id, bounds[0] or 0, bounds[1], f.line, f.title))
    films = whole
    first: dict[str, int] = {}
    for i, f in enumerate(films):
        if f.film_id in first:
            raise InfeasibleSlateError(f"film_id {f.film_id!r} appears twice in the slate "
                                       f"(films[{first[f.film_id]}] and films[{i}])")
        first[f.film_id] = i
        if f.max_screens is not None and f.max_screens < f.min_screens:
            raise InfeasibleSlateError(f"{named(films, i)}: max_screens {f.max_screens} is "
                                       f"below min_screens {f.min_screens}")
    return films


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
    planner = planner_slate(head)
    if planner:  # the plan's slate file given here: say so, not "unknown column 'budget'"
        raise DataError(str(p), planner, line=1)
    unknown = [h for h in head if h not in SLATE_COLUMNS]
    if unknown:  # a typo (max_screen) would silently drop the bound
        raise DataError(str(p), f"unknown column {unknown[0]!r} in the header (expected "
                        f"{','.join(SLATE_COLUMNS)}; only film_id is required)", line=1)
    duplicate_columns(p, head)
    films: list[SlateFilm] = []
    seen: dict[str, int] = {}  # each film's line: a repeated one names both
    for line, row in data_rows(records, len(head), p):
        cell = dict(zip(head, row, strict=True))
        film = cell["film_id"]
        if not film or film in seen:
            raise DataError(str(p), f"{'an empty' if not film else 'a repeated'} film_id "
                            f"{film!r}" + (f" (first on line {seen[film]})" if film else ""),
                            line=line)
        seen[film] = line
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
