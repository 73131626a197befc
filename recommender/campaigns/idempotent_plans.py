"""A stored plan's answer, as it is first given and as an idempotency key gives it again.

One reading for the CLI's ``plan --idempotency-key`` and the service's ``Idempotency-Key``:
``stored_under`` finds the plan stored under a key and whether it was stored for this very
request (the request's digest), and ``answered_summary`` reads a stored plan's summary as
every answer gives it: the stored one with ``withdraw.read_fields`` (its ``chain``,
``chain_cut``, ``next_waves``, ``wave_sends``), the body ``GET /campaigns/{plan_id}`` reads.
A first plan just stored is answered with it too (``POST /campaigns/plan``, ``plan --json``
and ``--summary``), as a next wave's is (``NextWave.save``): a first plan's answer lacked
those fields, empty for a new plan but absent, where ``GET`` right after gave them."""

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
    """The stored plan's summary as its answers give it, a first plan's or a next wave's:
    ``withdraw.shown_summary`` (see the module's docstring)."""
    from recommender.campaigns.withdraw import shown_summary

    return shown_summary(store, plan_id)
