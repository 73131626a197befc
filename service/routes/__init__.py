"""Thin routes: map ids, call the ``recommender`` library, build a schema."""

from __future__ import annotations

from typing import Any

from service.schemas import Error

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
