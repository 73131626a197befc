"""Responses keyed by the pseudonyms of a pseudonymised export are refused (HTTP 422, exit 2),
nothing stored: stored, none counted as a conversion and each became a new user of the
overlay, who appeared in audiences beside the person it stands for."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli, synthetic_model
from service_fixtures import save_model

from recommender.campaigns.events import count_events
from recommender.campaigns.pseudonymous import first_pseudonym
from recommender.io.ids import IdMap
from recommender.query.pseudonym import pseudonym
from service.app import create_app
from service.settings import Settings

KEY = b"k" * 32


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("events-pseudonyms") / "model")


@pytest.fixture()
def client(model_dir: Path, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "store.db"),
                        events_poll=0.05, warm_cache=False)
    with TestClient(create_app(settings)) as c:
        yield c


def test_post_events_refuses_a_pseudonym_and_stores_nothing(client: TestClient) -> None:
    fake = pseudonym("u5", KEY)
    body = {"events": [{"event_id": "e0", "user_id": "u5", "film_id": "00003",
                        "timestamp": 1_700_000_000},
                       {"event_id": "e1", "user_id": fake, "film_id": "00003",
                        "timestamp": 1_700_000_000}]}
    r = client.post("/events", json=body)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert "events[1] (event_id 'e1')" in detail and "pseudonym" in detail
    assert "nothing of this batch was stored" in detail
    store = client.app.state.campaign_store  # type: ignore[attr-defined]
    assert count_events(store) == 0
    body["events"] = body["events"][:1]  # the raw id is taken
    assert client.post("/events", json=body).json()["stored"] == 1


def test_events_import_refuses_a_pseudonym_before_the_store(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "responses.csv"
    path.write_text(f"user_id,film_id,timestamp\nu5,00003,1700000000\n"
                    f"{pseudonym('u6', KEY)},00003,1700000000\n")
    for extra in ((), ("--model", model_dir)):
        code, _, err = run_cli(capsys, "events", "import", "--store", tmp_path / "s.db", path,
                               *extra)
        assert code == 2 and "line 3" in err and "pseudonym" in err, err
        assert "nothing of the file was stored" in err
        assert not (tmp_path / "s.db").exists()


def test_a_model_whose_users_have_such_ids_keeps_them() -> None:
    model = synthetic_model(n_users=20, n_films=5)
    ids = model.users.ids.tolist()
    ids[3] = pseudonym("someone", KEY)  # a log keyed by pseudonyms made elsewhere
    mine = dataclasses.replace(model, users=IdMap(ids))
    other = pseudonym("someone else", KEY)
    assert first_pseudonym([ids[0], ids[3]], mine) is None
    assert first_pseudonym([ids[0], ids[3]], None) == 1
    assert first_pseudonym([ids[3], other, other.upper()], mine) == 1


def test_the_check_is_light_on_a_large_batch_with_one_long_id() -> None:
    """The candidates are picked by length: the ids as a fixed-width array were as wide as the
    longest in every row (one user id of 1,000 characters, the limit, in a 1,000,000-line
    import took 4 GB and 18 s; here 50,000 lines took 200 MB); an id with a lone surrogate,
    which JSON carries, is an id like another."""
    import tracemalloc

    ids = [f"u{i}" for i in range(50_000)]
    ids[-1] = "x" * 1000
    ids[7] = pseudonym("u7", KEY)
    tracemalloc.start()
    try:
        assert first_pseudonym(ids, None) == 7
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000, f"{peak:,} bytes"
    assert first_pseudonym(["u\ud800", "p-" + "A" * 64, "p-" + "a" * 63 + "g"], None) is None
