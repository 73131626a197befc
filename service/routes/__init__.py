"""Thin routes: map ids, call the ``recommender`` library, build a schema."""

from __future__ import annotations

import re
from typing import Any

import fastapi.routing
import starlette.routing
from starlette.convertors import Convertor, PathConvertor, register_url_convertor

from service.schemas import Error, Invalid


class _IdPath(PathConvertor):
    """Starlette's ``path`` converter, line breaks included: ids are kept byte for byte, and
    ``.*`` stopped at a line break, so a film id holding one could not be reached (404 "Not
    Found", no id named) and ``/films/a%0A`` answered film ``a`` (``$`` matches before a
    final line break)."""

    regex = "(?s:.*)"


def _to_the_end(path: str) -> tuple[re.Pattern[str], str, dict[str, Convertor[Any]]]:
    """Starlette's ``compile_path`` with the pattern ending at the path's end (``\\Z``): its
    ``$`` also matches before a final line break, so ``/films/X/audience%0A`` answered film
    X's audience and ``/health%0A`` the health check, where no such route exists."""
    regex, fmt, convertors = _compile_path(path)
    if regex.pattern.endswith("$"):
        regex = re.compile(regex.pattern[:-1] + r"\Z")
    return regex, fmt, convertors


_compile_path = starlette.routing.compile_path
# before the route modules (each imports this package first) compile their paths: both the
# converter and the compiler are looked up by name when a route is made
register_url_convertor("path", _IdPath())
starlette.routing.compile_path = _to_the_end
fastapi.routing.compile_path = _to_the_end

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Error, "description": "unknown film or user id (named in detail)"}}
#: every route's 422 (``schema_limits`` words it whole; a route's other words are added)
INVALID_SAID = "invalid parameter (what was wrong, in detail; each problem in errors)"
INVALID: dict[int | str, dict[str, Any]] = {422: {"model": Invalid, "description": INVALID_SAID}}
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": Error, "description": "missing or wrong API key"}}
ADMIN_CLOSED: dict[int | str, dict[str, Any]] = {
    403: {"model": Error, "description": "no admin key is configured: the admin endpoints "
                                         "are closed (detail says how to open them)"}}
NO_PSEUDONYM_KEY: dict[int | str, dict[str, Any]] = {
    403: {"model": Error, "description": "pseudonymize=true, but the server has no "
                                         "RECOMMENDER_PSEUDONYM_KEY (no WWW-Authenticate: "
                                         "a key's rights are not what is refused)"}}
#: a store route's 409 when a newer engine migrated the store (``StoreSchemaNewerError``)
SCHEMA_NEWER = ("the campaign store is at a schema version newer than this engine's (a newer "
                "engine migrated it): upgrade the engine (detail names both versions; a retry "
                "will not help)")
#: every campaign-store route: the store down (503 with Retry-After) or damaged (503 without:
#: ``StoreDamagedError``), or at a newer schema (409; a route with its own 409 names it there)
STORE_DOWN: dict[int | str, dict[str, Any]] = {
    503: {"model": Error, "description": "the campaign store is unavailable (down, locked, "
                                         "out of connections, or its disk is full): retry "
                                         "after Retry-After "
                                         "seconds (same event ids or Idempotency-Key: nothing "
                                         "is stored twice); or its file is damaged (detail "
                                         "says so): restore it from a backup, no Retry-After",
          "headers": {"Retry-After": {"description": "seconds to wait before trying again; "
                                                     "absent when the store's file is damaged "
                                                     "(a retry will not help)",
                                      "required": False, "schema": {"type": "integer"}}}},
    409: {"model": Error, "description": SCHEMA_NEWER}}
