"""The largest page (k) an answer may hold: the library's bound and the one HTTP serves.

The largest search page (``limit`` of ``GET /films``, ``search --limit``) is read here too.

Light to import (no numpy): ``recommender --help``'s environment list names the default.
"""

from __future__ import annotations

from recommender.errors import AboveLimitError, InvalidParameterError
from recommender.io.env_numbers import whole_number_from_env

MAX_K = 100_000
SERVED_MAX_K = 10_000  # the server's largest page unless RECOMMENDER_MAX_K says another
MAX_K_ENV = "RECOMMENDER_MAX_K"
SERVED_MAX_SEARCH_LIMIT = 1000  # GET /films's largest limit unless the variable says another
MAX_SEARCH_LIMIT_ENV = "RECOMMENDER_MAX_SEARCH_LIMIT"


def above_the_servers(option: str, number: int, most: int, what: str, variable: str
                      ) -> InvalidParameterError:
    """The CLI's refusal of ``number`` above the server's bound ``most`` (``what``, set by
    ``variable``), naming the option as argparse does: "argument --k/-k: expected a number
    at most 10000 (the largest page, RECOMMENDER_MAX_K, as the server's), got 10001"."""
    return InvalidParameterError(f"argument {option}: expected a number at most {most} ({what}, "
                                 f"{variable}, as the server's), got {number}")


def served_max_k() -> int:
    """The largest page (k, users or films) an answer served over HTTP may hold: the
    server's ``RECOMMENDER_MAX_K`` (``SERVED_MAX_K`` when unset, at most ``MAX_K``). The CLI's
    answers that print an endpoint's body keep to it too (``-k 100000`` printed a body with
    "k": 100000, which the server refuses 422); exports (``audiences``) are not pages."""
    value = whole_number_from_env(MAX_K_ENV, SERVED_MAX_K, "the largest page", "users or films")
    if value > MAX_K:
        raise InvalidParameterError(f"the largest page is misconfigured: {MAX_K_ENV}={value} "
                                    f"must be at most {MAX_K:,}")
    return value


def served_max_search_limit() -> int:
    """The largest ``limit`` (films) of a title search, ``GET /films``'s and ``search``'s: the
    server's ``RECOMMENDER_MAX_SEARCH_LIMIT`` (``SERVED_MAX_SEARCH_LIMIT`` when unset). The CLI
    had its own 1000 and ignored the variable, so the two bounds could differ."""
    return whole_number_from_env(MAX_SEARCH_LIMIT_ENV, SERVED_MAX_SEARCH_LIMIT,
                                 "the largest search page", "films")


def check_search_limit(limit: int, most: int | None = None) -> None:
    """``limit`` against ``most``: the server passes its setting (``GET /films``'s message);
    ``None``, ``search``'s, against ``served_max_search_limit`` and naming the option and the
    variable, as the CLI's --k does (``pages.check_served_k``)."""
    if most is None:
        most = served_max_search_limit()
        if limit > most:
            raise above_the_servers("--limit/--k/-k", limit, most, "the largest search page",
                                    MAX_SEARCH_LIMIT_ENV)
    if limit > most >= 1:  # the service names the setting (RECOMMENDER_MAX_SEARCH_LIMIT)
        raise AboveLimitError("limit", limit, most, f"limit must be in [1, {most}], got {limit}")
    if not 1 <= limit <= most:
        raise InvalidParameterError(f"limit must be in [1, {most}], got {limit}")
