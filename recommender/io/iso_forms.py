"""The ISO 8601 forms a log's times are read in, as the refusals of both engines name them.

The readers take ISO 8601's extended form (``2017-06-21``, ``2017-06-21T07:17:25Z``, an offset
such as ``+02:00``): its basic form (``20170621T071725Z``), week and ordinal dates
(``2017-W25-3``, ``2017-172``) and the hour ``24:00`` are ISO 8601 too, and are not read, so
a message says "ISO 8601" with the form it means; a time in the basic form is told how it is
written in the extended one.
"""

from __future__ import annotations

import re
from decimal import Decimal

#: what a refusal asks of a time written as text
ISO_TIMES = "an ISO 8601 date or time in the extended form (2017-06-21 or 2017-06-21T07:17:25Z)"

_BASIC = re.compile(r"(\d{4})(\d{2})(\d{2})[Tt](\d{2})(\d{2})?(\d{2})?([.,]\d+)?"
                    r"([Zz]|[+-]\d{2}(?::?\d{2})?)?")


def basic_form(value: str) -> str | None:
    """``value`` (a time in ISO 8601's basic form, ``20170621T071725Z``) in the extended
    form the readers take (``2017-06-21T07:17:25Z``), or None for a value in no basic form or
    one whose extended form they would refuse too (month 13, the hour 24). A fraction of the
    hour or minute (``T0717.5``), which the readers take on the seconds only, is written as
    seconds (``07:17:30``): ``07:17.5`` was suggested, and refused in turn."""
    m = _BASIC.fullmatch(value.strip())
    if m is None:
        return None
    y, mo, d, h, mi, s, frac, zone = m.groups()
    zone = (zone or "").upper()
    if len(zone) == 5:  # +0200
        zone = f"{zone[:3]}:{zone[3:]}"
    frac = (frac or "").replace(",", ".")
    if frac and not s:  # of the hour (no minutes) or of the minute: in seconds, exactly
        seconds = Decimal(frac) * (60 if mi else 3600)
        minutes, seconds = divmod(seconds, 60)
        mi = f"{int(mi or 0) + int(minutes):02d}"
        whole, _, frac = f"{seconds:f}".partition(".")
        s, frac = f"{int(whole):02d}", f".{frac}".rstrip("0").rstrip(".")
    extended = f"{y}-{mo}-{d}T{h}:{mi or '00'}" + (f":{s}" if s else "") + frac + zone
    from recommender.io.convert import zoned_time  # the reader's own rules (it imports this)

    try:  # a time without a zone is read by a column as UTC
        zoned_time(extended if zone else f"{extended}Z")
    except ValueError:
        return None
    return extended
