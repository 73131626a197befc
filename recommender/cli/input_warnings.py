"""What ``train`` warns of in its inputs once the model is saved: ids, catalog and users files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from recommender.cli import input_checks
from recommender.cli.catalog_ids import say_coverage, warn_title_breaks
from recommender.cli.log_ids import odd_log_ids
from recommender.cli.unread import warn_near_place_columns, warn_shadowed_attributes
from recommender.io import readers
from recommender.io.side_files import public_users_named
from recommender.model.model import Model

if TYPE_CHECKING:
    from recommender.campaigns.erasure import Erasures


def warn_of_inputs(args: argparse.Namespace, model: Model) -> None:
    """Warn of the log's, the catalog's and the users file's oddities (stderr), in order
    (``input_checks``' functions read through the module, as a test replaces one there)."""
    erased = _erased(args)
    input_checks.metadata_matches(model, args.users, args.films, erased=erased)
    # a dataset folder's own users.csv / films.csv: the same warning when none of its ids match
    users_file, films_file = readers.folder_metadata(args.data)
    input_checks.metadata_matches(model, users_file, films_file, quiet=True,
                                  more_films=args.films, erased=erased)
    # a catalog no file above counts (movies.csv, u.item): its ids against the log's
    say_coverage(model, str(args.data), line=not args.films and films_file is None,
                 rowless=films_file is None)
    warn_title_breaks(model, [args.films, films_file, Path(args.data) / "movies.csv"])
    input_checks.genre_separators(model)
    input_checks.attribute_spellings(model)
    # an email column: a value of its own per user; from MovieLens' own u.user, said how to
    # leave it ("leave it out of the users file" named a file no option takes away)
    # (or, beside a log file, given as --users u.user: its columns are fixed too)
    own = readers.public_users_file(args.data)
    given = own is None and public_users_named(args.users)
    input_checks.identifying(model, Path(args.users) if given else own, _columns(args.users),
                             own_given=given)
    warn_near_place_columns(model)  # cinmea for cinema: an attribute of its own, unsaid
    warn_shadowed_attributes(model)  # a users file's 'segment': an export's is the engine's
    odd_log_ids(model)


def _erased(args: argparse.Namespace) -> Erasures | None:
    """``train --events STORE``: the store's erased users (a users file's erased ids are
    counted, not named); None without ``--events``."""
    if not getattr(args, "events", None):
        return None
    from recommender.campaigns.erasure import read_erasures
    from recommender.cli.stores import _store

    store = _store(argparse.Namespace(store=args.events), create=False)
    try:
        return read_erasures(store)
    finally:
        store.close()


def _columns(users: str | None) -> set[str]:
    """The columns a ``--users`` file names, as the reader names them (lower case, blanks
    as ``_``); none without one."""
    if not users:
        return set()
    from recommender.io.project import header_names, is_parquet

    p = Path(users)
    return {n.strip().lower().replace(" ", "_") for n in header_names(p, is_parquet(p))}
