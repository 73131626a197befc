"""A release slate: the films to promote, each with a contact budget and a conversion value.

``SLATE.csv`` has the columns ``film_id`` and ``budget`` and optionally ``value`` (worth of one
conversion, default 1) and ``title`` (a person's check that each id is the film meant:
``cli/checks.slate_films_known`` refuses a title that does not name the model's film), in any
order and case; a file whose header holds ``;`` or tabs and no comma
is read with that separator (a spreadsheet's export where the comma is the decimal mark).
Errors name the file and the line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from recommender.errors import DataError, InvalidParameterError, NothingToPlanError
from recommender.io.binary import utf8_text
from recommender.io.places import csv_records, delimiter_of
from recommender.io.text import shown_number, whole_text

MAX_SLATE_FILMS = 10_000
# the largest budget (contacts): far past any user count, and a full slate's total stays a
# 64-bit integer (10,000 x 2^48 < 2^63)
MAX_BUDGET = 2**48
# a conversion's worth (value units): 1e308 overflowed the plan's objective to null, and
# below about 1e-17 the rank tie-break outweighed every worth (the plan lost 0.12%); the
# summary's 6 decimals show a total of worths down to 1e-4 a user
MIN_VALUE, MAX_VALUE = 1e-4, 1e12
# a decimal number as written in a CSV: ASCII digits, an optional point and exponent
# the point and the digits after it one optional piece: "[0-9]+\.?[0-9]*" split a run of
# digits two ways, and a refused value of n digits took n^2 steps (4,000: 0.6 s)
DECIMAL = re.compile(r"[+-]?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
MAX_CAP = 1000  # contacts per user over a campaign
#: the cap's scope (``cap_scope.py``): this plan and its chain (the default), or every live
#: plan of the campaign store
PLAN_SCOPE, STORE_SCOPE = "plan", "store"
CAP_SCOPES = (PLAN_SCOPE, STORE_SCOPE)
MAX_WAVES = 1000
MAX_SEED = 2**32 - 1  # the control draw uses 32 bits of the seed: larger ones would repeat
#: why a seed with a holdout of 0 is refused (or, inherited, warned of): the seed draws the
#: control groups only
SEED_UNREAD = ("draws the control groups only, and a holdout of 0 holds out none: the seed "
               "changes nothing")


@dataclass(frozen=True)
class SlateFilm:
    """One film of a slate: at most ``budget`` target contacts, each conversion worth
    ``value``."""

    film_id: str
    budget: int
    value: float = 1.0
    line: int = field(default=0, compare=False)  # its line in the slate file (0: none)
    title: str = field(default="", compare=False)  # the slate's title column ("": none)


def check_slate(films: list[SlateFilm]) -> list[SlateFilm]:
    """Reject an empty slate, a repeated film, a negative budget, a value that is not a
    positive finite number, or budgets all 0."""
    if not films:
        raise InvalidParameterError("the slate holds no film")
    if len(films) > MAX_SLATE_FILMS:
        raise InvalidParameterError(f"a slate holds at most {MAX_SLATE_FILMS} films, "
                                    f"got {len(films)}")
    seen: set[str] = set()
    for f in films:
        if f.film_id in seen:
            raise InvalidParameterError(f"film_id {f.film_id!r} appears twice in the slate")
        seen.add(f.film_id)
        if not 0 <= f.budget <= MAX_BUDGET:
            raise InvalidParameterError(f"budget of {f.film_id!r} must be in [0, {MAX_BUDGET}] "
                                        f"(2^48 contacts), got {f.budget}")
        if not (math.isfinite(f.value) and MIN_VALUE <= f.value <= MAX_VALUE):
            raise InvalidParameterError(f"value of {f.film_id!r} must be a number in "
                                        f"[{MIN_VALUE:g}, {MAX_VALUE:g}] (value units), "
                                        f"got {f.value}")
    if all(f.budget == 0 for f in films):  # stored, it read as a campaign of nobody
        raise NothingToPlanError("every film's budget is 0 contacts: nothing to plan (give a "
                                 "film a budget)")
    return films


def read_slate(path: str | Path) -> list[SlateFilm]:
    """Read ``SLATE.csv`` (see the module docstring)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise DataError(str(p), f"cannot read the slate ({e.strerror or e})") from None
    # UTF-16, gzip, a NUL or a latin-1 byte named by line and column ("not UTF-8 text (byte
    # offset 45)" named neither, and a NUL was read into a film_id)
    text = utf8_text(p, data)
    delimiter = delimiter_of(text)  # ';' where the comma is the decimal mark, or tabs
    records = csv_records(text, p, delimiter)  # each row with the line it starts on
    header = records[0][1] if records else None
    names = [h.strip().lower() for h in header] if header else []  # 'Film_ID' is film_id
    # the columns in any order, as a log's and a distribution slate's are (a slate exported
    # as film_id,title,budget,value was refused for its order alone)
    if not {"film_id", "budget"} <= set(names) <= {"film_id", "budget", "value", "title"} or \
            len(set(names)) != len(names):
        raise DataError(str(p), f"expected the header to name film_id and budget, and "
                                f"optionally value and title (in any order, each once), got "
                                f"{','.join(names)!r}", line=1)
    films: list[SlateFilm] = []
    seen: dict[str, int] = {}
    for line, row in records[1:]:
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(names):
            raise DataError(str(p), f"expected {len(names)} fields ({','.join(names)}), "
                                    f"got {len(row)}", line=line)
        cell = dict(zip(names, row, strict=True))
        film_id = cell["film_id"]
        if not film_id:
            raise DataError(str(p), "film_id is empty", line=line)
        if film_id in seen:
            raise DataError(str(p), f"film_id {film_id!r} already on line {seen[film_id]}",
                            line=line)
        seen[film_id] = line
        digits = cell["budget"].strip()
        if not re.fullmatch(r"[0-9]+", digits):  # int() also takes "1_000", "+5" and "²"
            raise DataError(str(p), f"budget must be a whole number (digits only), got "
                                    f"{cell['budget']!r}", line=line)
        budget = whole_text(digits)  # None past MAX_DIGITS: int() refused 4,300 (a traceback)
        if budget is None or not 0 <= budget <= MAX_BUDGET:
            raise DataError(str(p), f"budget must be in [0, {MAX_BUDGET}] (2^48 contacts), "
                                    f"got {shown_number(digits)}", line=line)
        value = 1.0
        if cell.get("value", "").strip():
            written = cell["value"].replace(",", ".") if delimiter != "," else cell["value"]
            # decimal digits only: float() also takes "1_0" (10) and other scripts' digits
            value = (float(written) if DECIMAL.fullmatch(written.strip()) else math.nan)
            if not (math.isfinite(value) and MIN_VALUE <= value <= MAX_VALUE):
                raise DataError(str(p), f"value must be a number in [{MIN_VALUE:g}, "
                                f"{MAX_VALUE:g}] (value units), got {cell['value']!r}",
                                line=line)
        films.append(SlateFilm(film_id, budget, value, line, cell.get("title", "").strip()))
    if not films:
        raise DataError(str(p), "the slate holds no film (expected one line per film after "
                                "the header)")
    return check_slate(films)


def check_cap_scope(scope: str) -> str:
    """``scope`` when it is one of ``CAP_SCOPES``, else ``InvalidParameterError``."""
    if scope not in CAP_SCOPES:
        raise InvalidParameterError(f"cap scope must be {PLAN_SCOPE!r} or {STORE_SCOPE!r}, "
                                    f"got {scope!r}")
    return scope
