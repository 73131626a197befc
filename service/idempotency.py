"""``Idempotency-Key`` on the requests that create a plan: a retry gets the stored plan back.

A client that times out on ``POST /campaigns/plan`` or ``POST /campaigns/{id}/next`` cannot tell
whether the plan was stored; sent again with the same key, the request answers the plan stored
under it (200, the same body) instead of planning a second one. The key is kept with the plan
in the campaign store (``CampaignStore.save_plan``, in the plan's own transaction), with the
sha256 of the request (route, path and body as validated): the same key on another request is
a 409. Two twins racing both plan, one commits; the other finds the key taken and answers the
stored plan. A stored plan's answer carries ``Idempotent-Replayed: true``. Keys are shared by
every caller of the store: use unique ones (a UUID). The header sent twice is a 422 (the first
was read and the second dropped: a retry whose headers came in another order planned again).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Header, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from recommender.campaigns.moved import check_store
from recommender.campaigns.store import CampaignStore

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"  # "true" on an answer that is a stored plan, not a new one
REPEATED_HEADER = "repeated_header"  # the error type of a header that takes one value, twice


def _one_key(request: Request, key: Annotated[str | None, Header(
        alias=HEADER, min_length=1, max_length=255, pattern=r"^[!-~]+$",
        description="any unique text (printable ASCII, no spaces), sent once: a retry with the "
                    "same key gets the plan stored under it instead of a second plan")] = None
             ) -> str | None:
    """The request's ``Idempotency-Key``; a 422 when it carries the header more than once
    (which one the client meant is not guessed), as a query parameter given twice is."""
    given = request.headers.getlist(HEADER)
    if len(given) > 1:
        raise RequestValidationError([{
            "type": REPEATED_HEADER, "loc": ("header", HEADER),
            "msg": f"takes one value and was given {len(given)} (only the first would count): "
                   "send it once", "input": given}])
    return key


IdempotencyKey = Annotated[str | None, Depends(_one_key)]


def request_key(key: str | None, route: str, path: dict[str, Any], body: BaseModel
                ) -> tuple[str, str] | None:
    """(key, sha256 of the request) when the client sent a key, else None."""
    if key is None:
        return None
    payload = json.dumps({"route": route, "path": path, "body": body.model_dump(mode="json")},
                         sort_keys=True, ensure_ascii=False)
    return key, hashlib.sha256(payload.encode()).hexdigest()


def replay(store: CampaignStore, key: tuple[str, str] | None) -> dict[str, Any] | None:
    """The body of the plan stored under ``key``; None when there is none; 409 when the key
    was used for another request."""
    if key is None:
        return None
    found = store.plan_for_key(key[0])
    if found is None:
        return None
    plan_id, digest = found
    if digest != key[1]:
        raise HTTPException(409, f"{HEADER} {key[0]!r} was used for another request (plan "
                                 f"{plan_id}); send a new key with a new request")
    summary = store.summary(plan_id)
    if summary.get("previous_plan_id"):  # a next wave's answer: read as it was answered
        from recommender.campaigns.withdraw import read_fields

        summary = {**summary, **read_fields(store, plan_id)}
    return {"plan_id": plan_id, "summary": summary}


def replayed_without_events(request: Request, response: Response,
                            body: dict[str, Any]) -> dict[str, Any]:
    """``body``; a replayed one (``REPLAYED``) is the store's record of an earlier answer, of
    no engine: it carries no ``X-Events-Seq`` (it named the serving engine's sequence, beside
    a body planned on earlier events), and its ``X-Model-Version`` names the model it was
    planned on, as its summary does (after a reload it named the model serving now)."""
    if response.headers.get(REPLAYED) == "true":
        request.state.events_seq = None
        version = (body.get("summary") or {}).get("model_version")
        if isinstance(version, str) and version:
            request.state.model_version = version
    return body


def plan_once(store: CampaignStore, key: tuple[str, str] | None, response: Response,
              make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The plan stored under ``key`` (a retry), else ``make()``, which plans and stores the
    plan under ``key``; when a twin request stored one under the same key first, that plan.
    A stored plan's answer is marked ``Idempotent-Replayed: true``. A store ``campaign copy``
    moved is refused (409) before ``make()`` plans, not only as the plan is stored; a replay
    is a read, and goes on."""
    stored = replay(store, key)
    if stored is None:
        check_store(store, "this plan")
        try:
            return make()
        except sa.exc.IntegrityError:
            stored = replay(store, key)
            if stored is None:
                raise
    response.headers[REPLAYED] = "true"
    return stored
