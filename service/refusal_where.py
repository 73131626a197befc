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
    """Where a library's refusal ``said`` points in the request: the query parameter it both
    names and quotes the value of (``unknown tier 'cor'``), else one whose value (or a
    ``=``/``,`` part of it) it quotes (``?filter=gendr=F``: "unknown user attribute
    'gendr'"), else one it names; on a request with a body, a body field it names (``genres``
    as "genre"); else the part alone (``("query",)``, ``("body",)``). The library's words name
    values, not where they came from: this is the service's reading of them."""
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
    for name in body_fields(request):
        if name in words or name.rstrip("s") in words:
            return ("body", name)
    return ("body",)
