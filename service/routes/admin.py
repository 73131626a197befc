"""``POST /admin/reload`` (swap a model folder in atomically) and ``POST /admin/forget``.

Requests already running finish on the model they started with. The admin key is checked
before the body is read, so an unauthenticated caller always gets 401 (403 while no admin key
is configured). A ``model_path`` is accepted only inside ``RECOMMENDER_MODELS_ROOT`` (a relative
one is taken from there); errors show paths relative to that root and never a path outside it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from recommender.campaigns.erasure import forget
from recommender.campaigns.near_users import FormTwinsError, forgotten, refuse_form_twins
from recommender.model import layout
from recommender.query.catalog import model_info
from service.deps import AdminDep, ServiceDep
from service.errors import Invalid
from service.forget_schemas import ForgetRequest, Forgotten
from service.json_body import model_body
from service.reload_body import missing_name
from service.routes import INVALID, INVALID_SAID, SCHEMA_NEWER, STORE_DOWN, UNAUTHORIZED
from service.schemas import Error, Reloaded, ReloadRequest
from service.shown_paths import redact
from service.state import ReloadError, RetryableReloadError

log = logging.getLogger("recommender.service")

RETRY_AFTER_SECONDS = 5

router = APIRouter(tags=["admin"])


@router.post(
    "/admin/reload", response_model=Reloaded,
    responses={**UNAUTHORIZED, **INVALID,
               403: {"model": Error, "description": "no admin key is configured (the admin "
                                                    "endpoints are closed), or model_path is "
                                                    "outside RECOMMENDER_MODELS_ROOT"},
               415: {"model": Error, "description": "a body sent as a media type other than "
                                                    "JSON, none or a form (curl -d's default, "
                                                    "read as JSON)"},
               409: {"model": Error, "description": "the new model could not be loaded; the "
                                                    "old one keeps serving (detail says why)"},
               503: {"model": Error, "description": "the new model loaded but the campaign "
                                                    "store's events could not be read; the "
                                                    "old one keeps serving: retry (see "
                                                    "Retry-After)"}},
    openapi_extra={"requestBody": {"required": False, "content": {
        "application/json": {"schema": ReloadRequest.model_json_schema()}}}},
    summary="Reload the model from disk without downtime",
)
async def reload(request: Request, service: ServiceDep, _: AdminDep) -> dict[str, Any]:
    # read as JSON, as it always was, when sent with no Content-Type or as curl -d's form
    body = await model_body(request, ReloadRequest, optional=True)
    path = body.model_path if body is not None else None
    serving = service.engine.version if service.engine is not None else "none"
    target = (inside_models_root(path, service.settings.models_root, serving)
              if path is not None else None)
    try:
        previous, engine, seconds = await run_in_threadpool(service.reload, target)
    except RetryableReloadError as e:
        current = service.engine.version if service.engine is not None else "none"
        raise HTTPException(503, f"reload not done, still serving model {current}: {e}",
                            headers={"Retry-After": str(RETRY_AFTER_SECONDS)}) from None
    except ReloadError as e:
        current = service.engine.version if service.engine is not None else "none"
        why = redact(str(e), target or service.model_path, service.settings.models_root)
        # the log names the server's paths in full (a refused folder or file, to fix there)
        log.warning("admin reload refused, still serving model %s: %s", current, e)
        # on /health until a reload succeeds: its paths in full to the admin key, masked as
        # this 409's for anyone else (shown_paths.shown_warning)
        service.reload_refused(str(e), e.installs, target or service.model_path)
        raise HTTPException(409, f"reload failed, still serving model {current}: {why}"
                            ) from None
    request.state.model_version = engine.version
    return {"status": "reloaded", "previous_version": previous,
            "model_version": engine.version, "seconds": round(seconds, 3),
            "model": {**model_info(engine.model, engine.min_cell), "path": engine.path}}


def inside_models_root(given: str, root: str | None, serving: str = "none") -> str:
    """The absolute folder ``given`` names (relative: from ``root``), after following links;
    403 when no models root is configured or the folder is not inside it (the path is not
    echoed); 409, as a folder missing there, when a name in it is longer than any folder's
    (``reload_body.missing_name``: the system's ENAMETOOLONG was the 403), ``serving`` still
    served."""
    if not root:
        raise HTTPException(403, "a reload body may name a model_path only when the server "
                                 "has a models root: set RECOMMENDER_MODELS_ROOT (a reload "
                                 "without model_path reloads the served folder)")
    base = Path(root).expanduser().resolve()
    lexical = Path(os.path.normpath(base / Path(given).expanduser()))
    if lexical.is_relative_to(base) and (missing := missing_name(given)) is not None:
        raise HTTPException(409, f"reload failed, still serving model {serving}: {missing}")
    resolved: Path | None
    try:
        resolved = (base / Path(given).expanduser()).resolve()
        # the files a model folder serves sit behind its ``current`` link: that must stay
        # inside the root too, or a link planted in the root would load a model from outside
        serves: Path | None = layout.resolve(resolved).resolve()
    except (OSError, RuntimeError, ValueError):  # a link loop, a NUL byte
        resolved = serves = None
    if resolved is None or serves is None or not resolved.is_relative_to(base) \
            or not serves.is_relative_to(base):
        raise HTTPException(403, "model_path must name a folder inside the models root "
                                 "(RECOMMENDER_MODELS_ROOT)")
    return str(resolved)


FORGET_NOTE = ("this worker's served model left them out before this answer, every other "
               "worker's does from its own next events poll (seconds: RECOMMENDER_EVENTS_POLL); "
               "`train --events` leaves them out of the next model; kept model versions, store "
               "backups and your own logs still hold them (README \"Erasure\")")
FORGET_NOTE_LATER = FORGET_NOTE.replace(
    "left them out before this answer", "leaves them out from its next events poll (the "
    "store could not be read again just now)")


@router.post(
    "/admin/forget", response_model=Forgotten,
    responses={**UNAUTHORIZED, **STORE_DOWN,
               422: {**INVALID[422], "description": f"{INVALID_SAID}; a user id the store "
                                                     "holds no row of but holds in another "
                                                     "Unicode form (NFC for NFD or the "
                                                     "reverse) is refused, naming that form, "
                                                     "and nothing is erased"},
               403: {"model": Error, "description": "no admin key is configured (the admin "
                                                    "endpoints are closed)"},
               409: {"model": Error, "description": "the store was moved by `campaign copy` "
                                                    f"(erase in the copy); or {SCHEMA_NEWER}"},
               415: {"model": Error, "description": "a body sent as a media type other than "
                                                    "JSON"}},
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": ForgetRequest.model_json_schema()}}}},
    summary="Erase users from the campaign store (right to be forgotten), as `recommender "
            "forget`: their rows get a tombstone, answers leave them out")
async def forget_users(request: Request, _: AdminDep) -> dict[str, Any]:
    from service.routes.campaigns import campaign_store

    body = await model_body(request, ForgetRequest)
    assert body is not None  # not optional: an empty body is refused
    ids = body.user_ids
    store = campaign_store(request)
    # an id only its other Unicode form is held by: 422 before anything is erased (the CLI's)
    try:
        if not body.exact:  # "exact": true erases each id as given, a twin or not
            await run_in_threadpool(refuse_form_twins, store, ids)
    except FormTwinsError as e:  # at each id refused, as the other per-element refusals
        refused = set(e.ids)
        at = [("body", "user_ids", i) for i, u in enumerate(ids) if u in refused]
        raise Invalid(str(e), at[0], "invalid_parameter", at[1:]) from None
    # their pseudonyms under the server's key recorded too: a partner's pseudonymised answers
    # about them are counted as erased (campaigns/erased_pseudonyms.py)
    pseudonym_key = request.app.state.service.settings.pseudonym_key
    keys = [] if pseudonym_key is None else [pseudonym_key.get_secret_value().encode("utf-8")]
    done = await run_in_threadpool(forget, store, ids, body.exact, keys)
    # each user's did_you_mean: the store's ids an id with no row may mean (the CLI's hint)
    users = (await run_in_threadpool(forgotten, store, done))[0]
    log.warning("admin forget: %d user(s) erased from the campaign store", len(done))
    note = FORGET_NOTE
    sync = getattr(request.app.state, "events_sync", None)
    if sync is not None:  # this worker's overlay rebuilt before answering: no GET serves them
        try:
            await run_in_threadpool(sync.poll)
        except Exception as e:  # the erasure is committed: the poller tries again
            log.warning("admin forget: the served model not rebuilt now (%s: %s); at the next "
                        "events poll", type(e).__name__, str(e)[:300])
            sync.wake()
            note = FORGET_NOTE_LATER
    if done.unscrubbed:  # committed all the same: the log's old bytes stay until then
        note = f"{note}; {done.unscrubbed}"
    return {"users": users, "note": note}
