"""A refused event batch names each bad event by a clipped event_id: an over-long id sent in
a batch is not echoed whole (a 2 MB event_id came back twice, detail and errors; a batch of
8 MB of long ids answered 18 MB)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.campaigns.events import check_events
from recommender.errors import InvalidParameterError
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("event-error-size")
    settings = Settings(model_path=str(save_model(folder / "model")),
                        store=str(folder / "store.db"), warm_cache=False)
    with TestClient(create_app(settings)) as c:
        yield c


def test_an_over_long_event_id_is_clipped_in_the_refusal(client: TestClient) -> None:
    long_id = "e" * 200_000
    body = {"events": [{"event_id": long_id, "user_id": "u1", "film_id": "00001",
                        "timestamp": 1_700_000_000}]}
    r = client.post("/events", json=body)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "events[0] (event_id 'eeee" in detail and "...')" in detail
    assert len(r.content) < 2_000, len(r.content)


def test_many_bad_events_answer_less_than_they_sent(client: TestClient) -> None:
    body = {"events": [{"event_id": f"{i:04d}" + "e" * 700, "user_id": "u1",
                        "film_id": "00001", "timestamp": 1_700_000_000} for i in range(300)]}
    r = client.post("/events", json=body)
    assert r.status_code == 422 and "events[19] (event_id '0019eee" in r.json()["detail"]
    # the detail says the first 20 and counts the rest; errors names each of the 300
    assert "and 280 more problems" in r.json()["detail"]
    assert r.json()["errors"][299]["msg"].startswith("events[299] (event_id '0299eee")
    assert len(r.content) < len(r.request.content), (len(r.content), len(r.request.content))


def test_the_library_clips_the_event_id_it_names() -> None:
    with pytest.raises(InvalidParameterError) as e:
        check_events([{"event_id": "x" * 100_000, "user_id": "u1", "film_id": "f",
                       "timestamp": -1}])
    assert "(event_id 'xxxx" in str(e.value) and len(str(e.value)) < 1_000
