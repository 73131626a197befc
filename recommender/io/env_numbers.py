"""A whole-number setting read from the environment, as every command and ``serve`` read it.

Unset gives the default; an empty value (``VAR=$X`` with ``X`` unset) is refused, as ``serve``'s
settings refuse every empty number; the forms ``int`` reads (``+5``, ``1_000``, spaces around)
are taken, ASCII digits only (``int`` reads ``٥`` as 5, which ``serve`` refuses).
"""

from __future__ import annotations

import os

from recommender.errors import InvalidParameterError


def whole_number_from_env(env: str, default: int, what: str, unit: str) -> int:
    """``env`` as an integer >= 1, else ``default`` when it is unset; ``InvalidParameterError``
    (a ``ValueError``) for any other value, saying ``what`` is misconfigured, the variable and
    its value, in ``unit`` (a plural noun: "users", "cells")."""
    if env not in os.environ:
        return default
    raw = os.environ[env].strip()
    wrong = f"{what} is misconfigured: {env}"
    if not raw:
        raise InvalidParameterError(f"{wrong}={os.environ[env]!r} is empty: give a whole number "
                                    f"of {unit} (at least 1), or unset it for the default "
                                    f"{default:,}")
    try:
        if not raw.isascii():
            raise ValueError(raw)
        value = int(raw)
    except ValueError:
        raise InvalidParameterError(f"{wrong}={raw!r} is not a whole number") from None
    if value < 1:
        raise InvalidParameterError(f"{wrong}={raw!r} must be at least 1")
    return value
