"""What a model answer and ``/health`` tell a read or write key of the store's events: its own.

``X-Events-Seq`` named the store's sequence the answering model reflects to every key, and
``/health``'s ``model.store_events`` (``events_applied``, ``through_seq``) and the training
data's ``+ N events`` counted every key's events too, so a partner read the other partners'
volumes there while ``GET /events/status`` showed it its own (``counted`` "key"). A
pseudonymised batch (``POST /events?pseudonymized=true``) was read against every key's
events: a pseudonym of an id in another key's events alone was stored, where a plain batch's
quoted id is looked up in the key's own. The admin key keeps the store's counts.

Oracles: the rows read back from the store's table (each event's ``writer`` and ``seq``), the
sequence the worker's poller says it applied and the pseudonyms computed here with ``hmac``.
The poller is driven by hand (``events_poll=0``), so nothing here waits on a clock."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from partner_keys import (
    ADMIN,
    KEY_A,
    KEY_B,
    READ_B,
    READ_C,
    keyed_model_and_client,
    own,
    poll,
    stored,
)
from partner_keys import post_events as post
from service_fixtures import build_model

from recommender.campaigns.event_writers import writer_id
from recommender.campaigns.events import events
from recommender.model import artifact

PSEUDONYM_KEY = "events-seq-pseudonym-key-0123456789"
PHONE = "+33612340001"  # a user neither the model nor any plan holds
TRAINED_WITH = "/srv/data/ratings.csv + 12 events from sqlite:////srv/store.db"


def _trained_with(path: Path) -> Path:
    """The service-test model, said to be trained with 12 of a store's events."""
    model = build_model()
    model.meta.setdefault("data", {})["source"] = TRAINED_WITH
    return artifact.save(model, path)


# b's read key shares the id of b's write key: it reads the events b wrote
model_dir, client = keyed_model_and_client("events-seq-per-key", f"b:{READ_B},c:{READ_C}",
                                           save=_trained_with, pseudonym_key=PSEUDONYM_KEY)


def seqs(client: TestClient, key: str) -> tuple[int, int, int]:
    """``X-Events-Seq`` of a recommendations answer by the fast path (a plain request) and by
    the route (a parameter spelled otherwise), and ``/events/status``'s ``applied``."""
    headers = {"X-API-Key": key}
    fast = client.get("/users/u5/recommendations", headers=headers)
    routed = client.get("/users/u5/recommendations?k=05", headers=headers)
    status = client.get("/events/status", headers=headers)
    assert fast.status_code == routed.status_code == status.status_code == 200
    return (int(fast.headers["X-Events-Seq"]), int(routed.headers["X-Events-Seq"]),
            int(status.json()["applied"]))


def model_of(client: TestClient, key: str) -> dict[str, Any]:
    r = client.get("/health", headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    model: dict[str, Any] = r.json()["model"]
    return model


def send(client: TestClient) -> int:
    """B's one event and A's five, applied: the store's sequence the model reflects."""
    assert post(client, KEY_B, [("b-1", "u5", "00003")]).status_code == 200
    assert post(client, KEY_A, [(f"a-{i}", "u7", "00004") for i in range(5)]).status_code == 200
    return poll(client)


def test_a_key_s_events_seq_counts_its_own_events(client: TestClient) -> None:
    applied = send(client)
    assert applied == 6
    # each key: its own events the model reflects, as its status says (the header said 6)
    assert seqs(client, KEY_B) == (1, 1, 1) == (own(client, "b", applied),) * 3
    assert seqs(client, READ_B) == (1, 1, 1)  # b's read key: the events b wrote
    assert seqs(client, KEY_A) == (5, 5, 5) == (own(client, "a", applied),) * 3
    assert seqs(client, READ_C) == (0, 0, 0)  # a key that wrote nothing
    assert seqs(client, ADMIN) == (applied,) * 3  # the store's, as before
    # A's events move nothing B reads, once applied (the store's moved to 14)
    assert post(client, KEY_A, [(f"a2-{i}", "u7", "00003") for i in range(8)]).status_code == 200
    assert poll(client) == 14
    assert seqs(client, KEY_B) == (1, 1, 1)
    assert seqs(client, KEY_A) == (13, 13, 13) == (own(client, "a", 14),) * 3
    assert seqs(client, ADMIN) == (14, 14, 14)
    # B's own next event moves its count by one, once applied
    assert post(client, KEY_B, [("b-2", "u6", "00004")]).status_code == 200
    assert seqs(client, KEY_B) == (1, 1, 1)  # not applied yet
    assert poll(client) == 15
    assert seqs(client, KEY_B) == (2, 2, 2) == (own(client, "b", 15),) * 3


def test_health_counts_a_key_s_own_events(client: TestClient) -> None:
    applied = send(client)
    b_model = model_of(client, KEY_B)
    # B's events the model reflects (its X-Events-Seq); not the 6 events applied, every key's
    assert b_model["store_events"] == {"through_seq": own(client, "b", applied),
                                       "counted": "key"}, b_model
    assert b_model["data_source"] == "ratings.csv + campaign events"  # not "+ 12 events"
    assert model_of(client, READ_C)["store_events"] == {"through_seq": 0, "counted": "key"}
    admin = model_of(client, ADMIN)
    assert admin["store_events"] == {"events_applied": 6, "through_seq": applied,
                                     "new_users": 0}
    assert admin["data_source"] == TRAINED_WITH
    # A's events move nothing B reads, once applied
    assert post(client, KEY_A, [(f"a2-{i}", "u7", "00003") for i in range(8)]).status_code == 200
    assert poll(client) == 14
    assert model_of(client, KEY_B) == b_model
    assert model_of(client, KEY_A)["store_events"] == {"through_seq": 13, "counted": "key"}
    assert model_of(client, ADMIN)["store_events"]["events_applied"] == 14


def test_a_pseudonym_is_read_against_the_key_s_own_events(client: TestClient) -> None:
    # A's events are left unapplied: once the poller folds them in, the served model (every
    # key's) holds A's new user, and a pseudonym of it is read by the model's table
    pseudonym = "p-" + hmac.new(PSEUDONYM_KEY.encode(), PHONE.encode(),
                                hashlib.sha256).hexdigest()
    assert post(client, KEY_A, [("a-1", PHONE, "00003")]).status_code == 200
    b = post(client, KEY_B, [("b-1", pseudonym, "00003")], pseudonymized=True)
    # only A's events held the phone: B's batch was read as it and stored (it was a 200)
    assert b.status_code == 404 and "events[0] (event_id 'b-1')" in b.json()["detail"], b.text
    assert [(w, u) for _, w, u in stored(client)] == [(writer_id("a"), PHONE)]
    a = post(client, KEY_A, [("a-2", pseudonym, "00003")], pseudonymized=True)
    assert a.status_code == 200, a.text  # A's own event holds it
    admin = post(client, ADMIN, [("x-1", pseudonym, "00003")], pseudonymized=True)
    assert admin.status_code == 200, admin.text  # the admin key: every key's events
    assert [(w, u) for _, w, u in stored(client)] == [
        (writer_id("a"), PHONE), (writer_id("a"), PHONE), (writer_id("admin"), PHONE)]
    assert post(client, KEY_B, [("b-1", pseudonym, "00003")],
                pseudonymized=True).status_code == 404  # still not B's


def test_a_key_s_events_seq_is_counted_once_per_model(client: TestClient,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The header is on every model answer: a key's count at its engine's sequence is read
    from the store once, then remembered (``writer_counts.remembered``)."""
    import recommender.campaigns.writer_counts as writer_counts

    counted: list[int | None] = []
    real = writer_counts.writer_position

    def counting(store: Any, writer: str, through: int | None = None) -> tuple[int, int]:
        counted.append(through)
        return real(store, writer, through)

    monkeypatch.setattr(writer_counts, "writer_position", counting)
    applied = send(client)
    headers = {"X-API-Key": KEY_B}
    shown = [client.get("/users/u5/recommendations", headers=headers).headers["X-Events-Seq"]
             for _ in range(4)]
    assert shown == [str(own(client, "b", applied))] * 4 == ["1"] * 4
    assert counted == [applied], counted  # the first answer's header alone read the store
    assert post(client, KEY_A, [("a-9", "u7", "00003")]).status_code == 200
    applied = poll(client)
    counted.clear()
    assert [client.get("/users/u5/recommendations?k=05", headers=headers).headers[
        "X-Events-Seq"] for _ in range(3)] == ["1"] * 3
    assert counted == [applied], "the model moved: counted once at its sequence"


def test_a_key_s_events_seq_after_a_restore_in_place(client: TestClient) -> None:
    """The store restored in place (its events past sequence 1 deleted, its sequence set
    back: ``pg_restore --clean`` into the same database), then B's five events stored under
    the numbers A's had, the store's latest sequence the same: the header kept B's count
    remembered before the restore (``writer_counts.remembered`` reads nothing) until a status
    or a post counted again; the worker's next poll notices it now."""
    from recommender.campaigns.events import EventBatch, record_events

    applied = send(client)  # 1: B's, 2-6: A's
    assert seqs(client, KEY_B)[:2] == (1, 1)  # B's count at 6, remembered
    store = client.app.state.campaign_store  # type: ignore[attr-defined]
    with store.engine.begin() as conn:
        conn.execute(sa.delete(events).where(events.c.seq > 1))
        conn.exec_driver_sql("UPDATE sqlite_sequence SET seq = 1 WHERE name = ?",
                             ("campaign_events",))
    for i in range(5):  # written by another process (the CLI): nothing here counted them
        record_events(store, EventBatch([f"r-{i}"], ["u5"], ["00003"], [1_700_000_000],
                                        [1.0]), writer_id("b"))
    assert [(s, w) for s, w, _ in stored(client)] == [(s, writer_id("b")) for s in range(1, 7)]
    assert poll(client) == applied == 6  # nothing new past the sequence it applied
    headers = {"X-API-Key": KEY_B}
    fast = client.get("/users/u5/recommendations", headers=headers)
    routed = client.get("/users/u5/recommendations?k=05", headers=headers)
    assert (fast.headers["X-Events-Seq"], routed.headers["X-Events-Seq"]) == (
        str(own(client, "b", applied)),) * 2 == ("6", "6")
    assert seqs(client, KEY_A) == (0, 0, 0) == (own(client, "a", applied),) * 3
