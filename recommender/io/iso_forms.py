"""The ISO 8601 forms a log's times are read in, as the refusals of both engines name them.

The readers take ISO 8601's extended form (``2017-06-21``, ``2017-06-21T07:17:25Z``, an offset
such as ``+02:00``): its basic form (``20170621T071725Z``), week and ordinal dates
(``2017-W25-3``, ``2017-172``) and the hour ``24:00`` are ISO 8601 too, and are not read, so
a message says "ISO 8601" with the form it means; a time in the basic form is told how it is
written in the extended one.
"""

from __future__ import annotations

import re

#: what a refusal asks of a time written as text
ISO_TIMES = "an ISO 8601 date or time in the extended form (2017-06-21 or 2017-06-21T07:17:25Z)"

_BASIC = re.compile(r"(\d{4})(\d{2})(\d{2})[Tt](\d{2})(\d{2})?(\d{2})?([.,]\d+)?"
                    r"([Zz]|[+-]\d{2}(?::?\d{2})?)?")


def basic_form(value: str) -> str | None:
    """``value`` (a time in ISO 8601's basic form, ``20170621T071725Z``) in the extended
    form (``2017-06-21T07:17:25Z``), or None for a value in no basic form."""
    m = _BASIC.fullmatch(value.strip())
    if m is None:
        return None
    y, mo, d, h, mi, s, frac, zone = m.groups()
    zone = (zone or "").upper()
    if len(zone) == 5:  # +0200
        zone = f"{zone[:3]}:{zone[3:]}"
    return (f"{y}-{mo}-{d}T{h}:{mi or '00'}" + (f":{s}" if s else "")
            + (frac or "").replace(",", ".") + zone)
