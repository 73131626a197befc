"""JSON request bodies with a key given twice in one object are refused, naming the field.

Python's ``json`` (which FastAPI reads bodies with) keeps the last of two equal keys without a
word: ``{"user_id": "u1", "user_id": "u2"}`` stored an event for u2, ``{"events": [...],
"events": [...]}`` stored the second batch and dropped the first, ``{"budget": 5, "budget":
500}`` planned 500 contacts. ``JsonRoute`` (the ``route_class`` of every router with a JSON
body) reads the body once with a hook that notes such keys; a body that has one is a 422
naming each (``body field 'events[0].user_id': ...``), anything else is handed on parsed, so
FastAPI does not parse it again. ``duplicate_key_errors`` serves ``POST /admin/reload``, which
reads its own body.
"""

from __future__ import annotations

import email.message
import json
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

DUPLICATE_KEY = "duplicate_key"  # the error type in the 422 body


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


def _is_json(request: Request) -> bool:
    """Whether FastAPI may read this request's body as JSON (its own test: application/json or
    application/*+json; or no Content-Type, which it reads as JSON under
    ``strict_content_type=False`` and before FastAPI 0.132: checked too, so those keep no
    repeat; strict, it answers such a body that it was not sent as JSON)."""
    value = request.headers.get("content-type")
    if not value:
        return True
    message = email.message.Message()
    message["content-type"] = value
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json"))


class JsonRoute(APIRoute):
    """A route whose JSON body may not repeat a key in one object (module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def route(request: Request) -> Response:
            if _is_json(request):
                raw = await request.body()
                # not JSON (None): FastAPI parses it again and says why
                read = _read(raw) if raw else None
                if read is not None:
                    parsed, errors = read
                    if errors:
                        raise RequestValidationError(errors)
                    request._json = parsed  # what Request.json() would return
            return await handler(request)

        return route
