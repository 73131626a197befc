"""The OpenAPI schema as the contract: limits that depend on settings or on the served model.

FastAPI writes the schema from the routes' declarations; some limits are only known when the
app is built (``RECOMMENDER_MAX_K`` ...) or when a model is loaded (its genres, its user
attributes and their values, its number of segments). A parameter or body field names such a
limit with a marker in ``json_schema_extra``, and :func:`install` fills it in, per served
model (the schema is rebuilt after a reload):

- ``{"x-maximum": "max_k"}``: ``maximum`` (``maxItems`` on an array) = that setting; on a
  field that is an array or an object (``anyOf``), ``maxItems`` and ``maxProperties``;
  ``{"x-maximum": "event_time"}``: a bound at or past the server's (``event_time_limit``:
  this clock plus ``event_times.FUTURE_SLACK`` and ``REBUILD_SECONDS``, rounded up to the
  hour, when the schema is built; it is rebuilt every ``REBUILD_SECONDS``), so that what the
  schema refuses is refused, and the server's exact rule, a day past its clock, is stated in
  the field's description;
- ``{"x-vocabulary": "genre"}``: a ``pattern`` of the model's genres as the server reads them
  (``genre_pattern``: any case, spaces, hyphens and punctuation ignored where that names one
  genre); on an array it applies to the items;
- ``{"x-vocabulary": "filter"}``: a ``pattern`` of ``ATTRIBUTE=VALUE`` over the model's
  attributes and values (any case, blanks around each ignored);
- ``{"x-vocabulary": "segment"}``: ``maximum`` = the model's last segment id (numbers), and a
  ``pattern`` of a segment's number or label (text): where a listed label is named after a
  film ("Fans of <title>"), which is also taken by the film's title as search reads it, a
  number in range or any text but a number;
- ``{"x-vocabulary": "tier"}`` / ``"tiers"``: one tier name (any case) / adjacent tiers
  joined by ``,`` or ``+``, or ``all``;
- ``{"x-vocabulary": "with"}``: extra column names (``render.with_choices``) joined by ``,``.
- ``{"x-vocabulary": "place"}``: one of the model's place attributes (``io.places``; any case,
  blanks around it ignored); none: the words say so (``_place_default``).
- ``{"x-vocabulary": "slate-film"}``: a slate's film id, none valid when the model's users
  have no ``cinema`` attribute; ``{"x-vocabulary": "slate"}`` on a slate's screens request:
  ``cinemas`` is required (not null) when the server has no cinema table it can read.

It also lists the statuses every route can answer: 422 (``{"detail", "errors"}``, the
unknown-query-parameter check included) and 503 (no model loaded; busy, past
RECOMMENDER_MAX_IN_FLIGHT, on a scoring route; with Retry-After), 413 (a body declared over the
limit) and 400 (a request framed twice) on every operation, 408 (``service/limits.py``) on every
operation with a request body, with 415 (a body not sent as JSON),
when read keys are configured, 401 and the key's security schemes on every data endpoint (and
401 on ``/health``, for a wrong key, once read or write keys are), a 401 on every operation
for a wrong key sent beside a right one once read or write keys are (on ``/metrics`` once
metrics keys are), and 400 (a key header sent twice) wherever a key is checked.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from recommender.io.places import CINEMA, PLACE_ATTRIBUTES
from recommender.query.attribute_values import shown_values
from recommender.query.audience import DEFAULT_TIERS
from recommender.query.catalog import listed_segments, segment_labels
from recommender.query.filters import FANS_OF, NO_VALUE
from recommender.query.privacy import min_cell_from_env
from recommender.query.render import with_choices
from recommender.serving.engine import Engine
from service import schema_headers
from service.auth import (
    ADMIN_PREFIX,
    API_KEY_HEADER,
    HEALTH_PATH,
    METRICS_PATH,
    OPEN_PATHS,
    WRITE_PATHS,
    WRITE_SCOPE_NEEDED,
    admin_ring,
)
from service.event_time_schema import event_time_pattern
from service.json_body import UNSUPPORTED_TYPE
from service.limits import EXEMPT
from service.routes import INVALID_SAID
from service.schema_patterns import (
    _numbers_below,
    adjacent_tiers,
    any_case,
    genre_pattern,
    one_of,
    unique_substrings,
)
from service.settings import Settings

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_JSON = {"application/json": {"schema": ERROR_REF}}
#: every 422's body: detail and errors (``service.errors.validation_body``)
INVALID_JSON = {"application/json": {"schema": {"$ref": "#/components/schemas/Invalid"}}}
_NEVER: dict[str, Any] = {"minLength": 1, "maxLength": 0}  # no string matches (no vocabulary)
READ_SCHEMES = {
    "ReadKey": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER,
                "description": "a read key from RECOMMENDER_READ_KEYS"},
    "ReadBearer": {"type": "http", "scheme": "bearer",
                   "description": "a read key from RECOMMENDER_READ_KEYS, as a Bearer token"},
}
# the writes to the campaign store (auth.WRITE_PATHS) take a write key or the admin key
WRITE_SCHEMES = {
    "WriteKey": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER,
                 "description": "a write key from RECOMMENDER_WRITE_KEYS, or the admin key "
                                "(a read key is 403)"},
    "WriteBearer": {"type": "http", "scheme": "bearer",
                    "description": "a write key from RECOMMENDER_WRITE_KEYS, or the admin key, "
                                   "as a Bearer token (a read key is 403)"},
}


EVENT_TIME = "event_time"
REBUILD_SECONDS = 43_200  # how long a built schema is kept: its event_time maximum stays ahead


def event_time_limit() -> int:
    """The event_time maximum a schema built now publishes: the latest timestamp ``POST
    /events`` takes (this clock plus ``FUTURE_SLACK``) as it will be when the schema is
    ``REBUILD_SECONDS`` old, rounded up to the hour (apps and workers started together publish
    one schema). A bound never tighter than the server's: the exact rule, at most a day past
    the server's clock, is ``events.check_event_times``', as for ``events import`` (one held
    to the hour below the clock plus a day, from a schema up to half a day old, refused at
    now + 23:59 what ``events import`` stored)."""
    from recommender.campaigns.event_times import FUTURE_SLACK
    from recommender.campaigns.events import MAX_TIMESTAMP

    latest = int(time.time()) + FUTURE_SLACK + REBUILD_SECONDS
    return min(-(-latest // 3600) * 3600, MAX_TIMESTAMP)


def vocabulary(engine: Engine | None, kind: str, min_cell: int | None = None
               ) -> dict[str, Any]:
    """The schema keywords of marker ``x-vocabulary: kind`` for ``engine``'s model; a filter's
    values are those ``GET /users/attributes`` lists (``attribute_values``)."""
    if engine is None:
        return {}
    model = engine.model
    if kind == "genre":
        genres = [g for g in model.catalog.genre_vocabulary() if g]
        return {"pattern": genre_pattern(genres)} if genres else dict(_NEVER)
    if kind == "filter":
        # towns too (Springfield (North)); no value is NO_VALUE (filters.resolve_filters)
        shown = {name: shown_values(model, name, min_cell or min_cell_from_env())
                 for name in sorted(model.user_table.attributes)}
        parts = [f"\\s*{any_case(name)}\\s*=\\s*"
                 f"{one_of([*s.values, *([NO_VALUE] if s.blank else [])])}\\s*"
                 for name, s in shown.items() if s.values or s.blank]
        return {"pattern": "^(?:" + "|".join(parts) + ")$"} if parts else dict(_NEVER)
    if kind == "segment":  # a number (integer fields) or a number or a label (text)
        n = model.segments.n
        listed = listed_segments(model, min_cell)  # a withheld one's label is not taken
        named = [label for label, shown in zip(segment_labels(model), listed.tolist(),
                                               strict=True) if shown]
        if any(label.startswith(FANS_OF) for label in named):
            # such a label is also taken by its film's title as title search reads it
            # (filters._titled_forms: accents, punctuation and case aside, the article in
            # front, left out or last, the year or not), forms no pattern lists: a number in
            # range, or any text but a number, with something besides blanks
            return {"maximum": max(n - 1, 0),
                    "pattern": f"^(?:\\s*{_numbers_below(n)}\\s*"
                               "|(?!\\s*-?[0-9]+\\s*$)(?=[\\s\\S]*\\S)[\\s\\S]*)$"}
        labels = f"|{one_of(unique_substrings(named))}" if named else ""
        return {"maximum": max(n - 1, 0),
                "pattern": f"^\\s*(?:{_numbers_below(n)}{labels})\\s*$"}
    if kind == "tier":
        return {"pattern": f"^\\s*{one_of([name for name, _ in DEFAULT_TIERS])}\\s*$"}
    if kind == "with":  # extra columns: names joined by "," (blanks, empty parts ignored)
        names = one_of(with_choices(model))
        return {"pattern": f"^\\s*(?:{names})?\\s*(?:,\\s*(?:{names})?\\s*)*$"}
    if kind == "tiers":
        return {"pattern": adjacent_tiers([name for name, _ in DEFAULT_TIERS])}
    if kind == "slate-film":  # screens are shared among films only by the users' cinemas
        return {} if CINEMA in model.user_table.attributes else dict(_NEVER)
    if kind == "place":  # the distribution's ``by`` (its default: ``_place_default``)
        places = [a for a in PLACE_ATTRIBUTES if a in model.user_table.attributes]
        return {"pattern": f"^\\s*{one_of(places)}\\s*$"} if places else {}
    raise ValueError(f"unknown x-vocabulary {kind!r}")


def _fill(node: Any, settings: Settings, engine: Engine | None, event_max: int) -> None:
    """Replace every marker under ``node`` (in place); ``event_max`` is the event_time one."""
    if isinstance(node, list):
        for item in node:
            _fill(item, settings, engine, event_max)
        return
    if not isinstance(node, dict):
        return
    limit = node.pop("x-maximum", None)
    if limit is not None:
        value = event_max if limit == EVENT_TIME else int(getattr(settings, limit))
        # a list or a map (comparable_film_ids): each branch bounded, items or properties
        held = [b for b in node.get("anyOf", []) if b.get("type") in ("array", "object")]
        for branch in held:
            branch["maxItems" if branch["type"] == "array" else "maxProperties"] = value
        if not held:
            node["maxItems" if node.get("type") == "array" else "maximum"] = value
    if node.pop("x-pattern", None) == EVENT_TIME:  # POST /events' ISO 8601 times
        node["pattern"] = event_time_pattern(event_max)
    kind = node.pop("x-vocabulary", None)
    if kind == "slate":
        _slate(node, settings, engine)
    elif kind is not None:
        target = node["items"] if node.get("type") == "array" else node
        target.update(vocabulary(engine, kind, settings.min_cell))
        if kind == "place" and engine is not None:
            _place_default(target, engine)
    for value in node.values():
        _fill(value, settings, engine, event_max)
    said, own = (node.get("schema") or {}).get("description"), node.get("description")
    if node.get("in") and said and own and said != own and said.startswith(own):
        node["description"] = said  # a parameter's words, as its schema's grew (_place_default)


def _place_default(node: dict[str, Any], engine: Engine) -> None:
    """Hold the schema of ``by`` to what the model has: one with no place attribute takes no
    value (every request a 422), which the description says (its bounds were unsatisfiable,
    minLength 1 and maxLength 0, that the default itself broke); a default (region) the
    model's users lack is no default (a request without ``by`` is a 422)."""
    places = [a for a in PLACE_ATTRIBUTES if a in engine.model.user_table.attributes]
    default = node.get("default")
    if not places:
        node["description"] = (f"{node.get('description', '')}; this model's users have "
                               "none (no place attribute): every request is refused (422), "
                               f"by omitted ({default}) too")
    elif isinstance(default, str) and default not in places:
        del node["default"]
        node["description"] = (f"{node.get('description', '')}; here {', '.join(places)}: "
                               f"by omitted is {default}, which this model's users lack, "
                               "refused (422)")


def _slate(node: dict[str, Any], settings: Settings, engine: Engine | None) -> None:
    """The ``x-vocabulary: slate`` request (module docstring): what the served model and the
    server's cinema table allow."""
    if engine is None:
        return
    from recommender.distribution.places import cinemas_for
    from recommender.errors import RecommenderError

    props = node.get("properties", {})
    try:
        table = cinemas_for(engine.model, engine.path, settings.cinemas)
    except (RecommenderError, OSError):
        table = None
    if table is None and "cinemas" in props:
        given = props["cinemas"]
        props["cinemas"] = next((b for b in given.get("anyOf", []) if b.get("type") == "array"),
                                given)
        for key in ("description", "title"):
            if key in given:
                props["cinemas"][key] = given[key]
        node["required"] = sorted({*node.get("required", []), "cinemas"})
# /metrics, once RECOMMENDER_METRICS_KEYS is set, takes a metrics key or the admin key
METRICS_SCHEMES = {
    "MetricsKey": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER,
                   "description": "a metrics key from RECOMMENDER_METRICS_KEYS, or the admin "
                                  "key (a read or write key is 401)"},
    "MetricsBearer": {"type": "http", "scheme": "bearer",
                      "description": "a metrics key from RECOMMENDER_METRICS_KEYS, or the "
                                     "admin key, as a Bearer token (what Prometheus sends)"},
}


RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again (absent "
                                              "where a retry alone will not help)",
                               "schema": {"type": "integer"}}}
#: the key throttle's 429 (``key_throttle._too_many``) always says how long to wait
THROTTLED = {"Retry-After": {"description": "seconds to wait before sending a key again",
                             "required": True, "schema": {"type": "integer"}}}


#: the operations that record an export (``service.access_log.record_export``)
EXPORTS = frozenset({"/films/{film_id}/audience", "/films/{film_id}/audience.csv",
                     "/audiences/lookalike", "/audiences/cold-start",
                     "/audiences/cold-start.csv", "/campaigns/{plan_id}/plan.csv"})


def _unavailable(responses: dict[str, Any], settings: Settings, bounded: bool,
                 export: bool = False) -> None:
    """The 503 every operation may answer: no model loaded (a worker of several that started
    while no version loads) and, past ``RECOMMENDER_MAX_IN_FLIGHT``, busy (``service.limits``),
    each with ``Retry-After``; with an export log, an export it cannot write (``export``); a
    route's own 503 keeps its reason, these added to it (the busy 503 was listed nowhere, and
    ``Retry-After`` only beside a store's)."""
    reasons = ["no model is loaded (Retry-After: 5)"]
    if bounded and settings.max_in_flight:
        reasons.append(f"the server is busy: {settings.max_in_flight} requests in flight, "
                       "RECOMMENDER_MAX_IN_FLIGHT (Retry-After: 1)")
    if export and settings.access_log:
        reasons.append("exports are paused: the export log (RECOMMENDER_ACCESS_LOG) cannot "
                       "be written (Retry-After: 30)")
    own = responses.get("503")
    if own is None:
        responses["503"] = {"description": "the service cannot answer now: "
                                           + "; or ".join(reasons),
                            "content": {"application/json": {"schema": ERROR_REF}},
                            "headers": dict(RETRY_AFTER)}
        return
    own["description"] = f"{own.get('description', '')}; or {'; or '.join(reasons)}"
    own["headers"] = {**RETRY_AFTER, **own.get("headers", {})}


#: the 400s of ``service.hosts`` and ``service.limits`` on every route: a Host refused (one
#: that is no host name or address, or, on a loopback server or with RECOMMENDER_ALLOWED_HOSTS,
#: a name it does not answer), a request framed twice
FRAMED_TWICE = ("a Host header (or an absolute-form target's host) this server does not "
                "answer: no host name or address, or a name other than RECOMMENDER_ALLOWED_HOSTS "
                "(on a server bound to a loopback address: localhost, 127.0.0.1, ::1); or a "
                "request framed by both Transfer-Encoding and Content-Length (RFC 9112 6.1; "
                "its connection is closed)")


#: the 401 of a wrong key sent beside a right one (``auth.TWO_KEYS_ONE_WRONG``), on every route
#: once read or write keys are set and on /metrics once metrics keys are: both keys are checked
TWO_KEYS = ("two different keys sent (X-API-Key and Authorization: Bearer) of which one is "
            "none of the server's keys, even beside a right one: both must be the server's")


def _two_keys(responses: dict[str, Any]) -> None:
    """``TWO_KEYS`` added to the 401 of ``responses`` (a 401 of its own, if it had none)."""
    own = responses.get("401")
    if own is None:
        responses["401"] = {"description": TWO_KEYS, "content": ERROR_JSON}
    else:
        own["description"] = f"{own.get('description', '')}; or {TWO_KEYS}"


def _statuses(schema: dict[str, Any], settings: Settings, read_keys: bool,
              write_keys: bool = False, metrics_keys: bool = False) -> None:
    admin_closed = not admin_ring(settings.admin_key, settings.api_key)
    throttled = settings.key_failures and (read_keys or write_keys or metrics_keys
                                           or not admin_closed)  # service/key_throttle.py
    for path, item in schema.get("paths", {}).items():
        for op in item.values():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            responses = op["responses"]
            # a route's own words on its 422 (a rule its schema cannot state) follow
            own = (responses.get("422") or {}).get("description")
            responses["422"] = {"description": "invalid request: a parameter out of range or "
                                               "unknown, an undeclared query parameter or a "
                                               "malformed body (detail says which, "
                                               "errors lists each)" + (
                                                   f"; {own}" if own and own != INVALID_SAID
                                                   else ""),
                                "content": INVALID_JSON}
            if path != "/metrics":
                _unavailable(responses, settings, bounded=not path.startswith(EXEMPT),
                             export=path in EXPORTS)
            # service/limits.py sees every request's head before any route: a body declared
            # over the limit (a GET's too) is a 413, a request framed twice a 400
            responses.setdefault("413", {"description": "request body over "
                                         "RECOMMENDER_MAX_BODY_BYTES", "content": ERROR_JSON})
            responses["400"] = {"description": FRAMED_TWICE, "content": ERROR_JSON}
            if "requestBody" in op:  # a body read under a time bound, and only as JSON
                responses.setdefault("408", {
                    "description": "the request body did not arrive within "
                                   "RECOMMENDER_TIMEOUT_REQUEST_BODY seconds",
                    "content": ERROR_JSON})
                responses.setdefault("415", {"description": f"{UNSUPPORTED_TYPE}; detail "
                                             "says what was sent", "content": ERROR_JSON})
            if throttled:
                responses["429"] = {"description": "too many wrong keys from this address "
                                    "(RECOMMENDER_KEY_FAILURES), a key sent: wait Retry-After",
                                    "content": ERROR_JSON, "headers": THROTTLED}
            if path.startswith(ADMIN_PREFIX) and admin_closed:
                op.pop("security", None)  # no key opens it: 403 whatever is sent
            # a key header sent twice is a 400 (auth.repeated_key_header): on every route
            # once any key is set (the key layer), on the admin routes once they are open
            if write_keys or metrics_keys or (path.startswith(ADMIN_PREFIX)
                                              and not admin_closed):
                responses["400"]["description"] = ("Authorization or X-API-Key sent more "
                                                    f"than once; or {FRAMED_TWICE}")
            if read_keys and path not in OPEN_PATHS and not path.startswith(ADMIN_PREFIX):
                responses["401"] = {"description": "missing or wrong read key",
                                    "content": ERROR_JSON}
                op["security"] = [{name: []} for name in READ_SCHEMES]
            if write_keys and path == HEALTH_PATH:  # a wrong key (auth.HEALTH_KEY_UNKNOWN)
                responses["401"] = {"description": "a key was sent that is none of the "
                                    "server's keys (no key: 200)", "content": ERROR_JSON}
            if write_keys and path in WRITE_PATHS:
                responses["401"] = {"description": "missing or wrong write key: this "
                                    "endpoint takes a write key (RECOMMENDER_WRITE_KEYS) or the "
                                    "admin key", "content": ERROR_JSON}
                if read_keys:  # without read keys no key is one: every refusal is a 401
                    responses["403"] = {
                        "description": "a read key: this endpoint needs a write key or the "
                                       "admin key (WWW-Authenticate says so, for a client: "
                                       "no other 403 carries it)",
                        "content": ERROR_JSON, "headers": {"WWW-Authenticate": {
                            "description": f"{WRITE_SCOPE_NEEDED} (RFC 6750)",
                            "required": True, "schema": {"type": "string"}}}}
                op["security"] = [{name: []} for name in WRITE_SCHEMES]
            if metrics_keys and path == METRICS_PATH:
                responses["401"] = {"description": "missing or wrong metrics key",
                                    "content": ERROR_JSON}
                op["security"] = [{name: []} for name in METRICS_SCHEMES]
            if write_keys or (metrics_keys and path == METRICS_PATH):  # auth.TWO_KEYS_ONE_WRONG
                _two_keys(responses)
    components = schema.setdefault("components", {})
    if read_keys or write_keys:
        schemes = components.setdefault("securitySchemes", {})
        schemes.update(WRITE_SCHEMES)
        if read_keys:
            schemes.update(READ_SCHEMES)
    if metrics_keys:
        components.setdefault("securitySchemes", {}).update(METRICS_SCHEMES)
    if admin_closed and not any(
            "security" in op for item in schema.get("paths", {}).values()
            for op in item.values() if isinstance(op, dict)):
        components.get("securitySchemes", {}).pop("HTTPBearer", None)
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    if "Invalid" not in schemas:  # every 422 refers to it, whether or not a route names it
        from service.schemas import Invalid

        body = Invalid.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(body.pop("$defs", {}), Invalid=body)


def install(app: FastAPI, settings: Settings, current: Callable[[], Engine | None],
            read_keys: bool, write_keys: bool = False, metrics_keys: bool = False) -> None:
    """Make ``app.openapi`` return the schema with every limit filled in for the engine
    ``current()`` serves (rebuilt when it changes)."""
    generate = app.openapi
    cache: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        engine = current()
        # rebuilt at least every half of FUTURE_SLACK too: its event_time maximum (the clock
        # plus the slack when built) must stay ahead of the clock
        stale = time.monotonic() - cache.get("built", 0.0) > REBUILD_SECONDS
        if "schema" not in cache or cache.get("engine") is not engine or stale:
            app.openapi_schema = None
            schema = copy.deepcopy(generate())
            # the event_time maximum published: never below the server's own bound (the
            # clock plus FUTURE_SLACK) while this schema is kept
            event_max = event_time_limit()
            _fill(schema, settings, engine, event_max)
            _statuses(schema, settings, read_keys, write_keys, metrics_keys)
            schema_headers.declare(schema, app.routes, read_keys, write_keys)
            cache.update(engine=engine, schema=schema, built=time.monotonic())
        result: dict[str, Any] = cache["schema"]
        return result

    app.openapi = openapi  # type: ignore[method-assign]
