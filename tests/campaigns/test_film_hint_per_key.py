"""An unknown film's hint counts the events the caller is shown: a read or write key its own.

The 404 of a film the served model lacks (and a cold start's skipped comparable films) said
"the campaign store holds N events for it" counting every key's events, so a partner asking
of an id learnt that another partner sent events for that film, and how many. A read or
write key is now told of its own events alone (nothing when it sent none), in words that say
they are its own ("the campaign store holds your key's N events for it": the store's wording
read as every key's count); the admin key keeps the store's count and its words.

Oracle: the rows read back from the store's table (each event's ``writer`` and ``film_id``).
The poller is driven by hand (``events_poll=0``), so nothing here waits on a clock."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from partner_keys import ADMIN, KEY_A, KEY_B, READ_C, keyed_model_and_client, poll, post

from recommender.campaigns.event_writers import writer_id
from recommender.campaigns.events import events

FILM = "zz"  # a film the model lacks


def _send(client: TestClient) -> None:
    """Key a's 3 events and key b's 2 for ``FILM``, applied."""
    for key, n in ((KEY_A, 3), (KEY_B, 2)):
        post(client, key, [(f"{key[8]}-{i}", f"u{i}", FILM) for i in range(n)])
    poll(client)


model_dir, client = keyed_model_and_client("film-hint-per-key", f"c:{READ_C}", _send)


def held(client: TestClient, name: str | None) -> int:
    """The events for ``FILM`` the key of id ``name`` stored (None: every key's)."""
    c = events.c
    query = sa.select(sa.func.count()).where(c.film_id == FILM)
    if name is not None:
        query = query.where(c.writer == writer_id(name))
    with client.app.state.campaign_store.engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(query).scalar_one())


def said(n: int, own: bool) -> str:
    """The hint's words for ``n`` events: the key's own (``own``) or the store's."""
    whose = "your key's " if own else ""
    return f"the campaign store holds {whose}{n} event{'s' if n != 1 else ''} for it since"


@pytest.mark.parametrize(("key", "name"), [(KEY_A, "a"), (KEY_B, "b"), (READ_C, "c"),
                                           (ADMIN, None)])
def test_an_unknown_film_s_404_counts_the_caller_s_events(
        client: TestClient, key: str, name: str | None) -> None:
    n = held(client, name)
    assert held(client, None) == 5  # both keys sent events for it
    r = client.get(f"/films/{FILM}/audience", headers={"X-API-Key": key})
    assert r.status_code == 404, r.text
    detail = r.json()["detail"]
    assert (said(n, name is not None) in detail) if n else ("campaign store" not in detail), detail
    if n and name is not None:  # a key's own count is never said as the store's
        assert said(n, False) not in detail, detail


@pytest.mark.parametrize(("key", "name"), [(KEY_A, "a"), (KEY_B, "b"), (READ_C, "c"),
                                           (ADMIN, None)])
def test_a_cold_start_s_skipped_film_counts_the_caller_s_events(
        client: TestClient, key: str, name: str | None) -> None:
    n = held(client, name)
    r = client.post("/audiences/cold-start", headers={"X-API-Key": key},
                    json={"comparable_film_ids": [FILM], "genres": ["G1"], "k": 3})
    assert r.status_code == 200, r.text
    hints = r.json()["unknown_film_hints"]
    assert len(hints) == 1
    assert (said(n, name is not None) in hints[0]) if n else (
        "campaign store" not in hints[0]), hints
    if n and name is not None:
        assert said(n, False) not in hints[0], hints
