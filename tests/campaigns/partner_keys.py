"""The set-up of the tests of what a key is told of its own events: partners' write keys (ids
a and b), read keys (b's shares the id of b's write key, c's wrote nothing), an admin key, a
service over the service-test model behind them with its own store per test and the events
poller driven by hand (``events_poll=0``, so nothing waits on a clock), and the store's
events read back from its table (the oracle: each event's ``seq``, ``writer`` and user)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.campaigns.event_writers import writer_id
from recommender.campaigns.events import events
from service.app import create_app
from service.settings import Settings

KEY_A, KEY_B = "partner-a-key-0123456789", "partner-b-key-0123456789"
READ_B, READ_C = "partner-b-read-0123456789", "partner-c-read-0123456789"
ADMIN = "admin-key-0123456789abcdef"


def keyed_model_and_client(room: str, read_keys: str,
                           before: Callable[[TestClient], None] | None = None,
                           save: Callable[[Path], Path] = save_model,
                           **more: Any) -> tuple[Any, Any]:
    """A test module's ``model_dir`` (module scope) and ``client`` (one a test, with a store of
    its own) fixtures, assigned as ``model_dir, client = keyed_model_and_client(...)``: the
    model ``save`` writes (the service-test model) in a temporary directory named ``room``,
    served behind the write keys of ids a and b, ``read_keys`` (``"id:key,..."``) and the
    admin key, with the ``Settings`` in ``more`` besides; ``before`` is given the client
    before the test is."""

    @pytest.fixture(scope="module", name="model_dir")
    def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
        return save(tmp_path_factory.mktemp(room) / "model")

    @pytest.fixture(name="client")
    def client(model_dir: Path, tmp_path: Path) -> Iterator[TestClient]:
        settings = Settings(model_path=str(model_dir), store=str(tmp_path / "store.db"),
                            write_keys=f"a:{KEY_A},b:{KEY_B}", read_keys=read_keys,
                            admin_key=ADMIN, events_poll=0, warm_cache=False, **more)
        with TestClient(create_app(settings)) as c:
            if before is not None:
                before(c)
            yield c

    return model_dir, client


def post_events(client: TestClient, key: str, sent: list[tuple[str, str, str]],
                pseudonymized: bool = False) -> Any:
    """``POST /events`` of (event_id, user_id, film_id) triples with ``key`` (its user ids
    said to be pseudonyms where ``pseudonymized``); the response."""
    return client.post("/events" + ("?pseudonymized=true" if pseudonymized else ""),
                       headers={"X-API-Key": key}, json={"events": [
                           {"event_id": e, "user_id": u, "film_id": f,
                            "timestamp": 1_700_000_000} for e, u, f in sent]})


def post(client: TestClient, key: str, sent: list[tuple[str, str, str]]) -> dict[str, Any]:
    """``post_events``'s answer, said to be a 200."""
    r = post_events(client, key, sent)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def stored(client: TestClient) -> list[tuple[int, str, str]]:
    """(seq, writer, user_id) of every stored event, read from the table."""
    with client.app.state.campaign_store.engine.connect() as conn:  # type: ignore[attr-defined]
        c = events.c
        return [(int(r[0]), str(r[1]), str(r[2])) for r in conn.execute(
            sa.select(c.seq, c.writer, c.user_id).order_by(c.seq))]


def own(client: TestClient, name: str, through: int | None = None) -> int:
    """How many events the key of id ``name`` stored (with ``seq`` at most ``through``)."""
    return sum(w == writer_id(name) and (through is None or s <= through)
               for s, w, _ in stored(client))


def poll(client: TestClient) -> int:
    """Run the events poller once; the sequence it has applied."""
    sync = client.app.state.events_sync  # type: ignore[attr-defined]
    sync.poll()
    applied: int = sync.applied
    return applied
