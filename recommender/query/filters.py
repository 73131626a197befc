"""Audience filters: which users a list may show, by segment and by user attribute.

``parse_filters`` reads the ``ATTRIBUTE=VALUE`` text both surfaces take (the CLI's
``--filter``, the service's ``filter=``); ``candidate_mask`` turns filters into a user mask.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError
from recommender.model.model import Model

Filters = Mapping[str, str | Sequence[str]]


def parse_filters(items: Sequence[str] | None, name: str = "filter") -> dict[str, list[str]]:
    """``["region=North", "region=East", "age_band=25-34"]`` -> ``{"region": ["North",
    "East"], "age_band": ["25-34"]}`` (values of one attribute are alternatives).

    Raises ``InvalidParameterError`` for an item that is not ``ATTRIBUTE=VALUE`` with both
    sides non-empty; the message names the option as the caller spells it (``name``).
    """
    out: dict[str, list[str]] = {}
    for item in items or []:
        attribute, sep, value = item.partition("=")
        if not sep or not attribute or not value:
            raise InvalidParameterError(f"{name} expects ATTRIBUTE=VALUE, got {item!r}")
        out.setdefault(attribute, []).append(value)
    return out


def candidate_mask(
    model: Model,
    segment: int | None = None,
    filters: Filters | None = None,
) -> NDArray[np.bool_] | None:
    """Users allowed by a segment and attribute filters (None when there is no filter).

    ``filters`` maps an attribute name (e.g. ``region``, ``age_band``) to one value or a list.
    """
    mask: NDArray[np.bool_] | None = None
    if segment is not None:
        if not 0 <= segment < model.segments.n:
            raise InvalidParameterError(
                f"segment must be in [0, {model.segments.n - 1}], got {segment}")
        mask = np.asarray(model.segments.labels) == segment
    for name, wanted in (filters or {}).items():
        attrs = model.user_table.attributes
        if name not in attrs:
            known = ", ".join(sorted(attrs)) or "none"
            raise InvalidParameterError(
                f"unknown user attribute {name!r}; this model has: {known}")
        values = [wanted] if isinstance(wanted, str) else list(wanted)
        m = np.isin(np.asarray(attrs[name]), values)
        mask = m if mask is None else mask & m
    return mask
