"""The tables ``pseudonym_ids`` reads pseudonyms back with: a model's users are hashed once per
key and kept for the next batch, extended by the users an overlay appends and hashed anew for a
model of other users (never answered from a stale table); the store's are extended by the
events stored since; whatever cannot be read so is refused, first row named."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from pathlib import Path

import pytest
from helpers import synthetic_model

import recommender.campaigns.pseudonym_ids as pseudonym_ids
from recommender.campaigns.events import EventBatch, record_events
from recommender.campaigns.pseudonym_ids import UnmappedPseudonymError, unmasked_ids
from recommender.campaigns.store import open_store
from recommender.io.ids import IdMap


def oracle(user_id: str, key: bytes) -> str:
    return "p-" + hmac.new(key, user_id.encode(), hashlib.sha256).hexdigest()


@pytest.fixture()
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many ids each table build or extension hashed."""
    counts: list[int] = []
    real = pseudonym_ids.pseudonyms

    def counting(ids: list[str], key: bytes) -> list[str]:
        counts.append(len(ids))
        return real(ids, key)

    monkeypatch.setattr(pseudonym_ids, "pseudonyms", counting)
    return counts


def test_a_model_is_hashed_once_extended_by_appended_users_and_anew_for_others(
        hashed: list[int]) -> None:
    key = b"table-test-key-one-0123456789"
    model = synthetic_model(n_users=50, n_films=5)
    ids = model.users.ids.tolist()
    picked = [ids[7], ids[0], ids[7], ids[49]]
    assert unmasked_ids([oracle(u, key) for u in picked], key, model, None, "F") == picked
    assert sum(hashed) == 50
    assert unmasked_ids([oracle(ids[3], key)], key, model, None, "F") == [ids[3]]
    assert sum(hashed) == 50, "the same model: nothing hashed again"
    grown = dataclasses.replace(model, users=IdMap([*ids, "new-1", "new-2"]))  # an overlay's
    assert unmasked_ids([oracle("new-2", key), oracle(ids[5], key)], key, grown, None,
                        "F") == ["new-2", ids[5]]
    assert sum(hashed) == 52, "only the appended users hashed"
    other = dataclasses.replace(model, users=IdMap([f"x{i}" for i in range(50)]))
    assert unmasked_ids([oracle("x4", key)], key, other, None, "F") == ["x4"]
    with pytest.raises(UnmappedPseudonymError) as e:  # the old model's user: not from a stale table
        unmasked_ids([oracle("x1", key), oracle(ids[1], key)], key, other, None, "F")
    assert e.value.row == 1 and "pseudonym of no id" in e.value.reason


def test_the_store_table_follows_new_events(tmp_path: Path, hashed: list[int]) -> None:
    key = b"table-test-key-two-0123456789"
    store = open_store(str(tmp_path / "s.db"))
    try:
        record_events(store, EventBatch(["e1", "e2"], ["a", "b"], ["f", "f"],
                                        [1_700_000_000] * 2, [1.0, 1.0]))
        assert unmasked_ids([oracle("b", key)], key, None, store, "F") == ["b"]
        assert sorted(hashed) == [2]
        with pytest.raises(UnmappedPseudonymError) as e:
            unmasked_ids([oracle("a", key), oracle("c", key)], key, None, store, "F")
        assert e.value.row == 1
        record_events(store, EventBatch(["e3", "e4"], ["c", "a"], ["f", "f"],
                                        [1_700_000_000] * 2, [1.0, 1.0]))
        hashed.clear()
        assert unmasked_ids([oracle("a", key), oracle("c", key)], key, None, store,
                            "F") == ["a", "c"]
        assert hashed == [1], "only the user new to the store hashed"
    finally:
        store.close()


def test_every_id_must_be_a_pseudonym_the_first_bad_one_named() -> None:
    key = b"table-test-key-three-012345678"
    model = synthetic_model(n_users=20, n_films=5)
    u = model.users.ids.tolist()
    for bad, row in ((u[2], 1), ("u\ud800", 1), (oracle(u[2], key).upper(), 1),
                     (oracle(u[2], key)[:-1], 1)):
        with pytest.raises(UnmappedPseudonymError) as e:
            unmasked_ids([oracle(u[1], key), bad, "plain"], key, model, None, "the flag")
        assert e.value.row == row and e.value.plain
        assert "not a pseudonym" in e.value.reason and "the flag" in e.value.reason
        assert "2 of the batch's 3" in e.value.reason
    assert unmasked_ids([], key, model, None, "F") == []


def test_a_writer_s_table_holds_its_own_events_users(tmp_path: Path, hashed: list[int]) -> None:
    """``writer`` reads a pseudonym against that writer's events alone (None: every
    writer's), each table extended by that writer's new events only."""
    key = b"table-test-key-three-0123456789"
    store = open_store(str(tmp_path / "w.db"))
    try:
        for ids, users, writer in ((["e1", "e2"], ["a", "b"], "wa"), (["e3"], ["c"], "wb")):
            record_events(store, EventBatch(ids, users, ["f"] * len(ids),
                                            [1_700_000_000] * len(ids), [1.0] * len(ids)),
                          writer=writer)
        assert unmasked_ids([oracle("b", key)], key, None, store, "F", "wa") == ["b"]
        assert hashed == [2], "a's users alone"
        with pytest.raises(UnmappedPseudonymError) as e:  # c is in b's events only
            unmasked_ids([oracle("a", key), oracle("c", key)], key, None, store, "F", "wa")
        assert e.value.row == 1
        with pytest.raises(UnmappedPseudonymError):
            unmasked_ids([oracle("a", key)], key, None, store, "F", "wb")
        assert unmasked_ids([oracle("c", key), oracle("a", key)], key, None, store,
                            "F") == ["c", "a"]  # every writer's
        record_events(store, EventBatch(["e4"], ["a"], ["f"], [1_700_000_000], [1.0]),
                      writer="wb")
        hashed.clear()
        assert unmasked_ids([oracle("a", key)], key, None, store, "F", "wb") == ["a"]
        assert hashed == [1], "b's table, built above, extended by its new event's user"
    finally:
        store.close()
