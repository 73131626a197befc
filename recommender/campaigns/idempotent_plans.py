"""A plan stored under an idempotency key, found and answered again as it was first answered.

One reading for the CLI's ``plan --idempotency-key`` and the service's ``Idempotency-Key``:
``stored_under`` finds the plan stored under a key and whether it was stored for this very
request (the request's digest), and ``answered_summary`` reads its summary as its first answer
gave it (a next wave's with ``withdraw.read_fields``, which ``NextWave.save`` adds to the
answer of a next wave just stored; a first plan's as stored)."""

from __future__ import annotations

from typing import Any


def stored_under(store: Any, key: tuple[str, str]) -> tuple[str, bool] | None:
    """``(plan_id, same_request)`` for the plan stored under ``key`` (``(stored key,
    digest)``); None when none is."""
    found = store.plan_for_key(key[0])
    if found is None:
        return None
    plan_id, digest = found
    return str(plan_id), digest == key[1]


def answered_summary(store: Any, plan_id: str) -> dict[str, Any]:
    """The stored plan's summary as its first answer gave it (see the module's docstring)."""
    summary: dict[str, Any] = store.summary(plan_id)
    if summary.get("previous_plan_id"):  # a next wave's answer: read as it was answered
        from recommender.campaigns.withdraw import read_fields

        summary = {**summary, **read_fields(store, plan_id)}
    return summary
