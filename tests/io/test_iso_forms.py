"""A time refused by the readers is told which ISO 8601 form is read: the messages said "an ISO
8601 date" while refusing valid ISO 8601 (the basic form 20170621T071725Z, a week date, the
hour 24:00). They name the extended form, and a time in the basic form is told how it is
written in the extended one, which is then read as the same instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from recommender.errors import DataError
from recommender.io.convert import zoned_time
from recommender.io.iso_forms import basic_form
from recommender.io.readers import load

EXTENDED = "an ISO 8601 date or time in the extended form (2017-06-21 or 2017-06-21T07:17:25Z)"


def _log(tmp_path: Path, value: str) -> Path:
    path = tmp_path / "log.csv"
    path.write_text(f"user_id,film_id,timestamp\nu1,f1,2017-06-20T00:00:00Z\nu2,f1,{value}\n")
    return path


@pytest.mark.parametrize(("basic", "fmt"), [
    ("20170621T071725Z", "%Y%m%dT%H%M%S%z"),
    ("20170621T071725+0200", "%Y%m%dT%H%M%S%z"),
    ("20170621T0717-0330", "%Y%m%dT%H%M%z"),
    ("20170621T071725.250Z", "%Y%m%dT%H%M%S.%f%z"),
])
def test_the_basic_form_is_named_with_its_extended_form(tmp_path: Path, basic: str,
                                                        fmt: str) -> None:
    with pytest.raises(DataError) as info:
        load(_log(tmp_path, basic))
    extended = basic_form(basic)
    assert info.value.line == 3 and info.value.reason == (
        f"timestamp {basic!r} is in ISO 8601's basic form, which is not read (in the extended "
        f"form: {extended}); expected unix seconds or {EXTENDED}"), str(info.value)
    # the form suggested is read, as the instant the basic form names (Python's oracle)
    assert extended is not None
    got = load(_log(tmp_path, extended)).timestamp
    assert got is not None and int(got.max()) == int(datetime.strptime(basic, fmt).timestamp())


@pytest.mark.parametrize("value", ["2017-W25-3", "2017-172", "2017-06-21T24:00:00Z", "soon"])
def test_other_forms_are_told_the_extended_form(tmp_path: Path, value: str) -> None:
    with pytest.raises(DataError) as info:
        load(_log(tmp_path, value))
    assert info.value.reason == (f"timestamp {value!r} is not valid; expected unix seconds or "
                                 f"{EXTENDED}"), str(info.value)
    assert basic_form(value) is None



@pytest.mark.parametrize(("basic", "instant"), [
    ("20170621T0717.5", datetime(2017, 6, 21, 7, 17, 30, tzinfo=UTC)),  # no zone: UTC
    ("20170621T0717,25Z", datetime(2017, 6, 21, 7, 17, 15, tzinfo=UTC)),
    ("20170621T07.5Z", datetime(2017, 6, 21, 7, 30, tzinfo=UTC)),
    ("20170621T07.999+0200", datetime(2017, 6, 21, 7, 59, 56, tzinfo=timezone(
        timedelta(hours=2)))),  # 56.4 s, floored
    ("20170621T0717.125-0330", datetime(2017, 6, 21, 7, 17, 7, tzinfo=timezone(
        -timedelta(hours=3, minutes=30)))),  # 7.5 s, floored
    ("20170621T071725.250Z", datetime(2017, 6, 21, 7, 17, 25, tzinfo=UTC)),
    ("20170621T07", datetime(2017, 6, 21, 7, tzinfo=UTC)),
    ("20171321T0717Z", None),  # month 13
    ("20170631T0717Z", None),  # June 31st
    ("20170621T2400Z", None),  # the hour 24, not read in either form
    ("20170621T0760Z", None),
    ("20170621T071760Z", None),  # a leap second
])
def test_every_form_suggested_is_read(tmp_path: Path, basic: str,
                                      instant: datetime | None) -> None:
    """A fraction of the hour or minute (``T0717.5``) was suggested as ``07:17.5``, and an
    invalid date or hour as its extended form, each refused in turn: a suggestion is read
    now, by the column reader and the one-time reader, as the instant the basic form names;
    a time no form of which is read is given none."""
    extended = basic_form(basic)
    if instant is None:
        assert extended is None, extended
        return
    assert extended is not None and "-" in extended[:8], extended
    got = load(_log(tmp_path, extended)).timestamp
    assert got is not None and int(got.max()) == int(instant.timestamp()), extended
    zoned = extended if basic[-1] == "Z" or basic[-5] in "+-" else extended + "Z"
    assert zoned_time(zoned) == int(instant.timestamp()), extended
