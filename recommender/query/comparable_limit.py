"""The bound on a new film's comparable films, one rule for HTTP and the CLI.

``POST /audiences/cold-start`` and ``POST /distribution/cold-start`` hold
``comparable_film_ids`` (a list, or ``{id: weight}``) to the server's setting
``max_comparable_films``; ``cold-start --like`` and ``distribution --like`` hold the films
they name to the same variable, ``RECOMMENDER_MAX_COMPARABLE_FILMS`` (default
``limits.MAX_COMPARABLE_FILMS``), so that what the CLI answers the server answers too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from recommender.errors import AboveLimitError, InvalidParameterError
from recommender.io.env_numbers import whole_number_from_env
from recommender.query.limits import MAX_COMPARABLE_FILMS, MAX_COMPARABLE_FILMS_ENV

WHAT = "the longest comparable film list"


def served_max_comparable_films() -> int:
    """The server's ``RECOMMENDER_MAX_COMPARABLE_FILMS`` (``MAX_COMPARABLE_FILMS`` when unset),
    which the CLI's ``--like`` keeps to."""
    return whole_number_from_env(MAX_COMPARABLE_FILMS_ENV, MAX_COMPARABLE_FILMS, WHAT, "films")


def check_comparable_count(comparable: Mapping[str, float] | Sequence[str],
                           most: int | None = None) -> None:
    """``comparable`` (ids, or id -> weight, as given: each counts) against ``most``: the
    server passes its setting (an ``AboveLimitError`` its 422 names the setting of); ``None``,
    the CLI's ``--like`` (its films, each once), against ``served_max_comparable_films``,
    naming the option and the variable as ``--k`` does (``above_the_servers``)."""
    n = len(comparable)
    if most is None:
        most = served_max_comparable_films()
        if n > most:
            raise InvalidParameterError(
                f"argument --like: names {n:,} films, more than {most:,} ({WHAT}, "
                f"{MAX_COMPARABLE_FILMS_ENV}, as the server's)")
    if n > most:
        raise AboveLimitError("comparable_film_ids", n, most,
                              f"comparable_film_ids may hold at most {most:,} films, got {n:,}")
