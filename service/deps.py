"""Request dependencies: service state, the request's engine, admin auth, unknown-query check.

The last one is app-wide: it rejects query parameters a route does not declare. Read keys are
checked before routing (``service/auth.py``), so a caller without one gets 401 before any of
these run, and never learns a parameter name from the unknown-query check.

They are ``async`` so that resolving them costs no threadpool hop.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

from fastapi import Depends, HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_params
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AliasChoices
from starlette.routing import compile_path

from recommender.serving.engine import Engine
from service.auth import (
    ADMIN_CLOSED,
    ADMIN_KEY_NEEDED,
    ADMIN_PREFIX,
    admin_ring,
    repeated_key_refusal,
    walk_routes,
)
from service.event_views import shown_writer
from service.film_events import HINT_WRITER
from service.raw_ids import FORM_KEY, route_path
from service.settings import Settings
from service.shown_paths import shown_warning
from service.state import ServiceState

UNKNOWN_QUERY_PARAMETER = "unknown_query_parameter"  # the error type in the 422 body
REPEATED_QUERY_PARAMETER = "repeated_query_parameter"  # one that takes a single value, twice

bearer = HTTPBearer(auto_error=False, description="the admin key set in RECOMMENDER_ADMIN_KEY "
                                                "(or RECOMMENDER_API_KEY)")
ERRORS_SHOWN = 20  # unknown query parameters (and repeated values) a 422 lists


async def get_service(request: Request) -> ServiceState:
    service: ServiceState = request.app.state.service
    return service


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.service.settings
    return settings


def details_hidden(request: Request) -> bool:
    """Whether the model's details (its path, sizes, tuning, why a folder was refused) are
    kept from this caller: read keys are configured and it sent none (``/health`` is open to
    all)."""
    return bool(request.app.state.service.settings.read_keys) and not getattr(
        request.state, "key_id", None)


async def get_engine(request: Request) -> Engine:
    service = request.app.state.service
    engine = service.engine
    if engine is None:  # a worker of several started while no version loads (service.state)
        why = service.refused_reason  # names paths: hidden as /health hides it
        shown = (f" ({shown_warning(why, request)})" if why and not details_hidden(request)
                 else "")
        raise HTTPException(503, f"no model is loaded{shown}", headers={"Retry-After": "5"})
    request.state.model_version = engine.version
    sync = getattr(request.app.state, "events_sync", None)
    if sync is not None:  # the campaign-store events it reflects (X-Events-Seq)
        request.state.events_seq = sync.seq_for(engine)
    request.state.engine = engine  # an error's answer (service.errors) speaks of this model
    # an unknown film's hint (a cold start's skipped films) counts the events the caller is
    # shown (decided once per request, kept in its state: its X-Events-Seq reads the same);
    # set here, in the request's task, the route's thread inherits it
    HINT_WRITER.set(shown_writer(request))
    return engine


async def require_admin(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """403 when no admin key is configured (the admin endpoints are closed), 401 when the
    request does not carry it as a Bearer token (compared in constant time), 400 when it
    carries Authorization more than once."""
    settings = request.app.state.service.settings
    keys = admin_ring(settings.admin_key, settings.api_key)
    if not keys:
        raise HTTPException(403, ADMIN_CLOSED)
    if len(request.headers.getlist("authorization")) > 1:  # HTTPBearer reads the first
        raise HTTPException(400, repeated_key_refusal("Authorization"))
    if keys.match(credentials.credentials if credentials is not None else None) is None:
        raise HTTPException(401, ADMIN_KEY_NEEDED, headers={"WWW-Authenticate": "Bearer"})
    request.state.key_id = "admin"


def _request_names(field: Any) -> list[str]:
    """The query keys FastAPI reads ``field`` (a ``ModelField``) from: its ``validation_alias``
    (one name or ``AliasChoices``) when given, else its alias (the parameter's name unless
    ``alias=`` is given); and the field's name where its model validates by name."""
    chosen = field.field_info.validation_alias
    if isinstance(chosen, str):
        names = [chosen]
    elif isinstance(chosen, AliasChoices) and all(isinstance(c, str) for c in chosen.choices):
        names = [str(c) for c in chosen.choices]
    else:
        names = [field.alias]
    config = getattr(field, "config", None) or {}
    if config.get("validate_by_name") or config.get("populate_by_name"):
        names.append(field.name)
    return names


def declared_query_names(dependant: Dependant) -> tuple[str, ...]:
    """Every query parameter name ``dependant`` declares, its sub-dependencies' included, in
    declaration order; a Pydantic model of query parameters counts as its fields."""
    return tuple(dict.fromkeys(n for f in _query_fields(dependant) for n in _request_names(f)))


def repeatable_query_names(dependant: Dependant) -> frozenset[str]:
    """The declared query parameters that take several values (a list: ``filter``, ``with``);
    any other given twice would keep only its last value."""
    return frozenset(n for f in _query_fields(dependant)
                     if _takes_several(f.field_info.annotation) for n in _request_names(f))


def _takes_several(annotation: Any) -> bool:
    """Whether a parameter of this type holds several values (a list, tuple or set, maybe
    optional or annotated): FastAPI reads every occurrence of such a query key."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType, Annotated):
        return any(_takes_several(a) for a in get_args(annotation) if a is not type(None))
    return (origin or annotation) in (list, tuple, set, frozenset)


def _query_fields(dependant: Dependant) -> list[Any]:
    raw: list[Any] = []
    stack, seen = [dependant], set[int]()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        raw += current.query_params
        stack.extend(reversed(current.dependencies))
    # get_flat_params expands query parameter models into their fields
    return list(get_flat_params(Dependant(query_params=raw)))


# id(dependant) -> (dependant, its names, those that take several values); the dependant is
# kept so that its id is not reused (there is one per route and inclusion; neither it nor
# APIRoute is hashable)
_DECLARED: dict[int, tuple[Dependant, tuple[str, ...], frozenset[str]]] = {}


def _slash_hint(request: Request, unknown: list[str]) -> str:
    """``; without the trailing '/', PATH takes NAMES`` when the path ends with a slash and,
    without it, reaches another route that declares every unknown name, else "". A film's
    route takes any id, slashes included (``/films/{film_id:path}``), so ``/films/F/audience/
    ?k=3`` reached it as film ``F/audience/`` and said only that ``k`` was unknown there; the
    routing itself is unchanged (an id may end with a slash)."""
    path = route_path(request.scope)
    stripped = path.rstrip("/")
    if stripped == path or not stripped:
        return ""
    method = request.scope.get("method", "")
    route = next((r for p, r in walk_routes(request.app.router.routes)
                  if method in (r.methods or ()) and compile_path(p)[0].match(stripped)), None)
    if (route is None or route is request.scope.get("route")
            or not set(unknown) <= set(declared_query_names(route.dependant))):
        return ""
    return f"; without the trailing '/', {request.url.path.rstrip('/')} takes {', '.join(unknown)}"


def _route_dependant(request: Request) -> Dependant | None:
    """The dependant FastAPI solves for the matched route. ``scope["route"]`` is the route as
    declared; FastAPI 0.16x runs a route included with ``include_router(dependencies=...)``
    or ``FastAPI(dependencies=...)`` through an "effective" copy whose dependant holds those
    dependencies (and their query parameters) too, so that one is used where present."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return None
    effective = request.scope.get("fastapi", {}).get("effective_route_context")
    dependant = getattr(effective, "dependant", None)
    if isinstance(dependant, Dependant) and getattr(effective, "original_route", None) is route:
        return dependant
    return route.dependant


class PageRoute(APIRoute):
    """A route answering a web page (Audience Studio, ``/``, ``/docs``, ``/redoc``): the query
    parameters it does not read are ignored, as a web server ignores them, not refused as an
    API route's are (``reject_unknown_query``): a newsletter's link to the Studio carrying
    ``?utm_source=...`` was a JSON 422 instead of the page."""


async def reject_unknown_query(request: Request) -> None:
    """Added once to the whole app (``create_app``): a query parameter the matched route does
    not declare is a 422 naming it and the accepted ones, not silently ignored; so is one
    that takes a single value given twice (``pseudonymize=true&pseudonymize=false`` kept the
    last and sent raw ids). It declares no parameter itself, so the OpenAPI schema is
    unchanged. A page (``PageRoute``) takes any."""
    page = isinstance(request.scope.get("route"), PageRoute)
    dependant = _route_dependant(request) if request.query_params and not page else None
    if dependant is None:
        return
    # the admin key first, as without a query (a 422 told keyless callers more); the route as
    # declared, not the URL, which carries the root path behind a proxy (--root-path /api)
    if str(getattr(request.scope.get("route"), "path", "")).startswith(ADMIN_PREFIX):
        await require_admin(request, await bearer(request))
    cached = _DECLARED.get(id(dependant))
    if cached is None:
        cached = _DECLARED[id(dependant)] = (dependant, declared_query_names(dependant),
                                             repeatable_query_names(dependant))
    declared, repeatable = cached[1], cached[2]
    unknown = [n for n in dict.fromkeys(request.query_params.keys()) if n not in declared]
    if not unknown:
        twice = [n for n in dict.fromkeys(request.query_params.keys())
                 if n not in repeatable and len(request.query_params.getlist(n)) > 1]
        if twice:
            raise RequestValidationError([
                {"type": REPEATED_QUERY_PARAMETER, "loc": ("query", name),
                 "msg": f"takes one value and was given "
                        f"{len(request.query_params.getlist(name))} (only the last would "
                        "count): give it once",
                 "input": request.query_params.getlist(name)[:ERRORS_SHOWN]}
                for name in twice])
        return
    # a query form's id parameter (raw_ids: /film?film_id=) was taken off before routing
    shown = [request.scope[FORM_KEY], *declared] if FORM_KEY in request.scope else declared
    accepts = (f"this endpoint accepts: {', '.join(shown)}" if shown
               else "this endpoint accepts no query parameters") + _slash_hint(request, unknown)
    # at most ERRORS_SHOWN of them: 8,000 unknown names (a 55 KB query) were answered with
    # a 1 MB body, each listed with the accepted names
    errors: list[dict[str, Any]] = [
        {"type": UNKNOWN_QUERY_PARAMETER, "loc": ("query", name),
         "msg": f"unknown query parameter {name!r}", "input": request.query_params[name]}
        for name in unknown[:ERRORS_SHOWN]]
    more = len(unknown) - len(errors)
    errors[-1]["msg"] += (f" ({accepts}" + (f"; and {more:,} more unknown query parameter"
                                             f"{'' if more == 1 else 's'} not listed)"
                                             if more else ")"))
    raise RequestValidationError(errors)


ServiceDep = Annotated[ServiceState, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
AdminDep = Annotated[None, Depends(require_admin)]
