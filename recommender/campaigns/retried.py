"""Stored plans a new plan repeats: the same slate, model and parameters, most likely a retry.

A plan run again (a timeout, a shell's up-arrow) was stored as a second plan that left out the
first plan's pairs (``controls.blocked_pairs``): of the same audience it got the users the
first did not take, 4.15 value units where the first had 16.50, and the first plan stayed
stored, its pairs held for good, with nothing to say which one was sent. ``same_request``
finds, among the stored plans the new one leaves pairs out for, those of the same slate (each
film's id, budget and value), model version, parameters and opt-outs; the summary names them
(``held_out_elsewhere.same_request``) and says what to do (``retry_warning``): withdraw one, or
retry with an idempotency key, which answers the stored plan instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recommender.campaigns.store import CampaignStore
from recommender.errors import RecommenderError


def _slate_of(summary: dict[str, Any]) -> list[tuple[str, float, float]] | None:
    films = summary.get("films")
    if not isinstance(films, list):
        return None
    try:
        return [(str(f["film_id"]), float(f["budget"]), float(f["value"])) for f in films]
    except (KeyError, TypeError, ValueError):  # a summary written by hand: no twin of it
        return None


def _parameters(summary: dict[str, Any]) -> Any:
    """The summary's parameters, a plan stored before the cap's scope read as of ``plan``
    scope (its only one then)."""
    params = summary.get("parameters")
    return {"cap_scope": "plan", **params} if isinstance(params, dict) else params


def _same(mine: dict[str, Any], other: dict[str, Any]) -> bool:
    """Whether ``other`` (a stored summary) has ``mine``'s slate, model and parameters and is
    itself a first plan (no next wave) that was not withdrawn."""
    if other.get("previous_plan_id") is not None or other.get("withdrawn"):
        return False
    return (other.get("model_version") == mine.get("model_version")
            and other.get("engine") == mine.get("engine")
            and _parameters(other) == _parameters(mine)
            and _slate_of(other) is not None and _slate_of(other) == _slate_of(mine))


def same_request(store: CampaignStore, summary: dict[str, Any], exclude: Sequence[str],
                 plan_ids: Sequence[str]) -> list[dict[str, str]]:
    """``{plan_id, created}`` of each stored plan of ``plan_ids`` with ``summary``'s slate,
    model version and parameters, and the opt-outs ``exclude``, in ``plan_ids``' order."""
    found = []
    mine = sorted(set(exclude))
    for plan_id in plan_ids:
        try:
            other = store.summary(plan_id)
        except RecommenderError:  # gone meanwhile, or no JSON: no twin
            continue
        if _same(summary, other) and store.excluded(plan_id) == mine:
            found.append({"plan_id": plan_id, "created": str(other.get("created", ""))})
    return found


def retry_warning(twins: list[dict[str, str]]) -> str:
    """What the summary says of the stored plans ``twins`` (``same_request``)."""
    shown = [f"{t['plan_id']} (stored {t['created']})" for t in twins]
    named = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"
    many = len(twins) > 1
    return (f"plan{'s' if many else ''} {named} {'have' if many else 'has'} the same slate, "
            "model and parameters as this plan, which leaves out the (film, user) pairs "
            f"{'they select' if many else 'it selects'}: if this plan was a retry, keep one "
            "plan and withdraw the other" + ("s" if many else "") + " (`recommender campaign "
            "withdraw PLAN_ID --sent-waves 0`, POST /campaigns/{plan_id}/withdraw); a retry "
            "that carries an idempotency key (--idempotency-key, the Idempotency-Key header) "
            "gets the stored plan instead")


def note_retries(store: CampaignStore, summary: dict[str, Any], exclude: Sequence[str]) -> None:
    """Name in ``summary`` the stored plans it repeats (``same_request`` among those its
    ``held_out_elsewhere`` names), and say what to do (``retry_warning``); nothing when none."""
    held = summary.get("held_out_elsewhere") or {}
    twins = same_request(store, summary, exclude, list(held.get("plans") or []))
    if twins:
        held["same_request"] = twins
        summary["retry_warning"] = retry_warning(twins)
