"""A time refused by the readers is told which ISO 8601 form is read: the messages said "an ISO
8601 date" while refusing valid ISO 8601 (the basic form 20170621T071725Z, a week date, the
hour 24:00). They name the extended form, and a time in the basic form is told how it is
written in the extended one, which is then read as the same instant."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from recommender.errors import DataError
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
