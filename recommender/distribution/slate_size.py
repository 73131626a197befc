"""The largest slate one answer solves: cinemas times films, ``RECOMMENDER_MAX_SLATE_CELLS``.

The allocation's programme has three variables a cell (``slate.solve``) and HiGHS's dual
simplex takes about one pivot per ten of them, each over the whole programme: its time grows
with the square of the cells (a 2-core machine under load: 100,000 cells 26-37 s, 250,000
cells 190 s). A larger slate is refused before any demand is scored or any programme built,
so that it cannot hold a server worker (or a terminal) for minutes; the limit is a setting.
"""

from __future__ import annotations

from recommender.errors import InvalidParameterError
from recommender.io.env_numbers import whole_number_from_env

MAX_SLATE_CELLS_ENV = "RECOMMENDER_MAX_SLATE_CELLS"
DEFAULT_MAX_SLATE_CELLS = 200_000  # the HTTP body's own limits: 4,000 cinemas x 50 films


def max_cells_from_env(default: int = DEFAULT_MAX_SLATE_CELLS) -> int:
    """``RECOMMENDER_MAX_SLATE_CELLS`` as an integer >= 1, else ``default`` when it is unset
    (``InvalidParameterError`` for any other value, naming the variable: an empty one too; read
    as ``RECOMMENDER_MIN_CELL`` is, so every command and ``serve`` agree)."""
    return whole_number_from_env(MAX_SLATE_CELLS_ENV, default, "the largest slate", "cells")


def check_size(n_cinemas: int, n_films: int, max_cells: int) -> None:
    """``InvalidParameterError`` when ``n_cinemas`` x ``n_films`` passes ``max_cells``, saying
    the sizes, the limit and its setting."""
    cells = n_cinemas * n_films
    if cells > max_cells:
        raise InvalidParameterError(
            f"a slate of {n_films:,} films over {n_cinemas:,} cinemas is {cells:,} cells "
            f"(cinemas x films), more than the {max_cells:,} one allocation solves "
            f"({MAX_SLATE_CELLS_ENV}; the solver's time grows with the square of the cells): "
            "allocate fewer films or cinemas at a time, or raise the limit")
