"""The campaign store an answering command folds in: ``--store``, the variable, or the service's.

``audience``, ``recommend``, ``summary``... fold in the events a campaign store recorded after
the model's training, as the service does, so that their ``--json`` is its body. The store is
``--store``, else ``RECOMMENDER_STORE``, else the one ``serve MODEL`` opens without the variable
(``recommender.campaigns.default_store``) when that file exists: without it they read no store
while the service beside them read that file, and listed as an audience users the service knew
had watched the film. The default is never created, and is named in a ``note:`` on stderr
when it holds events since the training (else the answer is the model's as trained).
``--store none`` reads no store: the model as trained, whatever the variable or the file
beside the model hold (a file named ``none`` is ``./none``). ``RECOMMENDER_STORE=none`` stays
a file name: the variable is the service's and the writing commands' too, which have no
"none", and an answer that read another store than the service beside it would not be its body.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recommender.model.artifact import Model

#: ``--store``'s word for reading no store (any case): the model as trained
NO_STORE = "none"

STORE_HELP = ("campaign store URL or SQLite file whose events the answer includes, as the "
              "service's does (default: $RECOMMENDER_STORE, else MODEL.campaigns.db beside "
              "the model, the service's default, when it exists); none: no store read, the "
              "model as trained (a file named none: ./none; in $RECOMMENDER_STORE, which "
              "serve reads too, none is a file name)")


def no_store(args: argparse.Namespace) -> bool:
    """Whether ``--store none`` asked for the model as trained: no store read, neither
    ``RECOMMENDER_STORE`` nor the default beside the model."""
    given = getattr(args, "store", None)
    return isinstance(given, str) and given.lower() == NO_STORE


def given_store(args: argparse.Namespace) -> str | None:
    """The store ``--store`` names: None where it was not given, or given as ``none``."""
    return None if no_store(args) else getattr(args, "store", None)


def answer_store(args: argparse.Namespace) -> tuple[str | None, bool]:
    """The store an answer on ``args.model`` reads, and whether it was named (``--store`` or
    ``RECOMMENDER_STORE``, not the default beside the model): None where there is none, or
    ``--store none`` asked for the model as trained (named: True)."""
    if no_store(args):
        return None, True
    named = getattr(args, "store", None) or os.environ.get("RECOMMENDER_STORE")
    if named:
        return named, True
    from recommender.campaigns.default_store import existing_default_store

    beside = existing_default_store(args.model)
    return (str(beside), False) if beside is not None else (None, False)


def answer_model(args: argparse.Namespace) -> Model:
    """The model an answer is computed on: ``args.model`` with the events of the campaign
    store (``answer_store``) recorded after its training applied, as the service applies
    them, so that ``--json`` prints the service's body. A store named by the environment only
    that does not exist yet holds no event: the model as trained."""
    from recommender.cli.commands import _load_model

    model = _load_model(args.model)
    given = given_store(args)
    target, named = answer_store(args)
    if not target:
        return model
    from recommender.cli.stores import missing_sqlite

    if not given and named and missing_sqlite(target) is not None:
        return model  # $RECOMMENDER_STORE's SQLite file is not there yet: no event
    # any other failure is said (a store that cannot be read is not "no events"); a reader
    # neither migrates the store nor takes its write lock
    return store_model(model, target, args.model, named)


def store_model(model: Model, target: str, model_arg: str, named: bool) -> Model:
    """``model`` with the events the store ``target`` recorded after its training applied,
    read only: neither migrated nor locked. Where the store is the default beside the model
    (not ``named``) and its events change the answer, a ``note:`` on stderr names it."""
    from recommender.cli.stores import _store
    from recommender.errors import InvalidParameterError

    try:
        store = _store(argparse.Namespace(store=target), create=False, read_only=True)
        try:
            refreshed = refreshed_model(model, store)
        finally:
            store.close()
    except InvalidParameterError as e:  # an older, newer or damaged schema; one not a store
        if named:
            raise
        # the default beside the model, which no one named: the answer is the model's as
        # trained, said, where the command failed on a file the user never gave
        print(f"note: the campaign store beside the model, {target} (what `serve "
              f"{model_arg}` opens without RECOMMENDER_STORE), was not read: {e}; the answer "
              "is the model's as trained (--store names a store to read)", file=sys.stderr)
        return model
    overlay = refreshed.meta.get("overlay") or {}
    if overlay.get("events_for_unknown_films"):  # an unknown film's error counts its own
        from recommender.query.hints import count_store_events_with

        count_store_events_with(refreshed, lambda film_id: _film_events(
            target, film_id, int(overlay.get("since_seq") or 0)))
    from recommender.query.catalog import store_events

    if not named and store_events(refreshed.meta) is not None:  # it changes the answer
        print(f"note: reading the campaign store {target}, the one `serve {model_arg}` "
              "opens without RECOMMENDER_STORE (--store names another)", file=sys.stderr)
    return refreshed


def refreshed_model(model: Model, store: Any) -> Model:
    """``campaigns.next_wave.refreshed_model``, with a ``warning:`` on stderr where the store
    no longer holds the events the model was trained through (restored from a backup, then
    written to: ``campaigns.trained_events``), whose events then all apply."""
    from recommender.campaigns.next_wave import store_overlay

    overlay = store_overlay(model, store)
    if overlay.gone:
        print(f"warning: {overlay.gone}", file=sys.stderr)
    return overlay.model()


def default_store_model(model: Model, model_arg: str) -> Model:
    """``model`` with the events of the store ``serve MODEL`` opens by default applied when
    that file exists (``plan`` without a store: no one planned a film the service knows they
    watched), read only; the model as it is where there is none."""
    from recommender.campaigns.default_store import existing_default_store

    beside = existing_default_store(model_arg)
    return model if beside is None else store_model(model, str(beside), model_arg, False)


def _film_events(target: str, film_id: str, after: int) -> int:
    """The events the store ``target`` holds for ``film_id`` after sequence ``after``, read
    on demand (an unknown film's error), the store opened read only again."""
    from recommender.campaigns.events import film_event_count
    from recommender.cli.stores import _store

    store = _store(argparse.Namespace(store=target), create=False, read_only=True)
    try:
        return film_event_count(store, film_id, after)
    finally:
        store.close()
