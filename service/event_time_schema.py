"""The schema's pattern of the ISO 8601 times ``POST /events`` takes as an event's timestamp.

The server reads any ISO 8601 time with its zone (``recommender.io.convert.zoned_time``) from
1990-01-01 to the published maximum (``schema_limits.event_time_limit``); the pattern promises
only what is always taken, so that a client generating times from the schema is never refused:
1991 on, days to the 28th (the 29th to the 31st are taken too where the month has them), up to
the end of the month before the one two days before the maximum (an offset moves a time by less
than a day). A schema built later (it is rebuilt every ``REBUILD_SECONDS``) reaches further.
"""

from __future__ import annotations

from datetime import UTC, datetime

FIRST_YEAR = 1991  # 1990-01-01T00:30+01:00 is 1989 in UTC: refused
MONTH = r"(?:0[1-9]|1[0-2])"
DAY = r"(?:0[1-9]|1[0-9]|2[0-8])"
#: a time of day and its zone (Z, +hh:mm or +hhmm); fractions to nanoseconds, floored
TIME_OF_DAY = (r"[Tt ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,9})?)?"
               r"(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])")


def event_time_pattern(event_max: int) -> str:
    """A pattern of ISO 8601 times with their zone, each after 1990-01-01 and at most
    ``event_max`` (unix seconds) wherever its offset puts it."""
    last = datetime.fromtimestamp(event_max - 2 * 86_400, UTC)
    years = "|".join(str(y) for y in range(FIRST_YEAR, last.year))
    dates = [f"(?:{years})-{MONTH}"]
    if last.month > 1:
        dates.append(f"{last.year}-(?:{'|'.join(f'{m:02d}' for m in range(1, last.month))})")
    return f"^(?:{'|'.join(dates)})-{DAY}{TIME_OF_DAY}$"
