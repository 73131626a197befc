"""``Idempotency-Key`` on the requests that create a plan: a retry gets the stored plan back.

A client that times out on ``POST /campaigns/plan`` or ``POST /campaigns/{id}/next`` cannot tell
whether the plan was stored; sent again with the same key, the request answers the plan stored
under it (200, the same body) instead of planning a second one. The key is kept with the plan
in the campaign store (``CampaignStore.save_plan``, in the plan's own transaction), with the
sha256 of the request (route, path and body as validated): the same key on another request is
a 409. Two twins racing both plan, one commits; the other finds the key taken and answers the
stored plan. A stored plan's answer carries ``Idempotent-Replayed: true``. The header sent
twice is a 422 (the first was read and the second dropped: a retry whose headers came in another
order planned again).

A key is the caller's own (:func:`stored_key`): the admin key sending the ETL write key's
``Idempotency-Key`` was answered the ETL's plan, and with another body a 409 naming it. A caller
with a key (the key's id, as the export log names it: a key rotated under the same id keeps its
records) stores it as ``by `` and a SHA-256 of its id and the key, which no header can spell (no
spaces); an anonymous caller (no read or write key configured) as sent, as every record was
stored before, so a server without keys finds its old records. A record stored under a bare key
by a caller with a key before this is found by no caller with a key (a retry across that
upgrade plans again, once), rather than by every caller.
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

from recommender.campaigns.idempotent_plans import answered_summary, stored_under
from recommender.campaigns.moved import check_store
from recommender.campaigns.store import CampaignStore
from service.access_log import ANONYMOUS

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"  # "true" on an answer that is a stored plan, not a new one
REPEATED_HEADER = "repeated_header"  # the error type of a header that takes one value, twice


def _one_key(request: Request, key: Annotated[str | None, Header(
        alias=HEADER, min_length=1, max_length=255, pattern=r"^[!-~]+$",
        description="any unique text (printable ASCII, no spaces), sent once: a retry with the "
                    "same key gets the plan stored under it instead of a second plan; a key is "
                    "its caller's own (the id of its API key)")] = None
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


#: request fields added after keys were first stored, with their defaults: a request at the
#: default hashes as it did before the field (a retry across an upgrade is the same request)
LATER_DEFAULTS: dict[str, Any] = {"cap_scope": "plan"}


def stored_key(key: str, caller: str) -> str:
    """``key`` as the store keeps it for ``caller`` (the id of its key, or ``ANONYMOUS``): as
    sent for an anonymous caller, else ``by `` and the SHA-256 of the id and the key (67
    characters: the store's column holds 256, and a key may be 255 and an id any length)."""
    if caller == ANONYMOUS:
        return key
    return "by " + hashlib.sha256(json.dumps([caller, key]).encode()).hexdigest()


def request_key(key: str | None, route: str, path: dict[str, Any], body: BaseModel,
                caller: str = ANONYMOUS) -> tuple[str, str] | None:
    """(the key as ``caller`` stores it, sha256 of the request) when the client sent a key,
    else None."""
    if key is None:
        return None
    sent = body.model_dump(mode="json")
    for field, default in LATER_DEFAULTS.items():  # a key stored before the field still matches
        if field in sent and sent[field] == default:
            del sent[field]
    payload = json.dumps({"route": route, "path": path, "body": sent},
                         sort_keys=True, ensure_ascii=False)
    return stored_key(key, caller), hashlib.sha256(payload.encode()).hexdigest()


def replay(store: CampaignStore, key: tuple[str, str] | None, sent: str | None = None
           ) -> dict[str, Any] | None:
    """The body of the plan stored under ``key``; None when there is none; 409 when the key
    (``sent``, as the header gave it) was used for another request."""
    if key is None:
        return None
    found = stored_under(store, key)
    if found is None:
        return None
    plan_id, same = found
    if not same:
        raise HTTPException(409, f"{HEADER} {sent or key[0]!r} was used for another request "
                                 f"(plan {plan_id}); send a new key with a new request")
    summary = answered_summary(store, plan_id)
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
              make: Callable[[], dict[str, Any]], sent: str | None = None) -> dict[str, Any]:
    """The plan stored under ``key`` (a retry), else ``make()``, which plans and stores the
    plan under ``key``; when a twin request stored one under the same key first, that plan.
    A stored plan's answer is marked ``Idempotent-Replayed: true``. A store ``campaign copy``
    moved is refused (409) before ``make()`` plans, not only as the plan is stored; a replay
    is a read, and goes on. ``sent``: the header's key, for a 409 (``replay``)."""
    stored = replay(store, key, sent)
    if stored is None:
        check_store(store, "this plan")
        try:
            return make()
        except sa.exc.IntegrityError:
            stored = replay(store, key, sent)
            if stored is None:
                raise
    response.headers[REPLAYED] = "true"
    return stored
