"""Domain errors mapped to HTTP statuses, each with a sentence a person can act on.

Unknown film/user -> 404 naming the id; bad parameters, unknown genres, query parameters the
route does not declare and invalid requests -> 422. Only ``service/`` maps errors to status codes.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from recommender.campaigns.moved import StoreMovedError
from recommender.campaigns.store_schema import StoreSchemaNewerError, newer_words
from recommender.campaigns.summary_fields import IncompleteSummaryError
from recommender.errors import (
    AboveLimitError,
    InvalidParameterError,
    PlansClashError,
    RecommenderError,
    StoreDamagedError,
    StoreUnavailableError,
    UnknownFilmError,
    UnknownGenreError,
    UnknownUserError,
    damaged,
    disk_full,
    io_error,
    read_only,
    reason_line,
    store_trouble,
)
from recommender.io.text import clipped
from service.film_events import COUNTED, counted
from service.refusal_where import named_in, param_at
from service.store_health import read_only_said

log = logging.getLogger("recommender.service")
#: how pydantic names a union's member in an error's location (not a field or key)
_UNION_TAG = re.compile(r"(list|dict|tuple|set|function-\w+|json-or-python|nullable)\[.*\]"
                        r"|str|int|float|bool|none")

#: a 422's problems said in its detail, and listed in its errors, at most
MAX_ERRORS_SAID, MAX_ERRORS_LISTED = 20, 1000

_WHERE = {"query": "query parameter", "path": "path parameter", "header": "header",
          "cookie": "cookie", "body": "body field"}


def _location(loc: Sequence[Any]) -> str:
    if not loc:
        return "request"
    kind, rest = str(loc[0]), list(loc[1:])
    if kind == "body" and not rest:
        return "request body"
    name = ""
    for part in rest:
        if isinstance(part, str) and part == "[key]":  # a mapping's key, not its value
            name += " (a key)"
            continue
        if isinstance(part, str) and _UNION_TAG.fullmatch(part):  # "dict[str,...]", "str"
            continue
        text = str(part)
        name += f"[{part}]" if isinstance(part, int) else (f".{text}" if name else text)
    return f"{_WHERE.get(kind, kind)} '{name}'" if name else _WHERE.get(kind, kind)


def _shown(value: Any) -> str | None:
    """``value`` as the request spelt it: a body's ``true`` and ``null`` as JSON writes them
    (Python's ``True`` and ``None`` named values no JSON client sent)."""
    if isinstance(value, bool) or value is None:
        return "true" if value is True else "false" if value is False else "null"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return clipped(value)
    return None


def describe_validation_error(err: dict[str, Any]) -> str:
    """One error of pydantic/FastAPI as a sentence, e.g.
    "query parameter 'k': must be greater than or equal to 1, got 0"."""
    where = _location(err.get("loc", ()))
    kind = str(err.get("type", ""))
    if kind == "json_invalid":
        reason = (err.get("ctx") or {}).get("error", "")
        return f"request body is not valid JSON ({reason})" if reason else \
            "request body is not valid JSON"
    if kind == "unknown_query_parameter":  # service.deps.reject_unknown_query's own sentence
        return str(err.get("msg", f"unknown {where}"))
    if kind == "missing":
        return f"{where} is required" if where != "request body" else \
            "a JSON request body is required"
    msg = str(err.get("msg", "is invalid"))
    msg = msg.replace("Input should be", "should be").replace("Value error, ", "")
    got = _shown(err.get("input")) if kind != "extra_forbidden" else None
    if kind == "extra_forbidden":
        return f"{where} is not a known field"
    if got is not None and ", got " in msg:  # pydantic's own "got a number with a fraction"
        return f"{where}: {msg} ({got})"
    return f"{where}: {msg}" + (f", got {got}" if got is not None else "")


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return unprocessable(list(exc.errors()))


def unprocessable(errors: list[dict[str, Any]],
                  describe: Callable[[dict[str, Any]], str] = describe_validation_error,
                  after: str = "", headers: dict[str, str] | None = None) -> JSONResponse:
    """Every 422 the service sends: ``validation_body``'s ``detail`` and ``errors`` (README,
    "Errors"), whatever refused the request."""
    return JSONResponse(validation_body(errors, describe, after), status_code=422,
                        headers=headers)


def refusal(detail: str, loc: Sequence[str | int], kind: str,
            also: Sequence[Sequence[str | int]] = ()) -> JSONResponse:
    """A 422 of one problem said in ``detail``: at ``loc`` (``("query", "tier")``), of the
    short code ``kind``; ``also``: further places of the same problem (every budget of a
    slate whose budgets are all 0), each listed in ``errors``, the detail said once."""
    errors = [{"loc": tuple(at), "type": kind} for at in (loc, *also)]
    body = validation_body(errors, lambda _: detail)
    body["detail"] = detail
    return JSONResponse(body, status_code=422)


class Invalid(StarletteHTTPException):
    """A route's own 422 (raised like an ``HTTPException``): ``detail`` at ``loc`` (and at
    each of ``also``), of the short code ``kind``; ``http_error`` answers it with
    ``refusal``."""

    def __init__(self, detail: str, loc: Sequence[str | int], kind: str,
                 also: Sequence[Sequence[str | int]] = ()) -> None:
        super().__init__(422, detail)
        self.loc, self.kind, self.also = tuple(loc), kind, tuple(tuple(a) for a in also)


def validation_body(errors: list[dict[str, Any]],
                    describe: Callable[[dict[str, Any]], str] = describe_validation_error,
                    after: str = "") -> dict[str, Any]:
    """A 422's body: ``detail`` says the first ``MAX_ERRORS_SAID`` problems (each as
    ``describe`` words it) and how many more, then ``after``; ``errors`` lists the first
    ``MAX_ERRORS_LISTED`` (100,000 bad seed ids in 0.6 MB were a 21 MB answer naming each
    twice)."""
    shown = errors[:MAX_ERRORS_LISTED]
    sentences = [describe(e) for e in shown]
    machine = [{"loc": [p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
                "msg": s, "type": str(e.get("type", ""))} for e, s in zip(shown, sentences,
                                                                          strict=True)]
    detail = "; ".join(sentences[:MAX_ERRORS_SAID]) or "invalid request"
    if (more := len(errors) - MAX_ERRORS_SAID) > 0:
        listed = (f"all {len(errors):,}" if len(machine) == len(errors) else
                  f"the first {len(machine):,} of {len(errors):,}")
        detail += f"; and {more:,} more problem{'s' * (more != 1)} (errors lists {listed})"
    return {"detail": detail + after, "errors": machine}


def _unparsed_body(cause: BaseException | None) -> str:
    """Why FastAPI could not parse a body (the error it raised ours from): a number of over
    4,300 digits was said to be text that is not UTF-8 or nested too deeply."""
    if isinstance(cause, UnicodeDecodeError):
        return (f"request body could not be read as JSON: it is not UTF-8 text (byte "
                f"{cause.start} is {cause.object[cause.start:cause.start + 1]!r})")
    if isinstance(cause, RecursionError):
        return "request body could not be read as JSON: it is nested too deeply"
    if isinstance(cause, ValueError) and "digits" in str(cause):
        return ("request body could not be read as JSON: it holds a number of over 4,300 "
                "digits")
    return ("request body could not be read as JSON (it is not UTF-8 text, or it is nested "
            "too deeply)")


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
        # FastAPI's answer to a body that is not even text: malformed JSON like any other
        return refusal(_unparsed_body(exc.__cause__), ("body",), "json_invalid")
    if exc.status_code == 422:  # a route's own (``Invalid``), or an HTTPException(422)
        return refusal(str(exc.detail), getattr(exc, "loc", ("request",)),
                       getattr(exc, "kind", "invalid_request"), getattr(exc, "also", ()))
    if exc.status_code == 405 and exc.headers and "Allow" in exc.headers:
        exc.headers = {**exc.headers, "Allow": with_head(path_methods(
            request, exc.headers["Allow"]))}
    return await http_exception_handler(request, exc)


def path_methods(request: Request, allow: str) -> str:
    """A 405's ``Allow``: the methods of every API route declared with the path of the first
    route the request's path matches (the one Starlette answered for), in routing order:
    Starlette names that route's methods alone, and a path recorded with POST and taken back
    with DELETE, two routes, was answered ``Allow: POST``; ``allow`` where none matches."""
    from starlette.routing import compile_path

    from service.auth import walk_routes
    from service.raw_ids import route_path

    path, routes = route_path(request.scope), list(walk_routes(request.app.routes))
    first = next((full for full, _ in routes if compile_path(full)[0].match(path)), None)
    methods = [m for full, r in routes if full == first for m in sorted(r.methods or ())]
    return ", ".join(dict.fromkeys(methods)) if methods else allow


def with_head(allow: str) -> str:
    """A 405's ``Allow`` with HEAD beside GET: every GET route answers HEAD (``service.head``,
    RFC 9110 9.3.2), and ``Allow`` lists what the resource takes (RFC 9110 10.2.1); the API's
    405s said ``GET`` alone where the static files' said ``GET, HEAD``."""
    methods = [m.strip() for m in allow.split(",") if m.strip()]
    if "GET" in methods and "HEAD" not in methods:
        methods.insert(methods.index("GET") + 1, "HEAD")
    return ", ".join(methods)


async def not_found(request: Request, exc: Exception) -> JSONResponse:
    detail = str(exc)
    service = getattr(request.app.state, "service", None)
    # the request's engine (``deps.get_engine``): the served one may be another model by now,
    # and the titles came from it while X-Model-Version named the request's
    engine = getattr(request.state, "engine", None) or (
        service.engine if service is not None else None)
    if isinstance(exc, UnknownFilmError) and engine is not None:
        # the store's events for it, read as the store routes read (``film_events``), then
        # the titles the id matches (a title search: off the event loop)
        read = COUNTED.set(await counted(request, engine.model, exc.ids))
        try:
            detail = await run_in_threadpool(engine.unknown_film_detail, exc)
        finally:
            COUNTED.reset(read)
    return JSONResponse({"detail": detail}, status_code=404)


async def unknown_genre(request: Request, exc: Exception) -> JSONResponse:
    # the library's message names the model's genres (the CLI's says the same)
    return refusal(str(exc), named_in(request, str(exc)), "unknown_genre")


async def bad_parameter(request: Request, exc: Exception) -> JSONResponse:
    """A library's refusal at the parameter it names (``InvalidParameterError.param``), else
    where its words point (``refusal_where.named_in``)."""
    param = getattr(exc, "param", None)
    where = named_in(request, str(exc)) if param is None else param_at(request, param)
    return refusal(str(exc), where,
                   "invalid_parameter" if isinstance(exc, InvalidParameterError) else
                   "invalid_request")


#: a bound a setting holds: the parameter's name -> (its Settings field, its variable, what
#: it counts)
_BOUNDS = {"k": ("max_k", "RECOMMENDER_MAX_K", "the largest page"),
           "limit": ("max_search_limit", "RECOMMENDER_MAX_SEARCH_LIMIT",
                     "the largest search page"),
           "seed_user_ids": ("max_seed_users", "RECOMMENDER_MAX_SEED_USERS",
                             "the longest seed list"),
           "comparable_film_ids": ("max_comparable_films", "RECOMMENDER_MAX_COMPARABLE_FILMS",
                                   "the longest comparable film list")}


async def above_limit(request: Request, exc: Exception) -> JSONResponse:
    """422 in the shape of every other (``detail`` and ``errors``) for a number above a
    configured bound, naming the variable that sets it as the 413 names
    RECOMMENDER_MAX_BODY_BYTES ("k must be in [1, 10000], got 10001" named neither it nor
    where ``k`` was)."""
    assert isinstance(exc, AboveLimitError)
    service = getattr(request.app.state, "service", None)
    field, variable, what = _BOUNDS.get(exc.name, ("", "", ""))
    part = "query" if request.method in ("GET", "HEAD") else "body"
    if service is None or getattr(service.settings, field, None) != exc.most:
        return refusal(str(exc), (part, exc.name), "less_than_equal")  # a library's own bound
    many = exc.name in ("seed_user_ids", "comparable_film_ids")  # lists (or maps) of ids
    said = (f"should hold at most {exc.most:,} ids ({what}, {variable}), got {exc.value:,}"
            if many else f"should be at most {exc.most} ({what}, {variable}), got {exc.value}")
    error = {"loc": (part, exc.name), "type": "too_long" if many else "less_than_equal"}
    return unprocessable([error], lambda e: f"{_location(e['loc'])}: {said}")


async def plans_clash(request: Request, exc: Exception) -> JSONResponse:
    """409: a plan stored meanwhile holds out some of this plan's pairs as controls
    (``controls.refuse_held_out``); the same request again plans around them."""
    return JSONResponse({"detail": str(exc)}, status_code=409)


def _events_sync(request: Request) -> Any:
    """The app's events sync, whose ``/health`` state a store refusal sets; None without one
    (or without an app: a request built bare)."""
    return getattr(getattr(request.scope.get("app"), "state", None), "events_sync", None)


async def store_moved(request: Request, exc: Exception) -> JSONResponse:
    """409: the store was moved by ``campaign copy`` and records nothing more (a retry will
    not do: the service must be pointed at the copy). The log names both stores, the answer
    neither (their URLs name a database's host and user, as a 503's reason would): it gave
    every client both URLs, and a ``?password=`` in them."""
    assert isinstance(exc, StoreMovedError)
    _log_refusal(request, exc, moved=True)
    sync = _events_sync(request)
    if sync is not None:  # /health says "moved" from now on (the poller reads it again)
        sync.moved = exc.at
    return JSONResponse({"detail": f"the campaign store was moved by `recommender campaign "
                                   f"copy` ({exc.at}) and records nothing more: the service "
                                   "must be pointed at the copy (RECOMMENDER_STORE; its log "
                                   f"names it). Nothing of {exc.what} was stored"},
                        status_code=409)


async def store_schema_newer(request: Request, exc: Exception) -> JSONResponse:
    """409, as for a moved store: a newer engine migrated the store, and this one neither
    reads nor writes it until it is upgraded (a retry will not do). The detail says both
    schema versions; the store's URL goes to the log only, as a 503's reason does."""
    assert isinstance(exc, StoreSchemaNewerError)
    _log_refusal(request, exc)
    words = newer_words(exc.version, exc.latest, "this service")
    return JSONResponse({"detail": f"the campaign store is at {words}. Nothing was stored"},
                        status_code=409)


#: seconds a client waits before retrying a request the campaign store could not serve
STORE_RETRY_AFTER = 5
#: a store outage is logged once per this many seconds per worker, with the refusals between
STORE_LOG_EVERY = 60.0
_refusals = {"next": 0.0, "quiet": 0}
_moved = {"next": 0.0, "quiet": 0}  # a moved store's refusals (``store_moved``), likewise
_refusals_lock = threading.Lock()


def _log_refusal(request: Request, exc: Exception, moved: bool = False) -> None:
    """One warning line per ``STORE_LOG_EVERY`` seconds of a store outage (or of a store
    ``campaign copy`` moved), saying how many refusals it stood for (a busy outage wrote a line
    per request)."""
    now, counts = time.monotonic(), _moved if moved else _refusals
    with _refusals_lock:
        if now < counts["next"]:
            counts["quiet"] += 1
            return
        quiet, counts["quiet"], counts["next"] = int(counts["quiet"]), 0, now + STORE_LOG_EVERY
    said = reason_line(str(exc)) if str(exc) else type(exc).__name__
    log.warning("campaign store %s for %s %s: %s%s", "moved" if moved else "unavailable",
                request.method, request.url.path, said,
                f" ({quiet:,} more requests refused since the last line)" if quiet else "")


async def store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """503 with ``Retry-After`` when the campaign store cannot be reached, is locked past its
    timeout or has no free connection: a retry with the same event ids or Idempotency-Key
    stores nothing twice (it was a plain-text 500). The detail says which (``store_trouble``,
    as the CLI classifies it: locked, no connection free, cannot connect; a full disk, an I/O
    error, read-only); the reason goes to the log (it may name the database's host)."""
    _log_refusal(request, exc)
    sync = _events_sync(request)
    broken = isinstance(exc, StoreDamagedError) or damaged(exc)
    state = "damaged" if broken else "read_only" if read_only(exc) else \
        "failing" if disk_full(exc) or io_error(exc) else None
    if sync is not None and state is not None:  # /health says so until a write succeeds
        state = sync.refused(state)  # an I/O error on files it cannot write: read_only
    # a full disk is said as such (not the host or path, which only the log names): "down,
    # locked or out of connections" sent an operator to the database's network; a store
    # that refuses writes is said as /health says "read_only", with its remedy
    why = (f"it {sync.read_only_words() if sync is not None else read_only_said()}"
           if state == "read_only" else
           "the disk under it is full" if disk_full(exc) else
           # SQLite's "disk I/O error" (a write-ahead log the system refuses) was "down,
           # locked or out of connections" too
           "its files could not be read or written: an I/O error (a file the system "
           "refuses to write, or a failing disk)" if io_error(exc) else
           _trouble_words(request, store_trouble(exc)))
    if broken:  # no Retry-After: a retry reads the same damaged file (README, "damaged")
        return JSONResponse({"detail": "the campaign store is unavailable: its database file "
                                       "is damaged (SQLite: database disk image is malformed, "
                                       "or not a database); a retry will not help: restore it "
                                       "from a backup (`recommender campaign backup`). Nothing "
                                       "was stored"}, status_code=503)
    return JSONResponse({"detail": f"the campaign store is unavailable ({why}): retry in "
                                   f"{STORE_RETRY_AFTER} s (with the "
                                   "same event ids, or the same Idempotency-Key for a plan, "
                                   "a retry stores nothing twice)"},
                        status_code=503, headers={"Retry-After": str(STORE_RETRY_AFTER)})


def _trouble_words(request: Request, trouble: str | None) -> str:
    """The 503's words for ``store_trouble``'s classification, the CLI's (it said "down, locked
    or out of connections" whichever it was, where the CLI and the log named the cause)."""
    wait = getattr(getattr(getattr(request.app.state, "service", None), "settings", None),
                   "store_pool_timeout", None) if request.scope.get("app") else None
    within = f" within {wait:g} s" if isinstance(wait, int | float) else ""
    return {"locked": "locked: another process held its lock past this request's wait",
            "no_connection": f"no connection to it was free{within} "
                             "(RECOMMENDER_STORE_POOL_TIMEOUT)",
            "unreachable": "it cannot be connected to: the database is down or unreachable"
            }.get(trouble or "", "down, locked or out of connections")


async def store_damaged(request: Request, exc: Exception) -> JSONResponse:
    """A store the driver cannot read (SQLite's "database disk image is malformed", "file is
    not a database": a plain ``DatabaseError``) is unavailable: 503 with a JSON body saying it
    is damaged, without ``Retry-After`` (it was a plain-text 500), and so is one that refuses
    writes (PostgreSQL's read-only transaction, an ``InternalError``: a standby after a
    failover answered every event and plan with a plain-text 500). Its other subclasses (an
    integrity or programming error) are this service's bugs and stay 500."""
    from sqlalchemy.exc import DatabaseError

    if type(exc) is not DatabaseError and not read_only(exc):
        raise exc
    return await store_unavailable(request, exc)


async def incomplete_summary(request: Request, exc: Exception) -> JSONResponse:
    """409: the stored plan's summary lacks a field this use needs (written by hand or by
    another engine): the plan as stored, not the request, is at fault; it names the field."""
    return JSONResponse({"detail": str(exc)}, status_code=409)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(UnknownFilmError, not_found)
    app.add_exception_handler(UnknownUserError, not_found)
    app.add_exception_handler(UnknownGenreError, unknown_genre)
    app.add_exception_handler(AboveLimitError, above_limit)
    app.add_exception_handler(InvalidParameterError, bad_parameter)
    app.add_exception_handler(PlansClashError, plans_clash)
    app.add_exception_handler(StoreMovedError, store_moved)
    app.add_exception_handler(IncompleteSummaryError, incomplete_summary)
    app.add_exception_handler(RecommenderError, bad_parameter)
    from sqlalchemy.exc import DatabaseError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    app.add_exception_handler(OperationalError, store_unavailable)
    app.add_exception_handler(DatabaseError, store_damaged)
    app.add_exception_handler(PoolTimeout, store_unavailable)
    app.add_exception_handler(StoreUnavailableError, store_unavailable)  # not 422
    app.add_exception_handler(StoreSchemaNewerError, store_schema_newer)
