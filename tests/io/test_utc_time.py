"""``io.text.utc_time``, the one UTC formatter of the CLI, the event checks and the evaluation
(each had its own: ``cli.printing.utc_time``, ``campaigns.event_times.utc`` and
``evaluation.splits.utc_time``): checked against a calendar computed here by arithmetic
(days since 1970 to a proleptic Gregorian date), before 1970 and far past the year 9999."""

from __future__ import annotations

import pytest

from recommender.campaigns.event_times import NO_DATE, first_misdated, too_early
from recommender.io.text import utc_time

DAY = 86_400
#: the times compared: 1970, before it, the year 1 and before, the year 9999 and after, the
#: event checks' limits, and years the platform's clock functions cannot hold
TIMES = [0, 1, -1, DAY - 1, 631_152_000, 1_733_000_000, -2_208_988_800, -62_135_596_800,
         -62_135_596_801, -62_293_276_800, 253_402_300_799, 253_402_300_800, 10**12, -10**12,
         10**15, 10**17, -10**17, 10**19]


def civil(seconds: int) -> tuple[int, int, int, int, int, int]:
    """(year, month, day, hour, minute, second) of unix ``seconds`` in the proleptic Gregorian
    calendar (H. Hinnant's days-to-civil: 400-year eras of 146,097 days from 0000-03-01)."""
    days, rest = divmod(seconds, DAY)
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (month <= 2)
    return year, month, day, rest // 3600, rest // 60 % 60, rest % 60


def expected(seconds: int, undated: str | None) -> str:
    """What the formatter says: the date where the range of ``undated``'s kind holds it (years
    1 to 9999 for None; a C int's tm_year, the year less 1900, for a text), else the fallback."""
    y, mo, d, h, mi, s = civil(seconds)
    held = 1 <= y <= 9999 if undated is None else -2**31 <= y - 1900 < 2**31
    if not held:
        return f"{seconds:,} unix seconds" if undated is None else undated
    return f"{y}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d} UTC"


@pytest.mark.parametrize("seconds", TIMES)
def test_each_former_formatter_says_what_the_calendar_says(seconds: int) -> None:
    """The CLI's and the evaluation's (None: datetime's years, else seconds) and the event
    checks' ("no date": the platform's years, 10000 and 0 included) texts."""
    assert utc_time(seconds) == expected(seconds, None)
    assert utc_time(seconds, NO_DATE) == expected(seconds, NO_DATE)


def test_the_event_checks_say_their_times_as_before() -> None:
    """The refusals name a time before 1990 and one in the future with the event checks'
    formatter, whose range reaches past the year 9999."""
    assert "timestamp -1 (1969-12-31 23:59:59 UTC) is before 1990-01-01" in too_early(-1)
    assert "dated 1970-01-01 00:00:00 UTC, before" in too_early(0, named=False)
    found = first_misdated([700_000_000, 10**12], now=1_733_000_000)
    assert found is not None and found[0] == 1
    y, *_ = civil(10**12)
    assert f"timestamp {10**12} ({y}-09-27 01:46:40 UTC) is in the future (after " \
           f"{1_733_000_000 + DAY} ({expected(1_733_000_000 + DAY, NO_DATE)})" in found[1]
