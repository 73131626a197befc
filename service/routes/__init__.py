"""Thin routes: map ids, call the ``recommender`` library, build a schema."""

from __future__ import annotations

from typing import Any

from starlette.convertors import PathConvertor, register_url_convertor

from service.schemas import Error


class _IdPath(PathConvertor):
    """Starlette's ``path`` converter, line breaks included: ids are kept byte for byte, and
    ``.*`` stopped at a line break, so a film id holding one could not be reached (404 "Not
    Found", no id named) and ``/films/a%0A`` answered film ``a`` (``$`` matches before a
    final line break)."""

    regex = "(?s:.*)"


# before the route modules (each imports this package first) compile their paths
register_url_convertor("path", _IdPath())

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Error, "description": "unknown film or user id (named in detail)"}}
INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": Error, "description": "invalid parameter (what was wrong, in detail)"}}
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": Error, "description": "missing or wrong API key"}}
ADMIN_CLOSED: dict[int | str, dict[str, Any]] = {
    403: {"model": Error, "description": "no admin key is configured: the admin endpoints "
                                         "are closed (detail says how to open them)"}}
NO_PSEUDONYM_KEY: dict[int | str, dict[str, Any]] = {
    403: {"model": Error, "description": "pseudonymize=true, but the server has no "
                                         "RECOMMENDER_PSEUDONYM_KEY"}}
STORE_DOWN: dict[int | str, dict[str, Any]] = {
    503: {"model": Error, "description": "the campaign store is unavailable (down, locked or "
                                         "out of connections): retry after Retry-After "
                                         "seconds (same event ids or Idempotency-Key: nothing "
                                         "is stored twice)",
          "headers": {"Retry-After": {"schema": {"type": "integer"}}}}}
