"""Plain-text tables for terminals and reports: one printer for the CLI and the evaluation."""

from __future__ import annotations

import difflib
import math
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

# an id named in an error, clipped: defined beside the errors, which name ids too
from recommender.errors import clipped as clipped

#: characters a cell shows escaped (``\n``, ``\u202e``): C0 and C1 controls, which broke a
#: row in two (a title holding a line break) or moved the cursor, the line and paragraph
#: separators U+2028 and U+2029 (a line break to ``str.splitlines``, a pager and some
#: terminals), and the bidirectional embeddings, overrides and isolates, which reordered the
#: columns after them on the line
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069]")


def value_order(values: Iterable[str]) -> list[str]:
    """Attribute values in the order they are listed: as numbers when every one but the
    blank reads as a finite number (an age: 7 before 10, where text put "7" after "69"),
    else as text; the blank first, ties of one number (``7``, ``7.0``) as text."""
    values = list(values)
    try:
        numbers = [float(v) for v in values if v != ""]
    except ValueError:
        return sorted(values)
    if not numbers or not all(math.isfinite(x) for x in numbers):
        return sorted(values)
    return sorted(values, key=lambda v: (v != "", float(v) if v else 0.0, v))


def shown_cell(value: Any) -> str:
    """``str(value)`` as a table shows it: ``_HIDDEN`` characters escaped as Python does."""
    text = str(value)
    if text.isascii() and text.isprintable():
        return text
    return _HIDDEN.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def display_width(text: str) -> int:
    """The columns a terminal gives ``text``: 2 for a wide or full-width character (CJK,
    most emoji), 0 for a combining mark or a format character (an accent stored decomposed,
    a zero-width joiner, a direction mark), 1 for any other."""
    if text.isascii():
        return len(text)
    return sum(0 if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf")
               else 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _padded(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def table_text(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Left-aligned columns two spaces apart, a dashed rule under the header, no trailing
    newline. Cells and headers are shown with ``shown_cell`` and aligned by ``display_width``
    (a column of CJK titles or decomposed accents was cut out of line by ``len``)."""
    headers = [shown_cell(h) for h in headers]  # an attribute's name, from a users file
    cells = [[shown_cell(c) for c in r] for r in rows]
    widths = [max([display_width(h)] + [display_width(r[i]) for r in cells])
              for i, h in enumerate(headers)]
    out = ["  ".join(_padded(h, w) for h, w in zip(headers, widths, strict=True)),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(_padded(c, w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(out)


def folded_name(text: str) -> str:
    """``text`` for a caseless match that also ignores its Unicode form (Unicode's canonical
    caseless match: ``Zürich`` typed composed, NFC, is ``ZÜRICH`` stored decomposed, NFD, which
    a users file saved on macOS may hold; ``casefold`` alone told them apart)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).casefold())


#: how many names or values a "did you mean" compares a word with at most (an error's cost)
NEAR_LIMIT = 10_000


def did_you_mean(given: str, known: Sequence[str],
                 form: Callable[[str], str] | None = None) -> str:
    """`` (did you mean 'gender'?)`` for the one of ``known`` closest to ``given`` (ignoring
    case, Unicode form and surrounding blanks; ``difflib``'s ratio at least 0.75), else "";
    "" also past ``NEAR_LIMIT`` names, whose comparing would cost more than the error.
    ``form``: the form names are compared in where a matcher reads them more loosely (a
    genre's ``genre_key``: "scify" is near "scifi", where "Sci-Fi" as written was not), each
    said as ``known`` writes it, every name of the nearest form ("'Sci-Fi' or 'SciFi'")."""
    if not known or len(known) > NEAR_LIMIT:
        return ""
    formed = form or (lambda name: folded_name(name.strip()))
    by_form: dict[str, list[str]] = {}
    for name in known:
        if key := formed(name):
            by_form.setdefault(key, []).append(name)
    typed = formed(given)
    near = difflib.get_close_matches(typed, list(by_form), n=1, cutoff=0.75) if typed else []
    if not near:
        return ""
    names = list(dict.fromkeys(by_form[near[0]])) if form else by_form[near[0]][:1]
    return f" (did you mean {' or '.join(repr(n) for n in names)}?)"


def listing(items: Sequence[str], most: int) -> str:
    """``items`` joined with ", ", past ``most`` the first ``most`` and "and N more"."""
    return ", ".join(items[:most]) + (f" and {len(items) - most} more" if len(items) > most
                                      else "")


def days_text(days: float) -> str:
    """A span in days as every text says it (the calibration horizon: ``summary`` printed
    ``460.299`` and ``distribution`` ``460.3`` of one model): its stored digits, the shortest
    that read back as the number (``repr``: ``1460.299``, where ``:g`` wrote ``1460.3``), a
    whole number without ``.0`` (``7``, ``0.25``)."""
    text = repr(float(days))
    return text.removesuffix(".0")


def plural(n: int, noun: str, nouns: str | None = None, sep: str = "") -> str:
    """``n`` and the noun in its number: ``1 cinema``, ``2 cinemas``, ``0 cities`` (``nouns``:
    the plural when it is not ``noun + "s"``; ``sep=","``: thousands separated)."""
    return f"{n:{sep}} {noun if n == 1 else nouns or noun + 's'}"


def iso_utc(seconds: float, undated: str | None = None) -> str:
    """Unix ``seconds`` (floored to whole seconds) as ISO 8601 in UTC, ``2024-03-21T09:00:00Z``:
    the one form every time the engine writes to a person or a JSON body takes (a plan's
    ``created``, a withdrawal, a send, an event's refusal, the evaluation's cut-off; older
    code wrote ``+00:00`` and ``2024-03-21 09:00:00 UTC`` too). ``undated`` None: the dates
    Python's datetime holds (years 1 to 9999), any other time said as seconds
    (``-62,135,596,801 unix seconds``: a log may hold times before the year 1, which a fit
    accepts); a text: every date the platform's clock functions hold (``10000-01-01T00:00:00Z``;
    a year before 0 as ``-0004``), any other time said as ``undated`` (the event checks' ``"no
    date"``). ``iso_shown`` writes a stored ISO time so."""
    try:
        whole = math.floor(seconds)
        t = (datetime.fromtimestamp(whole, UTC).timetuple() if undated is None
             else time.gmtime(whole))
    except (ValueError, OverflowError, OSError):
        return undated if undated is not None else f"{seconds:,} unix seconds"
    year = f"{t.tm_year:04d}" if t.tm_year >= 0 else f"-{-t.tm_year:04d}"
    return f"{year}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}Z"


def iso_shown(stored: str) -> str:
    """A time stored as text with its zone (a plan's ``created``, a withdrawal's ``at``, a
    model's ``created``: ``2024-03-21T09:00:00+00:00``, or a moved store's mark, ``2024-03-21
    09:00:00 UTC``, as older code stored them), in ``iso_utc``'s form; any other text (one
    without a zone, or no time) as stored: only the form changes, never what is stored."""
    text = stored[:-4] + "+00:00" if stored.endswith(" UTC") else stored
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return stored
    if when.tzinfo is None:
        return stored
    return iso_utc(when.timestamp(), stored)


#: the most digits (leading zeros aside) a whole number typed as text is read with: more is
#: out of every range a number here has, and ``int()`` refused a text of over 4,300 digits
#: with a ``ValueError`` (a 500 over HTTP, a traceback in the CLI)
MAX_DIGITS = 30
#: a whole number as text: ASCII digits after an optional minus (``str.isdigit`` also takes
#: "²", which ``int()`` refuses)
WHOLE_TEXT = re.compile(r"-?[0-9]+")


def whole_text(text: str) -> int | None:
    """``text`` (``WHOLE_TEXT``, surrounding blanks aside) as an int; None when it is no whole
    number or has more than ``MAX_DIGITS`` digits (leading zeros aside): a number out of range
    wherever one is taken, which ``shown_number`` quotes."""
    text = text.strip()
    digits = text.lstrip("-").lstrip("0")  # int() counts leading zeros in its limit too
    if not WHOLE_TEXT.fullmatch(text) or len(digits) > MAX_DIGITS:
        return None
    return int(text[0] + digits if text[0] == "-" and digits else digits or "0")


def shown_number(value: int | str) -> str:
    """A whole number as a message quotes it: itself up to ``MAX_DIGITS`` digits, else its
    first ones and how many digits it has (``99999999999... (5,000 digits)``)."""
    if isinstance(value, int) and abs(value) >= 10 ** MAX_DIGITS:
        return f"a {'negative ' * (value < 0)}number of over {MAX_DIGITS} digits"
    text = str(value).strip()
    digits = len(text.lstrip("-"))
    return text if digits <= MAX_DIGITS else f"{text[:12]}... ({digits:,} digits)"
