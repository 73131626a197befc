"""A wave's send time follows ``POST /events``' rules for a timestamp (README): whole unix
seconds or an ISO 8601 time in the extended form with its offset (a fraction of a second
floored), the basic form and week dates refused, digits in a JSON string refused, milliseconds
told to divide by 1,000, and at most a day past the server's clock, as an event. Sends read
times with ``datetime.fromisoformat`` and took ``20260329T013000Z``, ``2026-W50-1T12:00:00Z``
and ``"1774747800"``; a millisecond time was only "in the future (58209-...)"; a fraction was
refused as a number and floored as text, and over HTTP it was two errors, one located in the
validation library's own names. Oracle: Python's ``datetime`` in UTC, computed here."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from service_fixtures import save_model
from test_wave_sends import stored

from recommender.campaigns.store import open_store
from recommender.campaigns.wave_sends import parse_sent_at, wave_send_times
from recommender.errors import InvalidParameterError
from service.app import create_app
from service.settings import Settings

AT = int(datetime(2026, 3, 29, 1, 30, tzinfo=UTC).timestamp())  # 1774747800
URL = "/campaigns/plan-w/waves/1/sent"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    url = str(tmp_path / "s.db")
    store = open_store(url)
    stored(store)  # plan-w, 2 waves, created 2024-03-01
    store.close()
    settings = Settings(model_path=str(save_model(tmp_path / "model")), store=url,
                        warm_cache=False)
    with TestClient(create_app(settings)) as client:
        yield client, url


@pytest.mark.parametrize("text", ["20260329T013000Z", "2026-W50-1T12:00:00Z", "2026-088T01:30Z"])
def test_the_basic_form_and_week_and_ordinal_dates_are_refused(
        served: tuple[TestClient, str], text: str) -> None:
    client, url = served
    with pytest.raises(InvalidParameterError) as e:
        parse_sent_at(text)
    assert "ISO 8601 time in the extended form with its UTC offset" in str(e.value)
    r = client.post(URL, json={"at": text})
    assert r.status_code == 422 and [x["loc"] for x in r.json()["errors"]] == [["body", "at"]]
    assert "extended form" in r.json()["detail"], r.text
    if text.startswith("2026032"):  # told how the extended form writes it
        assert "2026-03-29T01:30:00Z" in str(e.value) and "2026-03-29T01:30:00Z" in r.text
    store = open_store(url)
    assert wave_send_times(store, "plan-w") == {}
    store.close()


def test_digits_in_a_json_string_are_refused_as_post_events_refuses_them(
        served: tuple[TestClient, str]) -> None:
    client, _ = served
    r = client.post(URL, json={"at": str(AT)})
    assert r.status_code == 422 and "JSON number" in r.json()["detail"], r.text
    ev = {"event_id": "e1", "user_id": "u1", "film_id": "00001", "timestamp": str(AT)}
    assert client.post("/events", json={"events": [ev]}).status_code == 422
    assert parse_sent_at(str(AT)) == AT  # --at is text: its digits are the number


def test_milliseconds_are_told_to_divide_by_1000_as_events_are(
        served: tuple[TestClient, str], capsys: pytest.CaptureFixture[str]) -> None:
    client, url = served
    ms = AT * 1000
    hint = "milliseconds? divide by 1,000"
    code, _, err = run_cli(capsys, "campaign", "sent", "plan-w", "--wave", "1", "--at", str(ms),
                           "--store", url)
    assert code == 2 and hint in err and "58209" not in err, err
    r = client.post(URL, json={"at": ms})
    assert r.status_code == 422 and hint in r.json()["detail"], r.text
    assert [x["loc"] for x in r.json()["errors"]] == [["body", "at"]]
    ev = {"event_id": "e1", "user_id": "u1", "film_id": "00001", "timestamp": ms}
    events = client.post("/events", json={"events": [ev]}).json()["detail"]
    said = r.json()["detail"]
    shared = said[said.index("whole unix seconds"):said.index(hint) + len(hint)]
    assert shared in events, (shared, events)  # one wording


def test_a_fraction_follows_post_events_rule(served: tuple[TestClient, str],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """POST /events: a timestamp is a whole number (a JSON number with a fraction is a 422), an
    ISO 8601 time's fraction of a second is floored. Sends alike, CLI and HTTP."""
    client, url = served
    r = client.post(URL, json={"at": AT + 0.5})
    assert r.status_code == 422, r.text
    assert [x["loc"] for x in r.json()["errors"]] == [["body", "at"]], r.text
    assert "whole unix seconds" in r.json()["detail"]
    ev = {"event_id": "e1", "user_id": "u1", "film_id": "00001", "timestamp": AT + 0.5}
    assert client.post("/events", json={"events": [ev]}).status_code == 422
    code, _, err = run_cli(capsys, "campaign", "sent", "plan-w", "--wave", "1", "--at",
                           f"{AT}.5", "--store", url)
    assert code == 2 and "whole unix seconds" in err, err
    assert parse_sent_at("2026-03-29T01:30:00.7Z") == AT  # floored, as events are
    r = client.post(URL, json={"at": "2026-03-29T01:30:00.7Z"})
    assert r.status_code == 200 and r.json()["sent_at"] == AT, r.text


def test_a_send_is_held_to_a_day_past_the_server_clock_as_an_event(
        served: tuple[TestClient, str]) -> None:
    client, _ = served
    client.get("/openapi.json")  # a schema built, as POST /events was held to it
    far = int(time.time()) + 86_400 + 120
    r = client.post(URL, json={"at": far})
    iso = datetime.fromtimestamp(far, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    said = r.json()["detail"]
    assert r.status_code == 422 and f"{far} ({iso})" in said, said
    assert "more than a day" in said and "past the server's clock" in said, said
    near = int(time.time()) + 86_340
    ev = {"event_id": "e1", "user_id": "u1", "film_id": "00001", "timestamp": near}
    assert client.post("/events", json={"events": [ev]}).status_code == 200
    r = client.post(URL, json={"at": near})
    assert r.status_code == 200 and r.json()["sent_at"] == near, r.text
