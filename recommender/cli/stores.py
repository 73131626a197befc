"""The campaign store a command names (``--store`` or ``RECOMMENDER_STORE``), checked before use.

A missing SQLite file is not created by a reader; an in-memory one (``sqlite://``) is refused,
as it keeps nothing past the command; a new one inside a model folder is refused, as a later
save of the model removes it.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from recommender.errors import InvalidParameterError


def missing_sqlite(target: str) -> str | None:
    """The file of a SQLite store ``target`` names when that file does not exist, else None."""
    import sqlalchemy as sa

    from recommender.campaigns.store import store_url

    try:
        url = sa.engine.make_url(store_url(target))
    except (sa.exc.ArgumentError, ValueError):  # ValueError: a port not a number
        return None  # open_store says why
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not os.path.exists(url.database):
        return str(url.database)
    return None


def refuse_in_memory(target: str) -> None:
    """Refuse an in-memory SQLite store (``sqlite://``): what a command stored there was gone
    when it ended, and it said "stored" (only the service keeps one, for its own life)."""
    from recommender.campaigns.connection import in_memory_sqlite

    if in_memory_sqlite(target):
        raise InvalidParameterError(
            f"the campaign store {target} is an in-memory SQLite database, gone when this "
            "command ends: it keeps nothing and holds nothing (give a SQLite file path or a "
            "PostgreSQL URL)")


def refuse_new_store_in_a_model(target: str) -> None:
    """Refuse (``InvalidParameterError``) a SQLite store that does not exist yet and would be
    created inside a model folder (``--store MODEL/current/s.db``): the version it lies in is
    removed by a later ``train --out MODEL`` (two saves on), and every acknowledged event
    with it. A store already there still opens; other URLs pass."""
    from recommender.io.atomic import not_in_a_model

    missing = missing_sqlite(target)
    if missing is not None and missing.startswith("file:"):  # a SQLite URI (?uri=true)
        from urllib.parse import unquote, urlsplit  # the file it names, as SQLite reads it

        missing = unquote(urlsplit(missing).path) or None
        missing = None if missing is None or os.path.exists(missing) else missing
    if missing is None:
        return
    try:
        not_in_a_model(missing)
    except InvalidParameterError as e:
        raise InvalidParameterError(
            f"the campaign store {missing} would be created inside a model folder ({e}); a "
            "later save of the model removes its old versions, and a store there with them: "
            "put the store elsewhere") from None


def _store(args: argparse.Namespace, create: bool = True, read_only: bool = False) -> Any:
    """The campaign store of ``--store`` or ``RECOMMENDER_STORE``; a reader (``create`` False)
    never creates a missing SQLite file, and with ``read_only`` neither migrates it nor
    takes its write lock."""
    from recommender.campaigns.store import open_store

    target = args.store or os.environ.get("RECOMMENDER_STORE")
    if not target:
        raise InvalidParameterError("no campaign store: pass --store URL or set "
                                    "RECOMMENDER_STORE")
    refuse_in_memory(target)
    missing = None if create else missing_sqlite(target)
    if create:
        refuse_new_store_in_a_model(target)
    if missing is not None:
        raise InvalidParameterError(f"no campaign store at {missing}: the file does not "
                                    "exist (plan with --store to create one)")
    return open_store(target, read_only=read_only)
