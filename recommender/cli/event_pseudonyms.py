"""``events import --pseudonymized``: a file of responses keyed by pseudonyms, read as the raw ids.

A partner sent a pseudonymised plan or audience (``--pseudonymize``) answers with its
pseudonyms; with ``--pseudonymized`` each ``user_id`` of the file is read as the id it stands
for under the pseudonym key (``RECOMMENDER_PSEUDONYM_KEY`` or ``--pseudonym-key-file``), among
the ``--model``'s users and the store's plan rows and events
(``recommender.campaigns.pseudonym_ids``); a row it cannot read so is refused, naming its line,
and nothing of the file is stored. A row of a person ``forget`` erased with the key given is
no such row: it is counted among the events for erased users and not stored, as the same row
with the raw id is (``campaigns.erased_pseudonyms``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from recommender.errors import InvalidParameterError
from recommender.io.text import plural

FLAG = "--pseudonymized"


def add_pseudonymized_options(parser: argparse.ArgumentParser) -> None:
    """``--pseudonymized`` and ``--pseudonym-key-file`` of ``events import``."""
    parser.add_argument(FLAG, dest="pseudonymized", action="store_true",
                        help="the file's user ids are pseudonyms (p-<HMAC>, as a pseudonymised "
                             "plan or audience lists them): each is read as the id it stands "
                             "for among the --model's users and the store's plan rows and "
                             "events; key in RECOMMENDER_PSEUDONYM_KEY or --pseudonym-key-file")
    parser.add_argument("--pseudonym-key-file", dest="pseudonym_key_file", metavar="FILE",
                        help=f"file holding the pseudonym key (with {FLAG})")


def import_key(args: argparse.Namespace) -> bytes | None:
    """The pseudonym key of ``events import --pseudonymized`` (None without it), read before
    the file: ``InvalidParameterError`` (exit 2) naming the variable when none is given."""
    from recommender.query.pseudonym import load_key

    key_file = getattr(args, "pseudonym_key_file", None)
    if not getattr(args, "pseudonymized", False):
        if key_file is not None:
            raise InvalidParameterError(f"--pseudonym-key-file needs {FLAG}")
        return None
    return load_key(key_file, needed_by=f"{FLAG} (reading pseudonyms back as the ids they "
                                        "stand for)")


def unmasked(args: argparse.Namespace, batch: Any, key: bytes, model: Any, store: Any
             ) -> tuple[Any, list[int]]:
    """``batch``, read from ``args.file``, with each user id read as the id its pseudonym
    stands for (a file without event_id: its event ids derived from the rows as read, so the
    raw file and the pseudonymised one are the same events), less the rows of erased people,
    and those rows (0-based: ``unmasked_rows``); a row that cannot be read so is the file's
    ``DataError``, naming its line."""
    from dataclasses import replace

    from recommender.campaigns.event_file import derived_again, row_problem
    from recommender.campaigns.events import EventBatch
    from recommender.campaigns.pseudonym_ids import UnmappedPseudonymError, unmasked_rows

    try:
        users, gone = unmasked_rows(batch.user_id, key, model, store, FLAG)
    except UnmappedPseudonymError as e:
        hint = "" if model is not None or e.plain else \
            " (--model MODEL searches the model's users too)"
        raise row_problem(args.file, e.row, f"{e.reason}; nothing of the file was "
                                            f"stored{hint}") from None
    read = derived_again(batch, replace(batch, user_id=users))
    drop = set(gone)
    kept = [i for i in range(len(batch)) if i not in drop] if gone else None
    if kept is not None:  # an erased person's rows: counted by the caller, never stored
        read = EventBatch(*([getattr(read, k)[i] for i in kept] for k in
                            ("event_id", "user_id", "film_id", "timestamp", "weight")))
    print(f"note: the user ids of {plural(len(read), 'event', sep=',')} read from their "
          f"pseudonyms ({plural(len(set(read.user_id)), 'user', sep=',')})", file=sys.stderr)
    return read, gone
