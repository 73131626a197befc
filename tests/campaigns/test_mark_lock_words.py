"""A PostgreSQL store whose mark lock (``moved.MARK_LOCK``, held by a ``campaign copy``
marking it or a ``campaign reopen``, or one stopped midway) another process holds past the
wait is said as a SQLite store whose write lock is: the store named, the cause, and whether
the same command is safe; the service's 503 says the store is locked.

It was a ``StoreUnavailableError`` of its own words: the CLI printed them without its advice,
and the 503 said "down, locked or out of connections". Oracle: the CLI's sentence for
SQLite's "database is locked" (``store_failure``), whose explanation and advice the
PostgreSQL one must end with, as ``test_plans_lock_words`` does for the plans lock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from held_locks import lock_held, plan_store, sqlite_advice
from helpers import run_cli

from recommender.campaigns.moved import MARK_LOCK
from recommender.campaigns.store import open_store
from recommender.campaigns.withdraw import withdraw
from recommender.cli.store_failure import shown_store
from recommender.errors import StoreLockedError, store_trouble


@pytest.mark.parametrize("argv,command", [
    (["campaign", "withdraw", "plan-1", "--sent-waves", "0"], "campaign withdraw"),
    (["campaign", "sent", "plan-1", "--wave", "1"], "campaign sent")])
def test_a_held_mark_lock_is_said_as_a_locked_store(
        make_store: Callable[[str, Path], str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        argv: list[str], command: str) -> None:
    target = plan_store(make_store, tmp_path, monkeypatch)
    with lock_held(target, MARK_LOCK):  # a mark stopped midway
        code, _, err = run_cli(capsys, *argv, "--store", target)
    advice = sqlite_advice(command)
    assert code == 2, err
    line = err.strip()
    assert line == (f"error: the campaign store {shown_store(target)} could not be used (its "
                    f"mark lock, PostgreSQL advisory lock {MARK_LOCK}, was held for more than "
                    "0.05 s by a `campaign copy` marking it as moved or a `campaign reopen`, "
                    "or one stopped midway, which holds it until its connection ends)"
                    f"{advice}"), line
    assert line.endswith("the same command again is safe")


def test_a_held_mark_lock_is_a_locked_store_to_the_service(
        make_store: Callable[[str, Path], str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The 503's words come from ``store_trouble``: "locked", not None ("down, locked or out
    of connections"); nothing of the withdrawal is stored."""
    target = plan_store(make_store, tmp_path, monkeypatch)
    store = open_store(target)
    try:
        with lock_held(target, MARK_LOCK), pytest.raises(StoreLockedError) as raised:
            withdraw(store, "plan-1", sent_waves=0)
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM campaign_plan_withdrawals")
                                ).scalar() == 0
    finally:
        store.close()
    assert store_trouble(raised.value) == "locked"
    assert raised.value.cause in str(raised.value)
    assert "nothing of this withdrawal was stored" in str(raised.value)
