"""Where in a request a library's refusal points: the ``loc`` of a 422's one problem.

The library's errors (``InvalidParameterError``, ``UnknownGenreError``) name values, not where
a request put them: ``service.errors`` reads the words against the request's query parameters
and the matched route's body fields.
"""

from __future__ import annotations

import re
import typing
from typing import Any

from starlette.requests import Request


def body_fields(request: Request) -> list[str]:
    """The top-level fields of the matched route's JSON body model, as a request spells them
    (their aliases)."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    names: list[str] = []
    for param in getattr(dependant, "body_params", None) or ():
        fields = _model_fields(getattr(param.field_info, "annotation", None))
        names += ([f.alias or n for n, f in fields.items()] if fields is not None
                  else [param.alias])
    return names


def _model_fields(annotation: Any) -> dict[str, Any] | None:
    """The fields of the body model ``annotation`` names, through ``Optional`` and unions
    (``NextWaveRequest | None``: its fields were read as the one field ``body``)."""
    fields = getattr(annotation, "model_fields", None)
    if isinstance(fields, dict):
        return fields
    for arg in typing.get_args(annotation):
        found = _model_fields(arg)
        if found is not None:
            return found
    return None


def path_params(request: Request) -> list[str]:
    """The path parameters of the matched route (``wave`` of ``.../waves/{wave}/sent``)."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    return [p.alias for p in getattr(dependant, "path_params", None) or ()]


def param_at(request: Request, param: str | tuple[str, ...]) -> tuple[str | int, ...]:
    """Where the parameter a refusal names (``InvalidParameterError.param``) is in the
    request: the route's path parameter, query parameter or body field of that name (a body
    list's item where it is ``name[i]``: ``("body", name, i)``); several
    named (one of them is needed) or none found: the part alone (``("body",)``)."""
    get = request.method in ("GET", "HEAD")
    element = re.fullmatch(r"(\w+)\[(\d+)\]", param) if isinstance(param, str) else None
    if element and not get and element[1] in body_fields(request):  # a body list's item
        return ("body", element[1], int(element[2]))
    if isinstance(param, str):
        if param in path_params(request):
            return ("path", param)
        if param in request.query_params or (get and param in query_names(request)):
            return ("query", param)
        if not get and param in body_fields(request):
            return ("body", param)
    return ("query",) if get else ("body",)


def query_names(request: Request) -> list[str]:
    """The query parameters the matched route declares."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    return [p.alias for p in getattr(dependant, "query_params", None) or ()]


def _first_said(said: str, word: str) -> int | None:
    """Where ``said`` first names ``word`` as a whole word (None: nowhere)."""
    hit = re.search(rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9_])", said)
    return None if hit is None else hit.start()


def named_in(request: Request, said: str) -> tuple[str, ...]:
    """Where a library's refusal ``said`` points in the request: the query parameter it both
    names and quotes the value of (``unknown tier 'cor'``), else one whose value (or a
    ``=``/``,`` part of it) it quotes (``?filter=gendr=F``: "unknown user attribute
    'gendr'"), else one it names; on a request with a body, a body field it names (``genres``
    as "genre"; its whole name before a stem, and of several the one the words name first);
    else the part alone (``("query",)``, ``("body",)``). The library's words name values,
    not where they came from: this is the service's reading of them."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", said))
    found: list[tuple[bool, bool, bool, str]] = []
    for name in dict.fromkeys(request.query_params.keys()):
        values = request.query_params.getlist(name)
        parts = {p.strip() for v in values for p in re.split(r"[=,]", v) if p.strip()}
        quoted = any(repr(p) in said or f"'{p}'" in said for p in parts | set(values))
        named = name in words
        found.append((quoted and named, quoted, named, name))
    best = max(found, key=lambda f: f[:3], default=None)  # the first of the best, in order
    if best is not None and (best[1] or best[2]):
        return ("query", best[3])
    if request.method in ("GET", "HEAD"):
        return ("query",)
    fields = body_fields(request)
    for spelled in (lambda n: n, lambda n: n.rstrip("s")):  # a field's name before its stem
        at = [(p, i, n) for i, n in enumerate(fields)
              if (p := _first_said(said, spelled(n))) is not None]
        if at:  # the one the words name first ("seed ... the holdout ... this wave": seed)
            return ("body", min(at)[2])
    return ("body",)
