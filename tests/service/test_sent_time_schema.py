"""The wave-sent body's ``at`` text is described by a pattern that holds only what the server
takes: ``""`` was schema-valid and refused with a 422 (the schema contract test found it)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from recommender.campaigns.wave_sends import parse_sent_at
from service.wave_send_schemas import SENT_TIME_PATTERN, SentRequest

TAKEN = ["2024-03-21T09:00Z", "2024-03-21 09:00:00+05:30",
         "2024-12-28T23:59:59.123456-0800", "1999-01-01T00:00:00+00:00"]
NOT_DESCRIBED = ["", " ", "2024-03-21T09:00", "2024-03-21", "yesterday", "1e9", "2024-13-01T00:00Z",
                 "2024-03-21T24:00Z", " 5", "0", "-5", "1711011600"]  # seconds: a JSON number


@pytest.mark.parametrize("text", TAKEN)
def test_every_text_the_pattern_describes_is_taken(text: str) -> None:
    assert re.fullmatch(SENT_TIME_PATTERN, text)
    got = SentRequest(at=text).at  # as POST .../sent reads it
    assert got == parse_sent_at(text)  # and campaign sent --at
    # the oracle: the offset applied by hand
    m = re.fullmatch(r"(.{10})[T ](\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?(Z|([+-])(\d\d):?(\d\d))",
                     text)
    assert m is not None
    day = datetime.strptime(m[1], "%Y-%m-%d").replace(tzinfo=UTC)
    local = day + timedelta(hours=int(m[2]), minutes=int(m[3]), seconds=int(m[4] or 0))
    offset = 0 if m[5] == "Z" else (1 if m[6] == "+" else -1) * (
        int(m[7]) * 3600 + int(m[8]) * 60)
    assert got == int(local.timestamp()) - offset


@pytest.mark.parametrize("text", NOT_DESCRIBED)
def test_text_outside_it_is_not_described(text: str) -> None:
    assert not re.fullmatch(SENT_TIME_PATTERN, text)


def test_the_schema_carries_the_pattern() -> None:
    schema = SentRequest.model_json_schema()
    texts = [s for s in schema["properties"]["at"]["anyOf"] if s.get("type") == "string"]
    assert [s["pattern"] for s in texts] == [SENT_TIME_PATTERN]
