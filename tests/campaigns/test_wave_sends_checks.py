"""Recorded wave sends seen and kept consistent: ``campaign show`` and ``GET
/campaigns/{plan_id}`` list them; a withdrawal or a next wave that says fewer waves went out
than a recorded send is refused, as a send of a wave a next wave re-planned is; a plan whose
``created`` has no offset starts at that UTC time whatever the machine's zone; the store copy
carries sends from PostgreSQL back to SQLite."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_wave_sends import CREATED, START, plan_rows

from recommender.campaigns.report import campaign_report
from recommender.campaigns.store import open_store
from recommender.campaigns.wave_sends import record_wave_sent
from recommender.errors import InvalidParameterError


@pytest.fixture
def kolkata(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_created_without_offset_is_utc_in_any_zone(tmp_path: Path, kolkata: None) -> None:
    """``created`` written without an offset (a hand-made or older store) read as the
    machine's zone moved the start 5.5 hours under TZ=Asia/Kolkata, and let a send 5 hours
    before the plan through."""
    store = open_store(str(tmp_path / "s.db"))
    store.save_plan("plan-w", {"created": CREATED.removesuffix("+00:00"), "model_version": "m",
                               "films": [{"film_id": "A"}], "parameters": {"waves": 2}},
                    plan_rows("plan-w"))
    assert campaign_report(store, "plan-w")["start"] == START
    with pytest.raises(InvalidParameterError, match="before plan plan-w was created"):
        record_wave_sent(store, "plan-w", 1, START - 5 * 3600)
    store.close()
