"""Web pages of other origins that may call the API from a browser (CORS), set by the operator.

Off unless ``RECOMMENDER_CORS_ORIGINS`` names origins: Audience Studio and the docs are served
by the API's own origin and need none, and a browser then lets no other site's page read an
answer. Named origins (or ``*``) get Starlette's CORS middleware: a preflight (``OPTIONS`` with
``Access-Control-Request-Method``) is answered before the key check, which it could never pass
(browsers send no credentials on one), and every answer to such an origin, a 401 or a 503
included, carries ``Access-Control-Allow-Origin`` so that its page can read why. Keys travel in
headers (``X-API-Key``, ``Authorization``), never cookies, so credentials are not allowed.

A preflight refused (an origin not named, a method or request header not allowed) is a 400 in
the service's error shape, ``{"detail": ...}`` saying what was refused (``JsonCors``): Starlette
answered ``text/plain`` "Disallowed CORS origin", unlike every other error.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response

ENV = "RECOMMENDER_CORS_ORIGINS"
#: the request headers a page may send: the keys, a JSON body, a plan's idempotency key and
#: the conditional request of a static file
REQUEST_HEADERS = ("Authorization", "X-API-Key", "Content-Type", "Idempotency-Key",
                   "If-None-Match")
#: the answer headers a page may read beyond the CORS-safelisted ones: every header of the
#: service's own (the model's version, the events an answer reflects, a plan's model, an
#: audience's note, a new film's CSV's notes, a replayed plan) and the standard ones its
#: answers carry
EXPOSED = ("X-Model-Version", "X-Events-Seq", "X-Plan-Model-Version", "X-Plan-Waves",
           "X-Audience-Note", "X-Genres-Only", "X-Unknown-Film-Ids", "Idempotent-Replayed",
           "Content-Disposition", "Retry-After", "ETag")
#: the methods a page may send: every one a route serves (``DELETE``: taking a wave's send
#: back, ``DELETE /campaigns/{plan_id}/waves/{wave}/sent``), so none is refused by a preflight
METHODS = ("GET", "HEAD", "POST", "DELETE")
#: how long a browser may keep a preflight's answer (seconds)
MAX_AGE = 600
# scheme://host[:port] as a browser writes an Origin: no path, query, fragment or user
_ORIGIN = re.compile(r"(https?)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?")


def origins(setting: str) -> list[str]:
    """The origins ``setting`` names (``["*"]`` for any; ``[]``: CORS off), each checked:
    ``ValueError`` naming the first that no browser would send as an ``Origin`` header (a
    trailing slash or a path matched no request, and the pages failed with no word why)."""
    named = [o.strip() for o in setting.split(",") if o.strip()]
    if "*" in named:
        return ["*"]
    for given in named:
        match = _ORIGIN.fullmatch(given)
        default = match is not None and (match.group(1), match.group(3)) in (
            ("http", ":80"), ("https", ":443"))
        if default and match is not None:  # a browser leaves a scheme's own port out
            raise ValueError(f"{ENV}: {given!r} names its scheme's default port, which a "
                             f"browser leaves out of an Origin: write "
                             f"{match.group(1)}://{match.group(2)!s}")
        if match is None or (match.group(3) and not 0 < int(match.group(3)[1:]) < 65536):
            bare = re.match(r"[A-Za-z]+://[^/?#]*", given)
            hint = f" (write {bare.group(0)!r})" if bare and given != bare.group(0) else ""
            raise ValueError(f"{ENV}: {given!r} is not an origin as a browser sends it: "
                             f"expected scheme://host[:port] (http or https), no path or "
                             f"trailing slash{hint}")
    # a browser writes the scheme and host in lower case
    return list(dict.fromkeys(o.lower() for o in named))


def check_any_origin(allowed: list[str], keys: bool) -> None:
    """``ValueError`` for ``*`` on a server without read or write keys: every site's page a
    user visits could then read its audiences and post events and plans through that user's
    browser, on a loopback server too (the Host check stops a rebound name, not a page
    calling 127.0.0.1 itself)."""
    if allowed == ["*"] and not keys:
        raise ValueError(f"{ENV}=* lets any web site's page read this server's audiences and "
                         "write to its campaign store through its visitors' browsers, and no "
                         "read or write key is set: set RECOMMENDER_READ_KEYS (and "
                         "RECOMMENDER_WRITE_KEYS), or name the origins to allow")


def options(allowed: list[str]) -> dict[str, Any]:
    """The CORS middleware's options for ``allowed`` (as ``origins`` reads them)."""
    return {"allow_origins": allowed, "allow_methods": list(METHODS),
            "allow_headers": list(REQUEST_HEADERS), "expose_headers": list(EXPOSED),
            "allow_credentials": False, "max_age": MAX_AGE}


#: Starlette's words for each refused part of a preflight ("Disallowed CORS origin, method")
_DISALLOWED = "Disallowed CORS "


class JsonCors(CORSMiddleware):
    """Starlette's CORS middleware whose refused preflight is a JSON 400 saying what was
    refused (``{"detail": ...}``, as every other error), its CORS headers kept."""

    def preflight_response(self, request_headers: Headers) -> Response:
        answer = super().preflight_response(request_headers)
        if answer.status_code != 400:
            return answer
        text = bytes(answer.body).decode("utf-8", "replace")
        failures = text[len(_DISALLOWED):].split(", ") if text.startswith(_DISALLOWED) else []
        headers = {k: v for k, v in answer.headers.items()
                   if k not in ("content-type", "content-length")}
        return JSONResponse({"detail": self.refused(request_headers, failures)},
                            status_code=400, headers=headers)

    def refused(self, request_headers: Headers, failures: list[str]) -> str:
        """What a preflight asked that this server does not allow, in one sentence."""
        said: list[str] = []
        if "origin" in failures:
            said.append(f"the origin {request_headers.get('origin', '')!r} is none that "
                        f"{ENV} names")
        if "method" in failures:
            said.append(f"the method {request_headers.get('access-control-request-method')!r} "
                        f"is none of {', '.join(METHODS)}")
        if "headers" in failures:
            asked = request_headers.get("access-control-request-headers", "")
            bad = [h.strip() for h in asked.split(",")
                   if h.strip() and h.strip().lower() not in self.allow_headers]
            said.append(f"the request header{'' if len(bad) == 1 else 's'} "
                        f"{', '.join(map(repr, bad))} may not be sent (a page may send "
                        f"{', '.join(REQUEST_HEADERS)} beside the CORS-safelisted ones)")
        if "private-network" in failures:
            said.append("private network access (Access-Control-Request-Private-Network) is "
                        "not allowed")
        other = f"disallowed {', '.join(failures) or 'request'}"  # a part Starlette adds
        return "CORS preflight refused: " + ("; ".join(said) or other)
