"""A stored plan's summary field that a use needs, or a refusal naming the field and the plan.

A summary is stored as its engine wrote it then (``store.save_plan``), and one written by an
older engine, or by hand, may lack a field a later reader takes for granted: a ``KeyError``
deep in a report was a traceback in the CLI and a 500 over HTTP. A reader that can go on
without the field says it is unknown; one that cannot raises ``IncompleteSummaryError``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from recommender.errors import InvalidParameterError


class IncompleteSummaryError(InvalidParameterError):
    """A stored plan's summary lacks a field (or holds one that cannot be read) that the use
    needs: the CLI exits 2, the service answers 409 (the plan as stored, not the request)."""


def created_seconds(summary: dict[str, Any], plan_id: str | None = None) -> int:
    """The summary's ``created`` (ISO 8601; one written without an offset is UTC: read as this
    machine's zone, it moved the report's start by the zone's offset, 5.5 hours under
    TZ=Asia/Kolkata) in unix seconds; ``IncompleteSummaryError`` naming ``plan_id`` (else the
    summary's own ``plan_id``) when it is absent or not such a time."""
    text = summary.get("created")
    try:
        when = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        when = None
    if when is None:
        name = plan_id if plan_id is not None else summary.get("plan_id", "?")
        what = ("the ISO 8601 time the plan was made, which its report, its next wave and its "
                "send times count from")
        said = f"no 'created' ({what})" if text is None else f"'created' {text!r}, not {what}"
        raise IncompleteSummaryError(
            f"plan {name}'s stored summary has {said}: a summary written by hand or by another "
            "engine; nothing was counted or recorded")
    return int((when if when.tzinfo is not None else when.replace(tzinfo=UTC)).timestamp())


def summary_object(text: object) -> dict[str, Any] | None:
    """A stored summary's text read as a JSON object; None when it is not one."""
    try:
        found = json.loads(text) if isinstance(text, str | bytes) else None
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def stored_summary(text: object, plan_id: str) -> dict[str, Any]:
    """``plan_id``'s stored summary text as a dict; ``IncompleteSummaryError`` naming the plan
    when it is no JSON object (written by hand, or damaged: a ``JSONDecodeError`` was a 500)."""
    found = summary_object(text)
    if found is None:
        raise IncompleteSummaryError(
            f"plan {plan_id}'s stored summary is not a JSON object (written by hand, or "
            "damaged): nothing of it can be read; its rows are as stored")
    return found


def summary_films(summary: dict[str, Any], plan_id: str,
                  needs: tuple[str, ...] = ("film_id",)) -> list[dict[str, Any]]:
    """The summary's ``films`` (none: []), each holding the fields ``needs``;
    ``IncompleteSummaryError`` naming the first film that lacks one, the field and the plan
    (a ``KeyError`` was a traceback and a 500)."""
    films = summary.get("films", [])
    if not isinstance(films, list):
        raise IncompleteSummaryError(
            f"plan {plan_id}'s stored summary has 'films' {str(films)[:40]!r}, not a list of "
            "its films: a summary written by hand or by another engine; nothing was counted "
            "or planned")
    for i, f in enumerate(films):
        lacking = [k for k in needs if not isinstance(f, dict) or f.get(k) is None]
        if lacking:
            raise IncompleteSummaryError(
                f"plan {plan_id}'s stored summary has no {lacking[0]!r} in its film {i + 1} "
                f"('films[{i}]'): a summary written by hand or by another engine; nothing "
                "was counted or planned")
    return films
