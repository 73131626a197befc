"""A PostgreSQL store whose plans lock another process holds past the wait is said as a SQLite
store whose write lock is: the store named, the cause, and whether the same command is safe.

It was "the campaign store did not store this withdrawal: a plan or a withdrawal was being
stored for too long; nothing was stored": no store named, no retry advice, and a cause
guessed (any process may hold the lock: here a session that took it by hand). Oracle: the
CLI's sentence for SQLite's "database is locked" (``store_failure``), whose explanation and
advice the PostgreSQL one must end with."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from held_locks import lock_held, plan_store, sqlite_advice
from helpers import run_cli

from recommender.campaigns.controls import PLANS_LOCK
from recommender.cli.store_failure import shown_store


@pytest.mark.parametrize("argv,command", [
    (["campaign", "withdraw", "plan-1", "--sent-waves", "0"], "campaign withdraw"),
    (["campaign", "sent", "plan-1", "--wave", "1"], "campaign sent")])
def test_a_held_plans_lock_is_said_as_a_locked_store(
        make_store: Callable[[str, Path], str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        argv: list[str], command: str) -> None:
    target = plan_store(make_store, tmp_path, monkeypatch)
    with lock_held(target, PLANS_LOCK):  # any process: a session by hand
        code, _, err = run_cli(capsys, *argv, "--store", target)
    advice = sqlite_advice(command)
    assert code == 2, err
    line = err.strip()
    assert line == (f"error: the campaign store {shown_store(target)} could not be used (its "
                    f"plans lock, PostgreSQL advisory lock {PLANS_LOCK}, was held by another "
                    f"process for more than 0.05 s){advice}"), line
    assert line.endswith("the same command again is safe") and "a plan or a withdrawal" \
        not in line
