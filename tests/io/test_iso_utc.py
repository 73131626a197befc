"""``io.text.iso_utc``, the one UTC formatter of every time the engine writes to a person or a
JSON body (the CLI, the event checks, the evaluation, a plan's ``created``; each had its own:
``cli.printing.utc_time``, ``campaigns.event_times.utc``, ``evaluation.splits.utc_time``, and
then ``utc_time`` wrote ``2024-03-01 12:00:00 UTC`` beside ``iso_utc``'s ``...Z`` and plans'
``+00:00``): checked against a calendar computed here by arithmetic (days since 1970 to a
proleptic Gregorian date), before 1970 and far past the year 9999; ``iso_shown`` writes a
stored time in its form, and only the form."""

from __future__ import annotations

import pytest

from recommender.campaigns.event_times import NO_DATE, first_misdated, too_early
from recommender.io.text import iso_shown, iso_utc

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
    year = f"{y:04d}" if y >= 0 else f"-{-y:04d}"  # ISO 8601: four digits at least
    return f"{year}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}Z"


@pytest.mark.parametrize("seconds", TIMES)
def test_each_former_formatter_says_what_the_calendar_says(seconds: int) -> None:
    """The CLI's and the evaluation's (None: datetime's years, else seconds) and the event
    checks' ("no date": the platform's years, 10000 and 0 included) texts."""
    assert iso_utc(seconds) == expected(seconds, None)
    assert iso_utc(seconds, NO_DATE) == expected(seconds, NO_DATE)


def test_the_event_checks_say_their_times_as_before() -> None:
    """The refusals name a time before 1990 and one in the future with the event checks'
    formatter, whose range reaches past the year 9999."""
    assert "timestamp -1 (1969-12-31T23:59:59Z) is before 1990-01-01" in too_early(-1)
    assert "dated 1970-01-01T00:00:00Z, before" in too_early(0, named=False)
    found = first_misdated([700_000_000, 10**12], now=1_733_000_000)
    assert found is not None and found[0] == 1
    y, *_ = civil(10**12)
    assert f"timestamp {10**12} ({y}-09-27T01:46:40Z) is in the future (after " \
           f"{1_733_000_000 + DAY} ({expected(1_733_000_000 + DAY, NO_DATE)})" in found[1]


@pytest.mark.parametrize("seconds", [0, 1_733_000_000, 253_402_300_799, -62_135_596_800])
def test_a_stored_time_is_shown_in_the_one_form(seconds: int) -> None:
    """A time stored by older code (``+00:00``, another offset, the moved mark's ``... UTC``)
    is shown as ``iso_utc`` writes it; a text that is no time with a zone stays as stored."""
    y, mo, d, h, mi, s = civil(seconds)
    plain = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}"
    assert iso_shown(plain + "+00:00") == expected(seconds, None)
    assert iso_shown(f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d} UTC") == \
        expected(seconds, None)
    if 1 < y < 9999:  # an hour east: the same instant
        assert iso_shown(f"{y:04d}-{mo:02d}-{d:02d}T{(h + 1) % 24:02d}:{mi:02d}:{s:02d}+01:00"
                         if h < 23 else plain + "Z") == expected(seconds, None)
    for kept in (plain, "yesterday", ""):
        assert iso_shown(kept) == kept
