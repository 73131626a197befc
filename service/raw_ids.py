"""Film ids a path cannot carry as written, sorted out from the raw request before routing.

``GET /films/heat%2Fsimilar`` (a film whose id is ``heat/similar``, its slash encoded) is that
film's detail, not film ``heat``'s similar films. The server decodes ``%2F`` before routing,
so the path alone cannot tell the two apart; the raw path can. This pure ASGI layer sits
outside the fast path and the router: a GET whose raw path is ``/films/<one segment holding
an encoded slash>``, decoding to an id that ends in a film route's suffix, goes to the film
detail route under a private path (``DETAIL_PATH``) with the id in the scope. Everything else
passes untouched (an id sent with literal slashes is read as the routes read it, as before).

A film whose id is ``.`` or ``..`` has no path a browser sends: a URL's ``.`` and ``..``
segments, ``%2E`` and ``%2e%2e`` too, are removed before the request leaves (the URL
standard), so ``/films/%2E/audience`` arrives as ``/films/audience``. The same routes answer
with the id in the query instead: ``GET /film?film_id=ID`` is ``/films/ID``, and
``/film/audience``, ``/film/audience.csv``, ``/film/audience/summary``, ``/film/similar``,
``/film/distribution`` with ``?film_id=ID`` and the route's own parameters are the
``/films/ID/...`` ones (this layer rewrites the request to that path; any id, as written).
A user's recommendations likewise: ``GET /user/recommendations?user_id=ID`` is
``/users/ID/recommendations``.

A plan id holding a slash is kept the same way, on every ``/campaigns/{plan_id}...`` route
(``RawPlanIds``): ``/campaigns/p%2Freport`` is plan ``p/report``'s summary (404 when the store
has none), not plan ``p``'s report, and ``/campaigns/%2F`` is plan ``/``, not the plan list.

A percent-escape that does not decode as UTF-8 (``/films/%ff``) is a 422 saying so: the server
decoded it as U+FFFD, so ``%ff`` answered as the id ``\ufffd`` (ids are text, byte for byte).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

_HIGH_ESCAPE = re.compile(rb"%[89a-fA-F][0-9a-fA-F]")  # an escape of a byte past ASCII

SUFFIXES = ("/audience", "/audience.csv", "/audience/summary", "/similar", "/distribution")
DETAIL_PATH = "/_film-detail"
SCOPE_KEY = "raw_film_id"
_PREFIX = b"/films/"
QUERY_PATH = "/film"  # the routes with the id in the query: /film, /film/audience, ...
QUERY_KEY = "film_id"
FORM_KEY = "query_form_id"  # the scope's record of the id parameter a query form took
#: the query forms: path -> (the id's parameter, the path routes put the id after, suffixes)
QUERY_FORMS = {QUERY_PATH: (QUERY_KEY, "/films/", ("", *SUFFIXES)),
               "/user": ("user_id", "/users/", ("/recommendations",))}


def route_parts(scope: Scope) -> tuple[str, str]:
    """(the prefix a proxy's root path puts before the route's path, the route's path), as
    Starlette's router splits ``scope["path"]`` (uvicorn ``--root-path /api``: "/api/film")."""
    path, root = str(scope.get("path", "")), str(scope.get("root_path", "") or "")
    if root and path.startswith(root) and path[len(root):len(root) + 1] == "/":
        return root, path[len(root):]
    return "", path


def route_path(scope: Scope) -> str:
    """The path the router matches: ``scope["path"]`` less a proxy's root path (``route_parts``).
    The key check and the limits match routes by it: matched against the full path, no route
    was found, so the schema was open (an unknown path answered by its route counts as open),
    a write route took a read key, ``/metrics`` took a read key, ``/health`` and ``/docs``
    needed one, and ``/health`` was bounded like a scoring request."""
    return route_parts(scope)[1]


def _query_form(scope: Scope, form: str) -> dict[str, object] | None:
    """What makes ``/film<suffix>?film_id=ID&...`` the request ``/films/ID<suffix>?...`` (the
    other parameters as sent), and the same for the other ``QUERY_FORMS``, or None when it is
    not one (no id, or two)."""
    prefix, path = route_parts(scope)
    key, routes, suffixes = QUERY_FORMS[form]
    suffix = path[len(form):]
    if suffix not in suffixes:
        return None
    query = scope.get("query_string", b"")
    ids = [v for n, v in parse_qsl(query.decode("latin-1"), keep_blank_values=True)
           if n == key]
    if len(ids) != 1 or not ids[0]:
        return None
    given = ids[0]
    rest = b"&".join(p for p in query.split(b"&")
                     if p and unquote(p.split(b"=", 1)[0].decode("latin-1").replace(
                         "+", " ")) != key)
    raw = (routes + quote(given, safe="") + suffix).encode("ascii")
    if form == QUERY_PATH and not suffix and given.endswith(SUFFIXES):
        # as /films/<its id, slash encoded>
        return {"path": prefix + DETAIL_PATH, SCOPE_KEY: given, "raw_path": raw,
                "query_string": rest, FORM_KEY: key}
    return {"path": f"{prefix}{routes}{given}{suffix}", "raw_path": raw, "query_string": rest,
            FORM_KEY: key}


class RawFilmIds:
    """Send ``/films/<id with an encoded slash ending in a route suffix>`` to the detail,
    ``/film<suffix>?film_id=ID`` to ``/films/ID<suffix>`` and
    ``/user/recommendations?user_id=ID`` to ``/users/ID/recommendations`` (see the module
    docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (bad := not_text(scope)) is not None:
            from service.errors import refusal  # errors imports this module (auth's)

            part, said = bad  # loc ["path"] or ["query"], type path_ or query_not_utf8
            await refusal(said, (part,), f"{part}_not_utf8")(scope, receive, send)
            return
        if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD"):
            raw = scope.get("raw_path") or b""
            rest = raw[len(_PREFIX):] if raw.startswith(_PREFIX) else b""
            if rest and b"/" not in rest and b"%2f" in rest.lower():
                film_id = unquote(rest.decode("ascii", "replace"))
                if film_id.endswith(SUFFIXES):
                    scope = {**scope, "path": DETAIL_PATH, SCOPE_KEY: film_id}
            else:
                path = route_path(scope)
                form = next((f for f in QUERY_FORMS if path == f or path.startswith(f + "/")),
                            None)
                if form is not None:
                    # in place: the router's scope["route"] is the metrics middleware's label
                    scope.update(_query_form(scope, form) or {})
        await self.app(scope, receive, send)


PLAN_SCOPE_KEY = "raw_plan_id"
_PLANS = b"/campaigns/"


def plan_id(scope: Scope, given: str) -> str:
    """The plan id a ``/campaigns/{plan_id}...`` route was asked for: ``given`` (its path
    parameter), or the id ``RawPlanIds`` read from the raw path (one holding a slash)."""
    return str(scope.get(PLAN_SCOPE_KEY, given))


class RawPlanIds:
    """``/campaigns/<one segment holding an encoded slash>[/<route>]`` is that route of the plan
    whose id the segment decodes to: the path's segment stays escaped (it matches the route's
    ``{plan_id}``, never ``plan``) and the id rides in ``scope[PLAN_SCOPE_KEY]``. It sits
    outside the key check and the limits, which match routes by the path: ``POST
    /campaigns/a%2Fb/next`` is a write there, not an unknown path a read key opens."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            root, path = route_parts(scope)
            raw = scope.get("raw_path") or b""
            root_raw = root.encode("latin-1")
            if root_raw and raw.startswith(root_raw):
                raw = raw[len(root_raw):]
            if raw.startswith(_PLANS) and path.startswith(_PLANS.decode()):
                segment, sep, tail = raw[len(_PLANS):].partition(b"/")
                if b"%2f" in segment.lower():
                    text = segment.decode("ascii", "replace")
                    # in place: the router's scope["route"] is the metrics middleware's label
                    scope.update({"path": f"{root}/campaigns/{text}{sep.decode()}"
                                          f"{unquote(tail.decode('ascii', 'replace'))}",
                                  PLAN_SCOPE_KEY: unquote(text)})
        await self.app(scope, receive, send)


def not_text(scope: Scope) -> tuple[str, str] | None:
    """Where (``"path"`` or ``"query"``, a 422's ``loc``) the request holds percent-escaped
    bytes that are not UTF-8 text, and what: or None (one regular expression search when
    nothing is escaped past ASCII). A query string's was told at ``["path"]``."""
    for part, where, raw in (("path", "path", scope.get("raw_path") or b""),
                             ("query", "query string", scope.get("query_string") or b"")):
        if not _HIGH_ESCAPE.search(raw):
            continue
        try:
            unquote_to_bytes(raw).decode("utf-8")
        except UnicodeDecodeError as e:
            return part, (f"the request's {where} holds percent-escaped bytes that are not "
                          f"UTF-8 text (0x{e.object[e.start]:02x} at byte {e.start} once "
                          "decoded): ids and values are text, escaped as UTF-8")
    return None
