"""``POST /events`` takes an event's timestamp as unix seconds or as an ISO 8601 time with its
zone, read by the rules ``events import`` and training read a timestamp column by; a time
without a zone is refused (it could be any zone's), naming the event and the value; the schema
says integer or date-time string, and every time its pattern describes is taken."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.campaigns.event_times import MIN_EVENT_TIMESTAMP
from recommender.campaigns.events import count_events, read_events
from recommender.io.convert import zoned_time
from service.app import create_app
from service.event_time_schema import event_time_pattern
from service.settings import Settings


@pytest.fixture()
def client(tmp_path: Path) -> Iterator[TestClient]:
    model = save_model(tmp_path / "model")
    settings = Settings(model_path=str(model), store=str(tmp_path / "store.db"),
                        warm_cache=False)
    with TestClient(create_app(settings)) as c:
        yield c


def _event(i: int, timestamp: Any) -> dict[str, Any]:
    return {"event_id": f"t-{i}", "user_id": "u1", "film_id": "00001", "timestamp": timestamp}


def _seconds(*fields: int, offset_minutes: int = 0) -> int:
    """The oracle: a wall-clock time at a UTC offset, by hand."""
    zone = timezone(timedelta(minutes=offset_minutes))
    return int(datetime(*fields, tzinfo=zone).timestamp())


# (as sent, unix seconds by hand): Z, offsets with and without a colon, lowercase t and z, a
# space, fractions floored
WRITTEN = [("2024-03-21T09:00:00Z", _seconds(2024, 3, 21, 9)),
           ("2024-03-21T09:00:00+01:00", _seconds(2024, 3, 21, 9, offset_minutes=60)),
           ("2024-03-21 09:30-0530", _seconds(2024, 3, 21, 9, 30, offset_minutes=-330)),
           ("2024-03-21t09:00:59.999z", _seconds(2024, 3, 21, 9, 0, 59)),
           ("1999-12-31T23:59:59.123456789-08:00",
            _seconds(1999, 12, 31, 23, 59, 59, offset_minutes=-480))]


def test_an_iso_time_with_its_zone_is_stored_as_its_unix_seconds(client: TestClient) -> None:
    events = [_event(i, text) for i, (text, _) in enumerate(WRITTEN)]
    events.append(_event(99, 1_700_000_000))  # an integer as before
    r = client.post("/events", json={"events": events})
    assert r.status_code == 200, r.text
    stored = read_events(client.app.state.campaign_store)  # type: ignore[attr-defined]
    assert stored.timestamp.tolist() == [s for _, s in WRITTEN] + [1_700_000_000]


@pytest.mark.parametrize("text", ["2024-03-21T09:00:00", "2024-03-21 09:00", "2024-03-21"])
def test_a_time_without_its_zone_is_refused_naming_the_event(client: TestClient,
                                                              text: str) -> None:
    r = client.post("/events", json={"events": [_event(0, "2024-03-21T09:00:00Z"),
                                                _event(1, text)]})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail.startswith("events[1] (event_id 't-1'): ") and f"got {text!r}" in detail
    assert "add Z (UTC) or an offset" in detail and "nothing of this batch" in detail
    assert count_events(client.app.state.campaign_store) == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize(("text", "said"), [
    ("1600000000", "should be whole unix seconds (a JSON number)"),  # digits as text
    ("2024-02-30T00:00:00Z", "ISO 8601 time in the extended form with its zone"),  # no day
    ("1989-12-31T23:59:59Z", "before 1990-01-01"),
    ("9999-12-31T00:00:00Z", "past the year 5138")])
def test_a_bad_time_is_refused_saying_why(client: TestClient, text: str, said: str) -> None:
    r = client.post("/events", json={"events": [_event(0, text)]})
    detail = r.json()["detail"]
    assert r.status_code == 422 and detail.startswith("events[0] (event_id 't-0'): "), r.text
    assert said in detail and detail.count(repr(text)) == 1, detail


def test_the_schema_says_integer_or_a_date_time_the_server_takes(client: TestClient) -> None:
    stamp = client.get("/openapi.json").json()["components"]["schemas"]["EventIn"][
        "properties"]["timestamp"]
    number, text = stamp["anyOf"]
    assert number["type"] == "integer" and number["minimum"] == MIN_EVENT_TIMESTAMP
    assert text["type"] == "string" and text["format"] == "date-time"
    assert re.search(text["pattern"], "2024-03-21T09:00:00Z")
    assert not re.search(text["pattern"], "2024-03-21T09:00:00")
    # the published maximum, as a time: two days before it, its month is not described
    top = datetime.fromtimestamp(number["maximum"] - 2 * 86_400, UTC)
    assert not re.search(text["pattern"], f"{top:%Y-%m}-01T00:00:00Z")


@pytest.mark.parametrize("event_max", [_seconds(2026, 3, 2), _seconds(2027, 1, 1, 23),
                                       _seconds(2026, 7, 15, 6)])
def test_every_end_of_the_pattern_is_taken_inside_the_bounds(event_max: int) -> None:
    pattern = event_time_pattern(event_max)
    last = datetime.fromtimestamp(event_max - 2 * 86_400, UTC)
    before = (last.replace(day=1) - timedelta(days=1))  # the last month described
    latest = f"{before:%Y-%m}-28T23:59:59.999999999-23:59"
    earliest = "1991-01-01T00:00+23:59"
    for text in (latest, earliest):
        assert re.fullmatch(pattern, text), text
        assert MIN_EVENT_TIMESTAMP <= zoned_time(text) <= event_max, text
    assert zoned_time(latest) == _seconds(before.year, before.month, 28, 23, 59, 59,
                                          offset_minutes=-(23 * 60 + 59))
    assert not re.fullmatch(pattern, f"{last:%Y-%m}-01T00:00Z")
    assert not re.fullmatch(pattern, "1990-06-01T00:00Z")


def test_a_refusal_names_the_extended_form_and_gives_a_basic_time_in_it(
        client: TestClient) -> None:
    """The readers name ISO 8601's extended form, the one they read, where ``POST /events``
    and a wave's send time said "an ISO 8601 time with its zone" while refusing the basic
    form (20240321T090000Z is ISO 8601 too); a time in the basic form is told its extended
    form (the oracle: written by hand)."""
    from recommender.campaigns.wave_sends import parse_sent_at
    from recommender.errors import InvalidParameterError

    r = client.post("/events", json={"events": [_event(0, "20240321T090000Z")]})
    detail = r.json()["detail"]
    assert r.status_code == 422 and "an ISO 8601 time in the extended form with its zone, " \
        "such as 2020-01-31T12:00:00Z or 2020-01-31T13:00:00+01:00" in detail, detail
    assert "it is in ISO 8601's basic form, which is not read (in the extended form: " \
        "2024-03-21T09:00:00Z)" in detail
    assert zoned_time("2024-03-21T09:00:00Z") == _seconds(2024, 3, 21, 9)  # as it is told
    with pytest.raises(InvalidParameterError) as e:
        parse_sent_at("next tuesday")
    assert "an ISO 8601 time in the extended form with its UTC offset (e.g. " \
        "2024-03-21T09:00:00Z or 2024-03-21T10:00:00+01:00)" in str(e.value)


def test_a_zone_less_basic_time_is_told_to_add_its_zone() -> None:
    """A POST /events time in ISO 8601's basic form without a zone (20170621T071725) was told
    its extended form (2017-06-21T07:17:25), which is refused in turn for its missing zone:
    the hint now says to add Z or an offset, and that time with Z reads as the instant
    ``datetime.strptime`` gives for the basic form in UTC."""
    from datetime import UTC, datetime

    from recommender.io.convert import zoned_time

    with pytest.raises(ValueError) as e:
        zoned_time("20170621T071725")
    said = str(e.value)
    assert "(in the extended form: 2017-06-21T07:17:25, with Z or an offset" in said, said
    want = datetime.strptime("20170621T071725", "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    assert zoned_time("2017-06-21T07:17:25Z") == int(want.timestamp())
    with pytest.raises(ValueError) as zoned:  # a zone already there: no such advice
        zoned_time("20170621T071725Z")
    assert "with Z or an offset" not in str(zoned.value)
