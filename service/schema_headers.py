"""The response headers the OpenAPI schema declares: the model version, the events, a replay.

The service's answers carry headers a client reads to know what it got (README "HTTP API"),
and the schema named none of them, so a generated client dropped them and a schema-driven
test could not check them:

- ``X-Model-Version`` (``service.metrics``): the served model's version, on every answer;
  with read keys configured, only on an answer to a caller that sent one (required then: no);
- ``X-Events-Seq``: the last campaign-store event sequence the answering model reflects (0:
  none; to a read or write key its own events up to it, ``service/event_views.py``), on the
  answers of an operation that scores with the served model (one that depends
  on ``service.deps.get_engine``) where the version is, required on its 2xx (an error found
  before the model was chosen, a 422, carries none) on a server with no read or write key; a
  stored plan replayed for an ``Idempotency-Key`` carries none (no model gave it), so it is
  not required there; with read or write keys, a key's answer carries none while the store
  cannot be read on a count not remembered (``event_views.shown_position``), and a caller
  without a key on a server of write keys and no read key none at all (it writes no events and
  is not shown the store's: ``event_views.header_position``), so it is not required there
  either;
- ``Idempotent-Replayed: true`` (``service.idempotency``) on an operation that takes an
  ``Idempotency-Key``: the answer is the stored plan of an earlier request with that key;
- ``WWW-Authenticate: Bearer`` on every 401 (``auth._refuse``, ``deps``'s admin key): required;
- ``Content-Disposition`` on every CSV download's 200 (``download_headers``, the plan's), and
  on ``plan.csv`` ``X-Plan-Waves`` (always) and ``X-Plan-Model-Version`` (a plan stored with
  a model version, as every plan the server or the CLI makes is).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.dependencies.models import Dependant
from starlette.routing import BaseRoute, compile_path

from service.auth import walk_routes
from service.deps import get_engine
from service.idempotency import REPLAYED
from service.metrics import EVENTS_HEADER, VERSION_HEADER

IDEMPOTENCY_KEY = "Idempotency-Key"


def _scores(dependant: Dependant) -> bool:
    """Whether ``dependant`` (or a dependency of it, at any depth) is ``get_engine``."""
    return any(d.call is get_engine or _scores(d) for d in dependant.dependencies)


def engine_operations(routes: Sequence[BaseRoute]) -> set[tuple[str, str]]:
    """``(path, method)`` of every operation answered with the served model, as the schema
    spells them (``/films/{film_id}``, ``get``)."""
    return {(compile_path(path)[1], m.lower()) for path, r in walk_routes(routes)
            if _scores(r.dependant) for m in r.methods or ()}


def _header(description: str, required: bool, kind: str = "string") -> dict[str, Any]:
    return {"description": description, "required": required, "schema": {"type": kind}}


def declare(schema: dict[str, Any], routes: Sequence[BaseRoute], read_keys: bool,
            write_keys: bool = False) -> None:
    """Add the headers above to every response of ``schema``'s operations that carries them
    (``write_keys``: write keys are configured, whose answers can go without the events)."""
    scored = engine_operations(routes)
    keyed = "; only on an answer to a caller that sent a key" if read_keys else ""
    version = _header("the served model's version (meta.json model_version)" + keyed,
                      required=not read_keys)
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            replayable = any(p.get("in") == "header" and p.get("name") == IDEMPOTENCY_KEY
                             for p in op.get("parameters", []))
            for status, response in op["responses"].items():
                # a copy: FastAPI puts a route's own ``responses`` headers dict (STORE_DOWN's
                # Retry-After) into the schema as it is, shared by every operation and every
                # app's schema, which this would otherwise write the model's headers into
                headers = response["headers"] = dict(response.get("headers", {}))
                headers[VERSION_HEADER] = version if not replayable else {
                    **version, "description": version["description"] + "; a stored plan "
                    "replayed for an Idempotency-Key names the model it was planned on"}
                success = str(status).startswith("2")
                if (path, method) in scored:
                    headers[EVENTS_HEADER] = _header(
                        "the last campaign-store event sequence the answering model reflects "
                        "(0: none); two answers of one model version differ when events "
                        "between them moved its scores; to a read or write key, the events "
                        "stored under its key id that the model reflects: GET /events/status's "
                        "applied, asked with the same key (none to such a key while the store "
                        "cannot be read and its count at that sequence was not counted before "
                        "by the worker that answered); none to a caller without a key on a "
                        "server of write keys and no read key (it stores no events, and the "
                        "store's sequence is every key's)"
                        + ("" if success else "; on an error found once the model was chosen")
                        + ("; none on a stored plan replayed for an Idempotency-Key"
                           if replayable else "") + keyed,
                        required=success and not (replayable or read_keys or write_keys),
                        kind="integer")
                _always_sent(path, str(status), response, headers)
                if replayable and success:
                    headers[REPLAYED] = _header(
                        "true: this answer is the stored plan of an earlier request with the "
                        "same Idempotency-Key, not a new plan", required=False)


#: the headers of a plan's download (``routes.campaigns.plan_csv``)
PLAN_CSV = "/campaigns/{plan_id}/plan.csv"
PLAN_HEADERS = {
    "X-Plan-Waves": _header("the waves the file holds, as '1-2 of 3' (waves 1 to 2 of the "
                            "plan's 3) or 'none of 3' (withdrawn before any went out): not "
                            "those a next wave re-plans or a withdrawal gave back", True),
    "X-Plan-Model-Version": _header("the model the plan was made with (X-Model-Version names "
                                    "the served one, maybe a later one); absent for a plan "
                                    "stored without a model version", False)}
AUTHENTICATE = _header("Bearer (RFC 6750): a key is needed, as X-API-Key or Authorization: "
                       "Bearer", True)
DOWNLOAD = _header("attachment; filename=\"NAME.csv\" naming the file by its film or plan and "
                   "the cut asked for, and filename*=UTF-8''... (RFC 6266) where an id holds "
                   "letters outside ASCII", True)


def _always_sent(path: str, status: str, response: dict[str, Any],
                 headers: dict[str, Any]) -> None:
    """Into ``headers``, those the answer of ``status`` always carries: a 401's
    ``WWW-Authenticate`` (a route's own 403 keeps its own), a download's ``Content-Disposition``
    and a plan download's headers."""
    if status == "401":
        headers.setdefault("WWW-Authenticate", AUTHENTICATE)
    if status.startswith("2") and "text/csv" in response.get("content", {}):
        headers["Content-Disposition"] = DOWNLOAD
        if path == PLAN_CSV:
            headers.update(PLAN_HEADERS)
