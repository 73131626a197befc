"""The minimum cell size: no answer describes a group of fewer users (``RECOMMENDER_MIN_CELL``).

It lives with the model because training applies it too (no audience segment is smaller);
``recommender.query.privacy`` applies it to every breakdown an answer shows.
"""

from __future__ import annotations

from recommender.io.env_numbers import whole_number_from_env

MIN_CELL_ENV = "RECOMMENDER_MIN_CELL"
DEFAULT_MIN_CELL = 10


def min_cell_from_env(default: int = DEFAULT_MIN_CELL) -> int:
    """``RECOMMENDER_MIN_CELL`` as an integer >= 1, else ``default`` when it is unset
    (``InvalidParameterError``, a ``ValueError``, for any other value: an empty one too, which
    ``serve`` refuses as it refuses every empty number, and which took the default 10 here
    where ``RECOMMENDER_MIN_CELL=$CELL`` with ``CELL`` unset likely meant another)."""
    return whole_number_from_env(MIN_CELL_ENV, default, "the minimum cell size", "users")
