"""JSON request bodies with a key given twice in one object are refused, naming the field.

Python's ``json`` (which FastAPI reads bodies with) keeps the last of two equal keys without a
word: ``{"user_id": "u1", "user_id": "u2"}`` stored an event for u2, ``{"events": [...],
"events": [...]}`` stored the second batch and dropped the first, ``{"budget": 5, "budget":
500}`` planned 500 contacts. ``JsonRoute`` (the ``route_class`` of every router with a JSON
body) reads the body once with a hook that notes such keys; a body that has one is a 422
naming each (``body field 'events[0].user_id': ...``), anything else is handed on parsed, so
FastAPI does not parse it again. ``duplicate_key_errors`` serves ``POST /admin/reload``, which
reads its own body.

A body sent as another media type (``text/plain``, a form, none) is a 415 saying that it must
be ``application/json`` (or ``application/*+json``) and what was sent (:func:`body_type_refusal`,
the one test, which ``JsonRoute`` and ``POST /admin/reload`` both apply before parsing): it
was a 422, as if the JSON were wrong. ``POST /admin/reload`` keeps taking a body sent with no
Content-Type or as a form (``curl -d``'s default), as it always read its body as JSON. A client
that closes its connection before its body is all sent is one warning (:func:`warn_upload_cut`),
not a traceback.
"""

from __future__ import annotations

import email.message
import json
import logging
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, TypeVar

from fastapi import HTTPException, Request, Response
from fastapi.datastructures import DefaultPlaceholder
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect

from recommender.errors import clipped

log = logging.getLogger("recommender.service")
DUPLICATE_KEY = "duplicate_key"  # the error type in the 422 body
FORM = "application/x-www-form-urlencoded"  # what ``curl -d`` sends without -H
#: the 415 every operation with a JSON body lists (``schema_limits``)
UNSUPPORTED_TYPE = ("the request body was not sent as JSON: send the header "
                    "'Content-Type: application/json' (or another application/*+json type)")


class _Twice(dict[str, Any]):
    """An object of the body in which some key was given more than once."""

    twice: dict[str, list[Any]]


class NegativeZero(int):
    """The JSON integer ``-0``: 0 as a number, but an id written so is "-0", not "0"."""


def _int(text: str) -> int:
    return NegativeZero(0) if text == "-0" else int(text)


def _parse(raw: bytes | str) -> tuple[Any, bool]:
    """(the body parsed as ``json.loads`` parses it, whether some object repeats a key)."""
    found = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal found
        obj = dict(items)
        if len(obj) == len(items):
            return obj
        found = True
        twice = _Twice(obj)
        values: dict[str, list[Any]] = {}
        for k, v in items:
            values.setdefault(k, []).append(v)
        twice.twice = {k: v for k, v in values.items() if len(v) > 1}
        return twice

    return json.loads(raw, object_pairs_hook=pairs, parse_int=_int), found


def _errors(node: Any, path: list[Any], out: list[dict[str, Any]]) -> None:
    """Append to ``out`` an error for each key an object under ``node`` (at ``path``, from
    ``"body"``) repeats, in document order. ``path`` is one list, grown and cut as the walk
    goes, a ``loc`` tuple made of it for an error only: a tuple of the whole path made at
    every node was nodes x depth (a 3 MB body 400 deep: 1.9 s)."""
    if isinstance(node, _Twice):
        for key, values in node.twice.items():
            out.append({"type": DUPLICATE_KEY, "loc": (*path, key),
                        "msg": f"given {len(values)} times in one object (only the last would "
                               "count): give it once", "input": values})
    items: Iterable[tuple[Any, Any]] = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        if isinstance(value, dict | list):
            path.append(key)
            _errors(value, path, out)
            path.pop()


def _read(raw: bytes | str) -> tuple[Any, list[dict[str, Any]]] | None:
    """(``raw`` parsed, a validation error (``loc`` from ``"body"``) for each key one of its
    objects repeats); None when it is not JSON (its parser says why)."""
    try:
        parsed, found = _parse(raw)
    except (ValueError, RecursionError):
        return None
    out: list[dict[str, Any]] = []
    if found:
        _errors(parsed, ["body"], out)
    return parsed, out


def duplicate_key_errors(raw: bytes | str) -> list[dict[str, Any]]:
    """The errors of the keys a JSON object of ``raw`` repeats; none when it repeats none or is
    not JSON."""
    read = _read(raw)
    return read[1] if read is not None else []


def body_type_refusal(content_type: str | None, missing_ok: bool = False,
                      form_ok: bool = False) -> str | None:
    """None when a body sent with the Content-Type ``content_type`` (None or "": none sent) is
    read as JSON: application/json or application/*+json (FastAPI's own test), none when
    ``missing_ok``, a form when ``form_ok``; else the 415's detail, naming what was sent."""
    if not content_type:
        return None if missing_ok else f"{UNSUPPORTED_TYPE}; it was sent with no Content-Type"
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    if message.get_content_maintype() == "application" and (
            subtype == "json" or subtype.endswith("+json")):
        return None
    if message.get_content_type() == FORM:
        if form_ok:
            return None
        return f"{UNSUPPORTED_TYPE}; it was sent as {FORM} (what curl -d sends without -H)"
    return f"{UNSUPPORTED_TYPE}; it was sent as {clipped(content_type)}"


def check_body_type(request: Request, raw: bytes, missing_ok: bool = False,
                    form_ok: bool = False) -> None:
    """Raise the 415 of :func:`body_type_refusal` for a body ``raw`` not sent as JSON; an
    empty body has no type to refuse (a route whose body is required says it is missing)."""
    if raw and (why := body_type_refusal(request.headers.get("content-type"), missing_ok,
                                         form_ok)) is not None:
        raise HTTPException(415, why)


def warn_upload_cut(request: Request) -> None:
    """Log that the client of ``request`` closed its connection before its body was all sent
    (uvicorn's ``http.disconnect``): one warning naming the request, its client and the
    Content-Length it announced; it was a traceback of ``ClientDisconnect``, and no access
    line (no answer is sent: no one is there to read it)."""
    client = request.client
    where = f"{client.host}:{client.port}" if client else "a client"
    log.warning("a request was cut: %s closed the connection before the body of %s %s was "
                "all sent (Content-Length: %s); it was not answered", where, request.method,
                request.url.path, request.headers.get("content-length", "none"))


Body = TypeVar("Body", bound=BaseModel)


async def model_body(request: Request, model: type[Body], optional: bool = False
                     ) -> Body | None:
    """The body of a route that reads its own (the admin routes) as ``model``, refused as the
    ``JsonRoute`` bodies are: a byte-order mark dropped, the media type checked, a key repeated
    in one object and the model's refusals a 422 at ``body``; a client gone mid-upload a
    warning (``warn_upload_cut``), not a traceback. ``optional``: an empty body is None, and
    one sent with no Content-Type or as a form (curl -d) is read as JSON."""
    try:
        raw = (await request.body()).removeprefix(b"\xef\xbb\xbf")
    except ClientDisconnect:  # no one to answer: a warning, not a traceback
        warn_upload_cut(request)
        raise HTTPException(400, "the client closed the connection before its body was "
                                 "sent") from None
    if optional and not raw.strip():
        return None
    check_body_type(request, raw, missing_ok=optional, form_ok=optional)
    twice = duplicate_key_errors(raw)
    if twice:
        raise RequestValidationError(twice)
    try:
        return model.model_validate_json(raw)
    except ValidationError as e:
        raise RequestValidationError([{**err, "loc": ("body", *err["loc"])}
                                      for err in e.errors()]) from None


class JsonRoute(APIRoute):
    """A route whose JSON body may not repeat a key in one object (module docstring)."""

    def _strict(self, request: Request) -> bool:
        """Whether FastAPI refuses a body sent with no Content-Type here (its
        ``strict_content_type``: the route's, else the app's; on by default): where it is off,
        such a body is read as JSON, not refused."""
        for value in (self.strict_content_type,
                      getattr(request.app.router, "strict_content_type", True)):
            if not isinstance(value, DefaultPlaceholder):
                return bool(value)
        return True

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def route(request: Request) -> Response:
            try:
                raw = await request.body()
            except ClientDisconnect:  # no one to answer: a warning, not a traceback
                warn_upload_cut(request)
                return Response(status_code=400)
            check_body_type(request, raw, missing_ok=not self._strict(request))
            # not JSON (None): FastAPI parses it again and says why
            read = _read(raw) if raw else None
            if read is not None:
                parsed, errors = read
                if errors:
                    raise RequestValidationError(errors)
                request._json = parsed  # what Request.json() would return
            return await handler(request)

        return route
