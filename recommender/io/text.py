"""Plain-text tables for terminals and reports: one printer for the CLI and the evaluation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# an id named in an error, clipped: defined beside the errors, which name ids too
from recommender.errors import clipped as clipped


def table_text(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Left-aligned columns two spaces apart, a dashed rule under the header, no trailing
    newline. Cells are shown with ``str``."""
    cells = [[str(c) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(out)


def listing(items: Sequence[str], most: int) -> str:
    """``items`` joined with ", ", past ``most`` the first ``most`` and "and N more"."""
    return ", ".join(items[:most]) + (f" and {len(items) - most} more" if len(items) > most
                                      else "")


def plural(n: int, noun: str, nouns: str | None = None, sep: str = "") -> str:
    """``n`` and the noun in its number: ``1 cinema``, ``2 cinemas``, ``0 cities`` (``nouns``:
    the plural when it is not ``noun + "s"``; ``sep=","``: thousands separated)."""
    return f"{n:{sep}} {noun if n == 1 else nouns or noun + 's'}"
