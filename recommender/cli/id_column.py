"""The ``--id-column`` option of every command that reads an id list from a file.

``lookalike --seeds``, ``audiences --films``, ``recommend --users`` or ``--watched`` and
``plan --exclude`` each read one id list per run (``recommend``'s two are alternatives), so one
``--id-column NAME`` names that list's column of ids in a CSV export, by its header name,
matched as ``io.id_list_columns`` matches it (as written, else in any case and spacing:
``customer`` reads ``Customer``); a header without it is refused, naming its columns. Given
where the run reads no list (``recommend --user``, ``audiences --all``, ``plan`` without
``--exclude``) it is refused, not ignored.
"""

from __future__ import annotations

import argparse


def add_id_column(s: argparse.ArgumentParser, lists: str) -> None:
    """``--id-column NAME`` for the command's id list (``lists``: ``--seeds``, or
    ``--users or --watched`` where one of two is read)."""
    s.add_argument("--id-column", metavar="NAME",
                   help=f"the {lists} CSV's column of ids, by its header name, in any case "
                        "and spacing (default: the one column named like an id: user_id, "
                        "film_id, User ID, userId, movieId or id)")


def id_column(args: argparse.Namespace, *lists: str) -> str | None:
    """``--id-column`` as given (None when not), refused when the run reads none of ``lists``
    (the options' dests: ``"films"``) from a file: named where nothing reads it."""
    from recommender.errors import InvalidParameterError

    column: str | None = getattr(args, "id_column", None)
    if column is None or any(getattr(args, name, None) for name in lists):
        return column
    flags = " or ".join("--" + name.replace("_", "-") for name in lists)
    raise InvalidParameterError(f"--id-column names the column of ids of the {flags} file; "
                                f"this run reads no such file: give {flags}, or leave "
                                "--id-column out")
