"""Where in a request a library's refusal points: the ``loc`` of a 422's one problem.

The library's errors (``InvalidParameterError``, ``UnknownGenreError``) name values, not where
a request put them: ``service.errors`` reads the words against the request's query parameters
and the matched route's body fields.
"""

from __future__ import annotations

import re

from starlette.requests import Request


def body_fields(request: Request) -> list[str]:
    """The top-level fields of the matched route's JSON body model, as a request spells them
    (their aliases)."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    names: list[str] = []
    for param in getattr(dependant, "body_params", None) or ():
        model = getattr(param.field_info, "annotation", None)
        fields = getattr(model, "model_fields", None)
        names += ([f.alias or n for n, f in fields.items()] if isinstance(fields, dict)
                  else [param.alias])
    return names


def named_in(request: Request, said: str) -> tuple[str, ...]:
    """Where a library's refusal ``said`` points in the request: a query parameter whose value
    (or a ``=``/``,`` part of it) it quotes, else one it names (``unknown tier 'cor'``); on a
    request with a body, a body field it names (``genres`` as "genre"); else the part alone
    (``("query",)``, ``("body",)``). The library's words name values, not where they came
    from: this is the service's reading of them."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", said))
    query = list(dict.fromkeys(request.query_params.keys()))
    for name in query:
        values = request.query_params.getlist(name)
        parts = {p.strip() for v in values for p in re.split(r"[=,]", v) if p.strip()}
        if any(repr(p) in said or f"'{p}'" in said for p in parts | set(values)):
            return ("query", name)
    for name in query:
        if name in words:
            return ("query", name)
    if request.method in ("GET", "HEAD"):
        return ("query",)
    for name in body_fields(request):
        if name in words or name.rstrip("s") in words:
            return ("body", name)
    return ("body",)
